"""What a finished job carries: its content reference, its error code, the bytes' headers, and the
gateway's own timeout. Families B (lifecycle) and G (timing); gateway.md §1.5, §3, §4.1, §6.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .evidence import Evidence, JobRun
from .model import Finding, Observed, Outcome
from .pricing import expected_costs
from .registry import Skip, registry

# Providers whose bytes the gateway streams from the upstream: no content URL (gateway.md §1.5 item 1).
STREAMED = frozenset({"openai", "minimax", "xai"})
BARE_PROVIDER = {"sora": "openai", "minimax": "minimax", "hailuo": "minimax", "grok": "xai"}
TIMEOUT = 3600  # VIDEO_JOB_TIMEOUT_SECONDS (gateway.md §4.1)
TIMEOUT_MESSAGE = "Video generation timed out after 3600 seconds without reaching a terminal state"
POLL_SLACK = 20  # two worker poll intervals (5 s) plus the harness's own step


def provider_of(video: dict[str, Any], job: JobRun) -> str:
    """The provider from `model` (`provider/model`, G1) or, for a bare id (W1), from the model's name."""
    model = str(video.get("model") or job.spec.body.get("model") or "veo")
    if "/" in model:
        return model.split("/", 1)[0]
    return next((p for prefix, p in BARE_PROVIDER.items() if model.startswith(prefix)), "google-vertex")


def _completed(ev: Evidence) -> list[tuple[JobRun, Any, dict[str, Any]]]:
    out = []
    for job in ev.jobs:
        done = [(ex, v) for ex, v in job.videos() if v.get("status") == "completed"]
        if done:
            out.append((job, *done[-1]))
    return out


@registry.check(family="B", name="b8_result_content", rules=("V-CONTENT-URL", "V-CONTENT-SHAPE", "V-USAGE"))
def result_content(ev: Evidence) -> Iterator[Outcome]:
    """A completed job carries content[0] {type: video, url, mime_type} where its provider has a URL, and usage."""
    done = _completed(ev)
    if not done:
        raise Skip("no job completed")
    for job, ex, video in done:
        provider = provider_of(video, job)
        content = video.get("content")
        if content is None:
            if provider in STREAMED:
                yield Observed(f"{job.job_id} ({provider}, streamed) completed without content: allowed")
            else:
                yield Finding.of(
                    f"completed {provider} job has no content[0].url",
                    "content: [{type: video, url: <signed URL>, mime_type}] (gateway.md §3)",
                    str(sorted(video))[:200],
                    ex,
                    job.job_id,
                )
        elif (
            not isinstance(content, list)
            or not content
            or not isinstance(content[0], dict)
            or content[0].get("type") != "video"
            or not isinstance(content[0].get("url"), str)
            or not isinstance(content[0].get("mime_type"), (str, type(None)))
        ):
            yield Finding.of("malformed content", "[{type: video, url: str, mime_type: str|null}]", str(content), ex)
        else:
            yield Observed(f"{job.job_id} ({provider}) content[0].url present, mime_type={content[0]['mime_type']}")
        usage = video.get("usage")
        if usage is not None:
            details = usage.get("cost_details") if isinstance(usage, dict) else None
            if not isinstance(details, dict) or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool)
                for x in (usage.get("cost"), details.get("video_output_cost"), details.get("image_input_cost"))
            ):
                yield Finding.of(
                    "malformed usage", "{cost, cost_details{video_output_cost, image_input_cost}}", str(usage), ex
                )


def _failed(ev: Evidence) -> list[tuple[JobRun, Any, dict[str, Any]]]:
    jobs = list(ev.jobs) + ([ev.timeout_job] if ev.timeout_job else []) + ev.scenario_jobs
    out = []
    for job in jobs:
        failed = [(ex, v) for ex, v in job.videos() if v.get("status") == "failed"]
        if failed:
            out.append((job, *failed[-1]))
    return out


@registry.check(
    family="B", name="b9_error_codes", rules=("V-ERROR-SHAPE", "V-ERROR-CODE", "V-USAGE-FAILED", "N-POLL-ERRORS")
)
def error_codes(ev: Evidence) -> Iterator[Outcome]:
    """A failed job's `error` has a message and the code of its failure kind (moderation, timeout, …)."""
    failed = _failed(ev)
    if not failed:
        raise Skip("no job failed (failure kinds are provoked on vidmock only)")
    for job, ex, video in failed:
        error = video.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        want = job.spec.expect_code
        if not isinstance(error, dict) or not isinstance(error.get("message"), str) or not error["message"]:
            yield Finding.of(
                "failed job without an error message", "error: {code, message}", str(error), ex, job.job_id
            )
        elif want is not None and code != want:
            yield Finding.of(
                f"failed {job.spec.label} job's error code is {code!r}",
                f"code {want!r}",
                str(error)[:200],
                ex,
                job.job_id,
            )
        elif want is None and not isinstance(code, str):
            yield Finding.of("failed job's error has no code", "a string code", str(error)[:200], ex, job.job_id)
        elif isinstance(video.get("usage"), dict) and video["usage"].get("cost") not in (0, 0.0):
            yield Finding.of("a failed job was charged", "usage.cost 0 (gateway.md §3)", str(video["usage"]), ex)
        else:
            yield Observed(f"{job.spec.label} failed with code {code!r}")


@registry.check(family="B", name="b11_gateway_timeout", rules=("V-TIMEOUT", "N-JOB-TIMEOUT"))
def gateway_timeout(ev: Evidence) -> Iterator[Outcome]:
    """A job still running 3600 s after create fails with code `timeout`, the documented message, progress 100."""
    if ev.timeout_job is None:
        raise Skip(ev.access_skips.get("timeout", "the access driver did not run"))
    job = ev.timeout_job
    videos = job.videos()
    if job.job_id is None or len(videos) < 2:
        yield Finding.of("could not follow the stuck job", "200 create and two reads", job.create.summary(), job.create)
        return
    (_, before), (ex, after) = videos[0], videos[-1]
    if before.get("status") not in ("queued", "in_progress"):
        raise Skip(f"the stuck job was already {before.get('status')} after 60 s; the scenario did not hold it")
    raw_error = after.get("error")
    error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
    created, done = after.get("created_at"), after.get("completed_at")
    problems = []
    if after.get("status") != "failed":
        problems.append(f"status {after.get('status')!r}")
    if error.get("code") != "timeout" or error.get("message") != TIMEOUT_MESSAGE:
        problems.append(f"error {error!r}"[:200])
    if after.get("progress") != 100:
        problems.append(f"progress {after.get('progress')!r}")
    if not (isinstance(created, int) and isinstance(done, int) and TIMEOUT <= done - created <= TIMEOUT + POLL_SLACK):
        problems.append(f"completed_at - created_at = {done!r} - {created!r}")
    if problems:
        yield Finding.of(
            f"a job in progress for {TIMEOUT + 70} s did not time out as documented: " + "; ".join(problems),
            f"failed, error.code timeout, {TIMEOUT_MESSAGE!r}, progress 100, completed_at ≈ created_at + {TIMEOUT}",
            ex.summary(300),
            ex,
            job.job_id,
        )
    else:
        yield Observed(f"{job.job_id}: {before.get('status')} at +60 s, failed/timeout at +{done} - {created} s")


@registry.check(family="B", name="b12_content_headers", rules=("C-CONTENT-TYPE", "C-CONTENT-LENGTH", "C-ACCEPT-RANGES"))
def content_headers(ev: Evidence) -> Iterator[Outcome]:
    """Video bytes come with Content-Type video/* (the job's mime_type), an exact Content-Length, Accept-Ranges."""
    jobs = [j for j in ev.jobs if j.downloads and j.downloads[0].status == 200]
    if not jobs:
        raise Skip("no job completed")
    for job in jobs:
        content = next((v.get("content") for _, v in reversed(job.videos()) if v.get("content")), None)
        mime = (
            content[0].get("mime_type")
            if isinstance(content, list) and content and isinstance(content[0], dict)
            else None
        )
        want = mime or "video/mp4"
        for ex in [job.downloads[0], *([job.signed] if job.signed is not None and job.signed.status == 200 else [])]:
            h = ex.response_headers
            ctype = h.get("content-type", "").split(";")[0].strip()
            length = h.get("content-length")
            if ctype != want or length != str(len(ex.response_body)) or h.get("accept-ranges") != "bytes":
                yield Finding.of(
                    "video served with wrong headers",
                    f"Content-Type: {want}, Content-Length: {len(ex.response_body)}, Accept-Ranges: bytes",
                    f"Content-Type: {h.get('content-type')}, Content-Length: {length}, "
                    f"Accept-Ranges: {h.get('accept-ranges')}",
                    ex,
                    job.job_id,
                )
                break
            yield Observed(f"{job.job_id}: {ctype}, {length} bytes, Accept-Ranges: bytes")


@registry.check(family="B", name="b13_usage_priced", rules=("V-PRICES",))
def usage_priced(ev: Evidence) -> Iterator[Outcome]:
    """A completed job's `usage` is what the target's own published prices say (GET /v1/models): the
    per-second rate for its resolution and audio × seconds, plus the image price × input images."""
    if ev.prices is None:
        raise Skip("the target publishes no prices (GET /v1/models): nothing to price a job against")
    priced = 0
    for job, ex, video in _completed(ev):
        usage, seconds = video.get("usage"), video.get("seconds", job.spec.body.get("seconds"))
        # G1 names the provider that made it (`provider/model`): that provider's table; else any of the model's.
        model = str(video.get("model") or job.spec.body.get("model") or "")
        tables = ev.prices.get(model) or ev.prices.get(model.split("/", 1)[-1]) or []
        details = usage.get("cost_details") if isinstance(usage, dict) else None
        if not tables or not isinstance(usage, dict) or not isinstance(details, dict) or not isinstance(seconds, int):
            continue  # unpriced model, or usage malformed (b8_result_content says so)
        priced += 1
        got = (details.get("video_output_cost"), details.get("image_input_cost"), usage.get("cost"))
        wanted = {p.provider: expected_costs(p, job.spec.body, seconds) for p in tables}
        if any(_same(got, want) for want in wanted.values()):
            yield Observed(f"{job.job_id} ({model}, {seconds} s): usage {got[2]} matches the published price")
            continue
        yield Finding.of(
            f"usage of {model} for {seconds} s is not its published price",
            "; ".join(f"{provider}: video {w[0]}, images {w[1]}, cost {w[2]}" for provider, w in wanted.items()),
            f"video {got[0]}, images {got[1]}, cost {got[2]}",
            ex,
            job.job_id,
        )
    if not priced:
        raise Skip("no completed job of a model the target prices carried usage")


def _same(got: tuple[Any, Any, Any], want: tuple[float, float, float]) -> bool:
    return all(
        isinstance(g, (int, float)) and not isinstance(g, bool) and abs(g - w) < 1e-6
        for g, w in zip(got, want, strict=True)
    )
