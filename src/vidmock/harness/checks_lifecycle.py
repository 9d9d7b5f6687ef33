"""Family B (job lifecycle) and G (timing): invariants over every observation of every job.

Checks read ``Evidence.jobs`` (filled by ``lifecycle.drive``). The lifecycle state machine
(``machine.py``) runs the same functions as its invariants over its own jobs after every step, and
hands its minimal failing sequences over in ``Evidence.extra_findings``. The LLMGateway profile of
webhooks.md §7.8 applies: a failed job may show progress 100, and no cancel endpoint exists.
"""

from __future__ import annotations

from collections.abc import Iterator

from .contract import envelope_problem, expected_range, message_of
from .evidence import RANK, STATUSES, TERMINAL, Evidence, JobRun
from .model import Finding, Observed, Outcome
from .registry import Skip, registry

MAX_JOB_SECONDS = 3600  # VIDEO_JOB_TIMEOUT_SECONDS (gateway.md §4.1)
DEFAULT_MODEL = "veo-3.1-generate-preview"  # gateway.md §2: `model` defaults to it
SLACK = 10  # seconds: one worker poll interval (5 s), the GET cache (2 s) and rounding


def _live(ev: Evidence) -> list[JobRun]:
    if not ev.jobs:
        raise Skip("no job was created")
    return [j for j in ev.jobs if j.job_id]


@registry.check(
    family="B", name="b1_create_returns_job", rules=("S-CREATE-200", "V-ID", "V-OBJECT", "V-USAGE-LATE", "V-MODEL")
)
def create_returns_job(ev: Evidence) -> Iterator[Outcome]:
    """Create answers 200 (not 201) with an id, object=video, a documented status, and no content/usage."""
    if not ev.jobs:
        raise Skip("no job was created")
    for job in ev.jobs:
        body = job.create.json()
        if job.create.status != 200 and job.job_id:
            # A departure the lifecycle still follows (the job exists): reported here, once.
            yield Finding.of(
                f"create of {job.spec.label} answered {job.create.status}",
                "200 (gateway.md §1: create returns 200, not 201)",
                job.create.summary(),
                job.create,
                job.job_id,
            )
            continue
        if job.create.status != 200 or not isinstance(body, dict) or not body.get("id"):
            yield Finding.of(
                f"create of {job.spec.label} did not return a job",
                "200 with a video object",
                job.create.summary(),
                job.create,
            )
            continue
        if body.get("object") != "video" or body.get("status") not in STATUSES:
            yield Finding.of(
                "create returned an undocumented object/status",
                "object=video, status in the enum",
                f"object={body.get('object')!r} status={body.get('status')!r}",
                job.create,
                job.job_id,
            )
        requested = str(job.spec.body.get("model", DEFAULT_MODEL))
        model = body.get("model")
        if not isinstance(model, str) or not (model == requested or model.endswith("/" + requested.split("/")[-1])):
            yield Finding.of(
                "create returned another model than the one requested",
                f"{requested!r} or '<provider>/{requested.split('/')[-1]}'",
                repr(model),
                job.create,
                job.job_id,
            )
        if body.get("status") != "completed" and ("content" in body or "usage" in body):
            yield Finding.of(
                "the create response carries content/usage before completion",
                "no `content` and no `usage` keys",
                str(sorted(body)),
                job.create,
                job.job_id,
            )
        yield Observed(f"{job.spec.label}: create → {job.create.status} status={body.get('status')!r}")


@registry.check(family="B", name="b2_schema_every_step", rules=("V-SCHEMA", "V-STATUS", "V-EXPIRES-AT"))
def schema_every_step(ev: Evidence) -> Iterator[Outcome]:
    """Every video object read matches the contract's Video schema (status from the documented set)."""
    for job in _live(ev):
        for ex, video in [(job.create, job.create.json()), *job.videos()]:
            if not isinstance(video, dict):
                continue
            errors = ev.schemas.errors("Video", video)
            if errors:
                yield Finding.of(
                    f"video object violates the schema at status {video.get('status')!r}",
                    "a valid Video",
                    "; ".join(errors[:3]),
                    ex,
                    job.job_id,
                )
                break
        yield Observed(f"{job.job_id}: {len(job.videos()) + 1} video objects validated")


@registry.check(family="B", name="b3_monotonic_status", rules=("V-MONOTONIC",))
def monotonic_status(ev: Evidence) -> Iterator[Outcome]:
    """Status never moves backwards: queued < in_progress < terminal."""
    for job in _live(ev):
        seen = [v.get("status") for _, v in job.videos()]
        for (ex, video), before in zip(job.videos()[1:], seen, strict=False):
            now = video.get("status")
            if before in RANK and now in RANK and RANK[now] < RANK[before]:
                yield Finding.of(
                    f"status went backwards: {before} → {now}", f"never below {before}", str(now), ex, job.job_id
                )
                break
        if seen:
            yield Observed(f"{job.job_id}: " + " → ".join(dict.fromkeys(str(x) for x in seen)))


@registry.check(family="B", name="b4_terminal_absorbing", rules=("V-TERMINAL",))
def terminal_absorbing(ev: Evidence) -> Iterator[Outcome]:
    """After the first terminal read, every later read has the same status, error code and completed_at."""
    for job in _live(ev):
        first = None
        for ex, video in job.videos():
            key = (
                video.get("status"),
                (video.get("error") or {}).get("code") if isinstance(video.get("error"), dict) else None,
                video.get("completed_at"),
                "content" in video,
            )
            if first is None and video.get("status") in TERMINAL:
                first = key
            elif first is not None and key != first:
                what = (
                    f"a {first[0]} job went back to {key[0]}"
                    if key[0] != first[0]
                    else f"a {first[0]} job's outcome changed after it was terminal"
                )
                yield Finding.of(
                    what,
                    f"status={first[0]} error={first[1]} completed_at={first[2]} content={first[3]}",
                    f"status={key[0]} error={key[1]} completed_at={key[2]} content={key[3]}",
                    ex,
                    job.job_id,
                )
                break
        if first is not None:
            yield Observed(f"{job.job_id}: {first[0]} on every read after the first terminal one")


@registry.check(family="B", name="b5_result_error_exclusive", rules=("V-ERROR-EXCLUSIVE", "V-CONTENT-ABSENT"))
def result_error_exclusive(ev: Evidence) -> Iterator[Outcome]:
    """`content` only when completed; `error` null when completed, and set (with a message) on failure."""
    for job in _live(ev):
        for ex, video in job.videos():
            status, has_content, error = video.get("status"), "content" in video, video.get("error")
            problem = None
            if status != "completed" and has_content:
                problem = f"`content` present while status is {status}"
            elif status == "completed" and error:
                # `content` itself may be absent when completed: a job whose bytes are streamed from
                # the provider has no content URL (gateway.md §3), so only the error is ruled out.
                problem = "completed with an error"
            elif status in TERMINAL - {"completed"} and not (isinstance(error, dict) and error.get("message")):
                problem = f"{status} without an error message"
            if problem:
                yield Finding.of(
                    problem, "content only when completed; error iff failed", str(video)[:300], ex, job.job_id
                )
                break
        else:
            yield Observed(f"{job.job_id}: {len(job.videos())} reads, content/error consistent with status")


@registry.check(family="B", name="b6_progress", rules=("V-PROGRESS",))
def progress(ev: Evidence) -> Iterator[Outcome]:
    """Progress is an integer in [0, 100], never decreasing, and 100 when completed."""
    for job in _live(ev):
        last = 0
        for ex, video in job.videos():
            p = video.get("progress")
            if p is None and video.get("status") != "completed":
                continue
            if (
                not isinstance(p, int)
                or not 0 <= p <= 100
                or p < last
                or (video.get("status") == "completed" and p != 100)
            ):
                yield Finding.of(
                    f"bad progress {p!r} at status {video.get('status')} (previous {last})",
                    "integer 0–100, non-decreasing, 100 when completed",
                    repr(p),
                    ex,
                    job.job_id,
                )
                break
            last = p
        else:
            yield Observed(f"{job.job_id}: progress up to {last}")


def _unix(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@registry.check(family="B", name="b7_timestamps", rules=("V-CREATED-AT", "V-COMPLETED-AT"))
def timestamps(ev: Evidence) -> Iterator[Outcome]:
    """`completed_at` is set exactly when terminal, and falls between the last read that still saw the
    job running and the first that saw it terminal (on the target's clock, measured from create)."""
    for job in _live(ev):
        problem, ex_bad = None, None
        active_at: float | None = None  # target time of the last non-terminal read
        terminal_at: float | None = None
        span: int | None = None
        for ex, video in job.videos():
            status, done, created = video.get("status"), video.get("completed_at"), video.get("created_at")
            if not _unix(created) or (done is not None and not _unix(done)):
                continue  # not integer unix seconds: b2_schema_every_step reports the type
            assert isinstance(created, int)
            if (status in TERMINAL) != (done is not None) or (isinstance(done, int) and done < created):
                problem = f"completed_at={done!r} with status {status} (created_at={created})"
                ex_bad = ex
                break
            if status not in TERMINAL and ex.clock is not None and terminal_at is None:
                active_at = ex.clock  # reads after a terminal one are b3/b4's to judge
            elif isinstance(done, int) and terminal_at is None and ex.clock is not None:
                terminal_at, span = ex.clock, done - created
        start = job.create.clock
        if problem is None and span is not None and start is not None and terminal_at is not None:
            # The upstream's own completed_at may precede the read that still showed the job running by
            # up to a worker poll (5 s) plus the GET cache (2 s): gateway.md §1.4, §4.1.
            lower = (active_at - start) - SLACK if active_at is not None else 0
            upper = (terminal_at - start) + (1 if ev.target.has_clock else SLACK)
            if not lower <= span <= upper:
                seen = f"still running at +{active_at - start:.0f} s, " if active_at is not None else ""
                problem = (
                    f"completed_at - created_at = {span} s, but the job was {seen}"
                    f"terminal at +{terminal_at - start:.0f} s"
                )
                ex_bad = job.polls[-1] if job.polls else job.create
        if problem is not None:
            yield Finding.of(
                problem,
                "completed_at set exactly when terminal, between the last running read and the first terminal one",
                problem,
                ex_bad,
                job.job_id,
            )
        elif span is not None:
            yield Observed(f"{job.job_id}: completed_at - created_at = {span} s")


@registry.check(family="B", name="b10_content_not_before_completion", rules=("S-409-NOT-READY",))
def content_not_before_completion(ev: Evidence) -> Iterator[Outcome]:
    """Content before completion is 409 "Video is not ready yet. Current status: <status>" in the envelope."""
    probes = [(job, ex) for job in _live(ev) for ex in job.early_content]
    if not probes:
        raise Skip("no job was observed before completion")
    for job, ex in probes:
        want = "409 Video is not ready yet. Current status: <status>"
        if ex.status != 409:
            yield Finding.of(
                f"content served before completion (status {ex.status})", want, ex.summary(120), ex, job.job_id
            )
        elif problem := envelope_problem(409, ex.json()):
            yield Finding.of(
                f"409 without the error envelope: {problem}", "error envelope", ex.summary(), ex, job.job_id
            )
        elif not message_of(ex.json()).startswith("Video is not ready yet. Current status: "):
            yield Finding.of("409 with an unexpected message", want, ex.summary(), ex, job.job_id)
        else:
            yield Observed(f"{job.job_id}: early content → 409 {message_of(ex.json())!r}")


@registry.check(
    family="B", name="b10_content_bytes_and_ranges", rules=("S-206-RANGE", "C-BYTES-STABLE", "H-SIGNED-URL")
)
def content_bytes_and_ranges(ev: Evidence) -> Iterator[Outcome]:
    """Completed content: stable bytes, 206 for a valid range with the right slice, signed URL works."""
    jobs = [j for j in _live(ev) if j.downloads]
    if not jobs:
        raise Skip("no job completed")
    for job in jobs:
        first = job.downloads[0]
        data = first.response_body
        if not data or any(d.status != 200 or d.response_body != data for d in job.downloads):
            odd = next((d for d in job.downloads[1:] if d.status != 200 or d.response_body != data), first)
            yield Finding.of(
                "content not 200 or not stable across reads",
                "200, the same bytes on every full read",
                f"{'/'.join(str(d.status) for d in job.downloads)}, "
                f"{' vs '.join(str(len(d.response_body)) for d in job.downloads)} bytes",
                odd,
                job.job_id,
            )
            continue
        for rng, ex in job.ranges.items():
            want = expected_range(rng, len(data))
            if want is None:
                continue  # a refusal: f_bad_range judges those
            start, end = want
            if (
                ex.status != 206
                or ex.response_body != data[start : end + 1]
                or ex.response_headers.get("content-range") != f"bytes {start}-{end}/{len(data)}"
            ):
                yield Finding.of(
                    f"Range {rng} mishandled",
                    f"206 bytes {start}-{end}/{len(data)}",
                    f"{ex.status} {ex.response_headers.get('content-range')} {len(ex.response_body)} bytes",
                    ex,
                    job.job_id,
                )
        if job.signed is not None and (job.signed.status != 200 or job.signed.response_body != data):
            yield Finding.of(
                "content[0].url (no key) does not serve the video",
                "200 with the same bytes",
                job.signed.summary(100),
                job.signed,
                job.job_id,
            )
        yield Observed(f"{job.job_id}: {len(job.downloads)} full reads of {len(data)} bytes, {len(job.ranges)} ranges")


@registry.check(family="G", name="g3_jobs_end_within_budget", rules=("N-JOB-END",))
def jobs_end_within_budget(ev: Evidence) -> Iterator[Outcome]:
    """Every job reaches a terminal status within the budget (and the documented 3600 s maximum)."""
    for job in _live(ev):
        if job.terminal_seen_at is None:
            last = job.videos()[-1][1].get("status") if job.videos() else "?"
            yield Finding.of(
                f"{job.spec.label} still {last} after {ev.budget:.0f} s",
                f"terminal within {ev.budget:.0f} s",
                str(last),
                job.polls[-1] if job.polls else job.create,
                job.job_id,
            )
            continue
        videos = job.videos()
        created, done = videos[-1][1].get("created_at"), videos[-1][1].get("completed_at")
        if isinstance(created, int) and isinstance(done, int) and done - created > MAX_JOB_SECONDS:
            yield Finding.of(
                f"job took {done - created} s", f"≤ {MAX_JOB_SECONDS} s", str(done - created), job.create, job.job_id
            )
        else:
            yield Observed(f"{job.job_id}: terminal at target time {job.terminal_seen_at:.0f}")


@registry.check(family="G", name="g1_create_latency", rules=("N-CREATE-LATENCY",))
def create_latency(ev: Evidence) -> Iterator[Outcome]:
    """Create returns quickly (the render is asynchronous): within ``--create-latency-limit`` wall
    seconds (10 by default)."""
    limit = ev.create_latency_limit
    for job in ev.jobs:
        if job.create.elapsed > limit:
            yield Finding.of(
                f"create took {job.create.elapsed:.2f} s, over the {limit:g} s limit",
                f"≤ {limit:g} s",
                f"{job.create.elapsed:.2f} s",
                job.create,
                job.job_id,
            )
        else:
            yield Observed(f"{job.spec.label}: create took {job.create.elapsed:.2f} s (limit {limit:g} s)")
    if not ev.jobs:
        raise Skip("no job was created")
