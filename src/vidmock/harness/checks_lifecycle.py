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
from .model import Finding
from .registry import Skip, registry

MAX_JOB_SECONDS = 3600  # VIDEO_JOB_TIMEOUT_SECONDS (gateway.md §4.1)


def _live(ev: Evidence) -> list[JobRun]:
    if not ev.jobs:
        raise Skip("no job was created")
    return [j for j in ev.jobs if j.job_id]


@registry.check(family="B", name="b1_create_returns_job")
def create_returns_job(ev: Evidence) -> Iterator[Finding]:
    """Create answers 200 with an id, object=video, a documented status, and no content/usage."""
    for job in ev.jobs:
        body = job.create.json()
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
        if body.get("status") != "completed" and ("content" in body or "usage" in body):
            yield Finding.of(
                "the create response carries content/usage before completion",
                "no `content` and no `usage` keys",
                str(sorted(body)),
                job.create,
                job.job_id,
            )


@registry.check(family="B", name="b2_schema_every_step")
def schema_every_step(ev: Evidence) -> Iterator[Finding]:
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


@registry.check(family="B", name="b3_monotonic_status")
def monotonic_status(ev: Evidence) -> Iterator[Finding]:
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


@registry.check(family="B", name="b4_terminal_absorbing")
def terminal_absorbing(ev: Evidence) -> Iterator[Finding]:
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


@registry.check(family="B", name="b5_result_error_exclusive")
def result_error_exclusive(ev: Evidence) -> Iterator[Finding]:
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


@registry.check(family="B", name="b6_progress")
def progress(ev: Evidence) -> Iterator[Finding]:
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


@registry.check(family="B", name="b7_timestamps")
def timestamps(ev: Evidence) -> Iterator[Finding]:
    """`completed_at` is set exactly when terminal, and not before `created_at`."""
    for job in _live(ev):
        for ex, video in job.videos():
            terminal, done = video.get("status") in TERMINAL, video.get("completed_at")
            created = video.get("created_at")
            if terminal != (done is not None) or (done is not None and isinstance(created, int) and done < created):
                yield Finding.of(
                    f"completed_at={done!r} with status {video.get('status')} (created_at={created})",
                    "completed_at set exactly when terminal, ≥ created_at",
                    str(done),
                    ex,
                    job.job_id,
                )
                break


@registry.check(family="B", name="b10_content_not_before_completion")
def content_not_before_completion(ev: Evidence) -> Iterator[Finding]:
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


@registry.check(family="B", name="b10_content_bytes_and_ranges")
def content_bytes_and_ranges(ev: Evidence) -> Iterator[Finding]:
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


@registry.check(family="G", name="g3_jobs_end_within_budget")
def jobs_end_within_budget(ev: Evidence) -> Iterator[Finding]:
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


@registry.check(family="G", name="g1_create_latency")
def create_latency(ev: Evidence) -> Iterator[Finding]:
    """Create returns quickly (the render is asynchronous): under 10 s of wall time."""
    for job in ev.jobs:
        if job.create.elapsed > 10:
            yield Finding.of(
                f"create took {job.create.elapsed:.1f} s",
                "< 10 s",
                f"{job.create.elapsed:.1f} s",
                job.create,
                job.job_id,
            )
    if not ev.jobs:
        raise Skip("no job was created")
