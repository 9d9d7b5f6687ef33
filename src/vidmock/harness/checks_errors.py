"""Family F: error mapping. Each check sends one deliberately wrong request and expects the
documented 4xx in the OpenAI-compatible envelope (gateway.md §1.3, §2), never a 5xx.

Checks here make their own requests (``needs="probes"``); ``f_bad_range`` reads the Range requests
the lifecycle driver made against a completed job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .contract import INVALID_JSON, VALIDATION, envelope_problem, expected_range, message_of
from .evidence import Evidence
from .model import Exchange, Finding, Observed, Outcome
from .registry import Skip, registry

GOOD = {"prompt": "a red fox in snow", "seconds": 4}
Probe = Callable[[Evidence], Exchange]


def _expect(
    ev: Evidence, name: str, send: Probe, status: int, message: Callable[[str], bool], describe: str
) -> Iterator[Outcome]:
    ex = send(ev)
    ev.probes[name] = ex
    body: Any = ex.json()
    if ex.status != status:
        yield Finding.of(
            f"expected {status} for {name.replace('_', ' ')}, got {ex.status}", f"{status} {describe}", ex.summary(), ex
        )
        return
    if problem := envelope_problem(status, body):
        yield Finding.of(
            f"{status} without the error envelope: {problem}",
            '{"error":{"message","type","param","code"}}',
            ex.summary(),
            ex,
        )
        return
    if not message(message_of(body)):
        yield Finding.of(f"unexpected error message for {name.replace('_', ' ')}", describe, message_of(body)[:300], ex)
    else:
        yield Observed(f"{ex.method} {ex.url.removeprefix(ev.target.base_url)} → {ex.status} {message_of(body)[:80]!r}")


def _create(body: Any = None, content: bytes | None = None, **kw: Any) -> Probe:
    return lambda ev: ev.target.post("/v1/videos", json_body=body, content=content, **kw)


def _param(field: str) -> Callable[[str], bool]:
    return lambda m: bool(VALIDATION.match(m)) and field in m


def _exact(entry: str) -> Callable[[str], bool]:
    """The whole message: one issue, its path and its text (gateway.md §2 "Validation error shape")."""
    return lambda m: m == f"Invalid request parameters: {entry}"


PAIR = "callback_url and callback_secret must either both be provided or both be omitted"
IMG = "https://example.com/frame.png"


_CASES: list[tuple[str, str, Probe, int, Callable[[str], bool], str]] = [
    (
        "f_bad_json",
        "Malformed JSON → 400 Invalid JSON in request body",
        _create(content=b'{"prompt": "fox",', headers={"Content-Type": "application/json"}),
        400,
        lambda m: m == INVALID_JSON,
        INVALID_JSON,
    ),
    (
        "f_wrong_type",
        "`seconds` as a string → 400 Invalid request parameters: seconds: …",
        _create({**GOOD, "seconds": "4"}),
        400,
        _param("seconds"),
        "Invalid request parameters: seconds: …",
    ),
    (
        "f_empty_prompt",
        "Empty prompt → 400 Invalid request parameters: prompt: …",
        _create({**GOOD, "prompt": ""}),
        400,
        _param("prompt"),
        "Invalid request parameters: prompt: …",
    ),
    (
        "f_missing_field",
        "Missing `seconds` → 400 naming seconds",
        _create({"prompt": "fox"}),
        400,
        _param("seconds"),
        "Invalid request parameters: seconds: …",
    ),
    (
        "f_lone_callback",
        "callback_url without callback_secret → 400 naming callback_secret",
        _create({**GOOD, "callback_url": "https://example.com/hook"}),
        400,
        _exact(f"callback_secret: {PAIR}"),
        "Invalid request parameters: callback_secret: …",
    ),
    (
        "f_lone_secret",
        "callback_secret without callback_url → 400 naming callback_url (the other direction)",
        _create({**GOOD, "callback_secret": "whsec_lone"}),
        400,
        _exact(f"callback_url: {PAIR}"),
        f"Invalid request parameters: callback_url: {PAIR}",
    ),
    (
        "f_last_frame_alone",
        "last_frame without image → 400 naming last_frame",
        _create({**GOOD, "last_frame": IMG}),
        400,
        _exact("last_frame: last_frame requires image to also be provided"),
        "Invalid request parameters: last_frame: last_frame requires image to also be provided",
    ),
    (
        "f_two_reference_fields",
        "reference_images and input_reference together → 400 naming reference_images",
        _create({**GOOD, "reference_images": [IMG], "input_reference": IMG}),
        400,
        _exact("reference_images: Only one of reference_images or input_reference can be provided for a video request"),
        "Invalid request parameters: reference_images: Only one of reference_images or input_reference …",
    ),
    (
        "f_frames_with_references",
        "image with reference_images → 400 naming image",
        _create({**GOOD, "image": IMG, "reference_images": [IMG]}),
        400,
        _exact("image: Frame inputs (image/last_frame) cannot be combined with reference image inputs"),
        "Invalid request parameters: image: Frame inputs (image/last_frame) cannot be combined with …",
    ),
    (
        "f_bad_size",
        "a size outside the list → 400 naming size",
        _create({**GOOD, "size": "999x999"}),
        400,
        lambda m: m.startswith("Invalid request parameters: size: size must be one of 848x480, "),
        "Invalid request parameters: size: size must be one of 848x480, …",
    ),
    (
        "f_n_not_one",
        "n=2 → 400 naming n",
        _create({**GOOD, "n": 2}),
        400,
        _exact("n: Only n=1 is supported for Veo 3.1 preview models"),
        "Invalid request parameters: n: Only n=1 is supported for Veo 3.1 preview models",
    ),
    (
        "f_unknown_model",
        "Unknown model → 400 Unsupported video model",
        _create({**GOOD, "model": "no-such-model-xyz"}),
        400,
        lambda m: m.startswith("Unsupported video model"),
        "Unsupported video model. …",
    ),
    (
        "f_unknown_id",
        "Unknown job id → 404 Video not found",
        lambda ev: ev.target.get("/v1/videos/vid_does_not_exist_0"),
        404,
        lambda m: m == "Video not found",
        "Video not found",
    ),
    (
        "f_unknown_id_content",
        "Content of an unknown id → 404 Video not found",
        lambda ev: ev.target.get("/v1/videos/vid_does_not_exist_0/content"),
        404,
        lambda m: m == "Video not found",
        "Video not found",
    ),
    (
        "f_no_key",
        "No API key → 401",
        lambda ev: ev.target.get("/v1/videos/vid_does_not_exist_0", auth=False),
        401,
        lambda m: m.startswith("Unauthorized: No API key provided"),
        "Unauthorized: No API key provided…",
    ),
    (
        "f_bad_key",
        "Unknown API key → 401",
        lambda ev: ev.target.get(
            "/v1/videos/vid_does_not_exist_0", auth=False, headers={"Authorization": "Bearer vm-not-a-real-key-000"}
        ),
        401,
        lambda m: m.startswith("Unauthorized: Invalid LLMGateway API token"),
        "Unauthorized: Invalid LLMGateway API token…",
    ),
]


RULES: dict[str, tuple[str, ...]] = {
    "f_bad_json": ("R-INVALID-JSON",),
    "f_wrong_type": ("R-SECONDS", "R-FORMAT"),
    "f_empty_prompt": ("R-PROMPT",),
    "f_missing_field": ("R-SECONDS",),
    "f_lone_callback": ("R-CALLBACK-URL-ALONE",),
    "f_lone_secret": ("R-CALLBACK-SECRET-ALONE",),
    "f_last_frame_alone": ("R-LAST-FRAME",),
    "f_two_reference_fields": ("R-REFERENCE-ONE",),
    "f_frames_with_references": ("R-FRAMES-REFS",),
    "f_bad_size": ("R-SIZE",),
    "f_n_not_one": ("R-N",),
    "f_unknown_model": ("R-UNKNOWN-MODEL",),
    "f_unknown_id": ("S-404-VIDEO", "S-ENVELOPE-META"),
    "f_unknown_id_content": ("S-404-CONTENT",),
    "f_no_key": ("H-AUTH-NONE",),
    "f_bad_key": ("H-AUTH-UNKNOWN",),
}


def _register(name: str, title: str, send: Probe, status: int, message: Callable[[str], bool], describe: str) -> None:
    def check(ev: Evidence) -> Iterator[Outcome]:
        return _expect(ev, name, send, status, message, describe)

    check.__doc__ = title
    registry.check(family="F", name=name, title=title, needs="probes", rules=RULES.get(name, ()))(check)


for _case in _CASES:
    _register(*_case)


@registry.check(family="F", name="f_bad_range", rules=("S-416-RANGE",))
def bad_range(ev: Evidence) -> Iterator[Outcome]:
    """Unsatisfiable ranges on completed content → 416 with Content-Range: bytes */TOTAL."""
    jobs = [j for j in ev.jobs if j.downloads and j.downloads[0].status == 200]
    if not jobs:
        raise Skip("no job completed")
    for job in jobs:
        total = len(job.downloads[0].response_body)
        for rng, ex in job.ranges.items():
            if expected_range(rng, total) is not None:
                continue  # satisfiable: b10_content_bytes_and_ranges judges those
            if ex.status != 416 or ex.response_headers.get("content-range") != f"bytes */{total}":
                yield Finding.of(
                    f"Range {rng} not refused with 416",
                    f"416 Content-Range: bytes */{total}",
                    f"{ex.status} {ex.response_headers.get('content-range')}",
                    ex,
                    job.job_id,
                )
                break
            # Proxied content passes the provider's 416 through with its own body (gateway.md §1.5,
            # and the content operation's description), so only a JSON 416 must be the envelope.
            if ex.response_headers.get("content-type", "").startswith("application/json") and (
                problem := envelope_problem(416, ex.json())
            ):
                yield Finding.of(
                    f"416 without the error envelope: {problem}", "error envelope", ex.summary(), ex, job.job_id
                )
                break
            yield Observed(f"{job.job_id}: Range {rng} → 416 {ex.response_headers.get('content-range')}")
