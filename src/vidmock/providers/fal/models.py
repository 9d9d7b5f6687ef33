"""fal.ai queue requests: the endpoints served, input validation, and a request at a given time.

providers.md §11 gives the queue protocol; what it leaves open is chosen here (marked "chosen"):

- **Endpoints.** A model id is ``owner/app[/path]`` (``fal-ai/kling-video/v2/master/text-to-video``);
  submits go to the full id, status/result/cancel to ``owner/app`` only (§11.1). ``ENDPOINTS`` lists
  the video endpoints served, each with its input schema as fal publishes it (enum strings such as
  ``"5"`` or ``"8s"`` for ``duration``); any model id in ``config.latency`` is served too, with a
  generic schema (prompt, duration 1–15, three aspect ratios).
- **Validation happens in the model app, not in the queue** (chosen; the reference's webhook error
  example, ``"Invalid status code: 422"`` with a ``detail`` payload, is a model's 422 seen through the
  queue): a submit with bad input is accepted, and the request ends ``COMPLETED`` with an error when
  its runner picks it up; the result answers the model's 422 with pydantic's error list.
  ``FalOptions(validate_on_submit=True)`` answers that 422 at submit instead.
- **Statuses.** ``IN_QUEUE`` → ``IN_PROGRESS`` → ``COMPLETED`` (§11.2), from the job's plan; a failed,
  expired or cancelled request is ``COMPLETED`` with ``error`` (a message) and ``error_type`` (the
  Python SDK reads both). ``FAILED``/``CANCELED`` (the "optional" third-party values) are not used.
- **Result and files.** The result is ``{"video": {"url", "content_type", "file_name"}}`` (§11.2,
  unverified); the URL is a CDN-style file on this emulator (no auth, byte ranges) kept 7 days
  (chosen). fal's API docs keep the result JSON 1 hour after completion (a small result), then the
  result route answers 404 (chosen).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..base import PlannedRecord
from .errors import validation_error

KIND = "fal.request"
CONTENT_TTL = 7 * 24 * 3600.0  # fal.media file URLs (chosen: the reference gives no lifetime)
RESULT_TTL = 3600.0  # fal's API docs: results are kept 1 hour after completion
MAX_PROMPT = 2500  # Kling's and Veo's fal schemas cap the prompt at 2500 characters
RESOLUTION_HEIGHT = {"480p": 480, "512p": 512, "720p": 720, "768p": 768, "1080p": 1080}


@dataclass(frozen=True)
class FalOptions:
    """Behaviours the reference leaves open; the defaults are the most plausible reading."""

    validate_on_submit: bool = False  # True: bad input is a 422 at submit, not a failed request
    cancel_running: bool = False  # True: a cancel stops an IN_PROGRESS request too (fal signals the runner)
    status_202: bool = True  # status answers 202 until COMPLETED, then 200 (fal's API docs)
    result_ttl: float | None = RESULT_TTL  # None: the result JSON never expires
    content_ttl: float = CONTENT_TTL
    keys: tuple[str, ...] = ()  # accepted "key_id:key_secret" keys; empty: any well-formed key


@dataclass(frozen=True)
class Endpoint:
    """One model endpoint's input schema and render time."""

    latency: float
    durations: tuple[str, ...]
    default_duration: str
    aspect_ratios: tuple[str, ...]
    default_aspect: str
    resolutions: tuple[str, ...] = ("720p",)
    default_resolution: str = "720p"
    image: bool = False  # image-to-video: image_url is required
    audio: bool | None = None  # None: no generate_audio input (silent clip); else its default


_KLING = {
    "durations": ("5", "10"),
    "default_duration": "5",
    "aspect_ratios": ("16:9", "9:16", "1:1"),
    "default_aspect": "16:9",
}
_VEO = {
    "durations": ("8s",),
    "default_duration": "8s",
    "aspect_ratios": ("16:9", "9:16"),
    "default_aspect": "16:9",
    "resolutions": ("720p", "1080p"),
    "default_resolution": "720p",
    "audio": True,
}
ENDPOINTS: dict[str, Endpoint] = {
    "fal-ai/kling-video/v2/master/text-to-video": Endpoint(180.0, **_KLING),  # type: ignore[arg-type]
    "fal-ai/kling-video/v2/master/image-to-video": Endpoint(180.0, image=True, **_KLING),  # type: ignore[arg-type]
    "fal-ai/veo3": Endpoint(90.0, **_VEO),  # type: ignore[arg-type]
    "fal-ai/veo3/fast": Endpoint(60.0, **_VEO),  # type: ignore[arg-type]
    "fal-ai/minimax/hailuo-02/standard/text-to-video": Endpoint(
        120.0, ("6", "10"), "6", ("16:9",), "16:9", ("768p",), "768p"
    ),
    "fal-ai/bytedance/seedance/v1/pro/text-to-video": Endpoint(
        60.0,
        tuple(str(n) for n in range(2, 13)),
        "5",
        ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16"),
        "16:9",
        ("480p", "720p", "1080p"),
        "1080p",
    ),
}
# Seconds from submit to COMPLETED per model id, overridable by ``config.latency[model_id]``.
DEFAULT_LATENCY: dict[str, float] = {name: spec.latency for name, spec in ENDPOINTS.items()}


def generic_endpoint(latency: float) -> Endpoint:
    """The schema for a model id known only from ``config.latency``."""
    return Endpoint(latency, tuple(str(n) for n in range(1, 16)), "5", ("16:9", "9:16", "1:1"), "16:9")


def split_model_id(path: str) -> tuple[str, str, str] | None:
    """``owner/app[/path]`` → (owner, app, path); None when there are fewer than two segments."""
    parts = path.strip("/").split("/")
    if len(parts) < 2 or not all(parts):
        return None
    return parts[0], parts[1], "/".join(parts[2:])


# -- input validation (the model app's pydantic, as error objects) -----------------------------------


def _choices(values: tuple[str, ...]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _literal(
    body: dict[str, Any], key: str, allowed: tuple[str, ...], default: str, errors: list[dict[str, Any]]
) -> str:
    value = body.get(key, default)
    if value not in allowed or not isinstance(value, str):
        errors.append(
            {**validation_error(["body", key], f"Input should be {_choices(allowed)}", "literal_error"), "input": value}
        )
        return default
    return value


def validate_input(spec: Endpoint, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(fields, errors): what the request renders, and pydantic's errors for a 422 (empty when valid)."""
    if not isinstance(body, dict):
        return {}, [
            validation_error(
                ["body"], "Input should be a valid dictionary or object to extract fields from", "model_attributes_type"
            )
        ]
    errors: list[dict[str, Any]] = []
    prompt = body.get("prompt")
    if prompt is None:
        errors.append(validation_error(["body", "prompt"], "Field required", "missing"))
    elif not isinstance(prompt, str):
        errors.append(validation_error(["body", "prompt"], "Input should be a valid string", "string_type"))
    elif not prompt.strip():
        errors.append(
            validation_error(["body", "prompt"], "String should have at least 1 character", "string_too_short")
        )
    elif len(prompt) > MAX_PROMPT:
        errors.append(
            validation_error(
                ["body", "prompt"], f"String should have at most {MAX_PROMPT} characters", "string_too_long"
            )
        )
    image_url = body.get("image_url")
    if spec.image and image_url is None:
        errors.append(validation_error(["body", "image_url"], "Field required", "missing"))
    elif image_url is not None and (not isinstance(image_url, str) or not image_url):
        errors.append(validation_error(["body", "image_url"], "Input should be a valid URL or data URI", "url_type"))
    duration = _literal(body, "duration", spec.durations, spec.default_duration, errors)
    aspect = _literal(body, "aspect_ratio", spec.aspect_ratios, spec.default_aspect, errors)
    resolution = _literal(body, "resolution", spec.resolutions, spec.default_resolution, errors)
    audio = False
    if spec.audio is not None:
        audio = body.get("generate_audio", spec.audio)
        if not isinstance(audio, bool):
            errors.append(validation_error(["body", "generate_audio"], "Input should be a valid boolean", "bool_type"))
            audio = spec.audio
    seed = body.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        errors.append(validation_error(["body", "seed"], "Input should be a valid integer", "int_type"))
        seed = None
    width, height = dimensions(aspect, resolution)
    fields = {
        "prompt": prompt if isinstance(prompt, str) else "",
        "width": width,
        "height": height,
        "seconds": int(duration.rstrip("s")),
        "audio": audio,
        "seed": seed or 0,
    }
    return fields, errors


def dimensions(aspect: str, resolution: str) -> tuple[int, int]:
    """Pixels for an aspect ratio at a resolution (the short side), rounded to even numbers."""
    w, h = (int(x) for x in aspect.split(":"))
    short = RESOLUTION_HEIGHT.get(resolution, 720)
    long = 2 * round(short * max(w, h) / min(w, h) / 2)
    return (long, short) if w >= h else (short, long)


# -- a request over time -------------------------------------------------------------------------------


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


@dataclass
class FalRequest(PlannedRecord):
    id: str
    model_id: str
    owner: str
    app: str
    created_at: float
    user_id: str
    prompt: str
    width: int
    height: int
    seconds: int
    audio: bool
    seed: int
    plan: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)  # the model app's 422, raised when it starts
    webhook_url: str | None = None
    cancelled_at: float | None = None  # set only by a cancel that took effect
    seq: int = 0  # submit order, for queue positions (many requests share one virtual instant)

    def started_at(self) -> float | None:
        """When a runner picks the request up: the plan's first step past ``queued``."""
        for at, status, _ in self.job_plan().steps:
            if status != "queued":
                return self.created_at + at
        return None

    def phase(self, now: float) -> tuple[str, str]:
        """(fal status, outcome): outcome is the plan's generic status, or ``invalid`` / ``canceled``."""
        if self.cancelled_at is not None and now >= self.cancelled_at:
            return "COMPLETED", "canceled"
        start = self.started_at()
        if self.errors:
            return ("COMPLETED", "invalid") if start is not None and now >= start else ("IN_QUEUE", "queued")
        generic = self.job_plan().state_at(now - self.created_at)[0]
        if generic == "queued":
            return "IN_QUEUE", generic
        if generic == "in_progress":
            return "IN_PROGRESS", generic
        return "COMPLETED", generic

    def completed_at(self, now: float) -> float | None:
        status, outcome = self.phase(now)
        if status != "COMPLETED":
            return None
        if outcome == "canceled":
            return self.cancelled_at
        if outcome == "invalid":
            return self.started_at()
        finishes = self.job_plan().finishes_at
        return self.created_at + (finishes or 0.0)

    def next_change(self, now: float) -> float | None:
        """The next time the status (or its logs) can change, for the status stream; None if never."""
        times = [self.created_at + at for at, _, _ in self.job_plan().steps]
        later = [t for t in times if t > now]
        return min(later) if later else None

    # -- failures --------------------------------------------------------------------------------
    def failure(self, now: float) -> tuple[int, dict[str, Any], str, str] | None:
        """(HTTP status, result body, status ``error``, ``error_type``) of a failed request, else None."""
        status, outcome = self.phase(now)
        if status != "COMPLETED" or outcome == "completed":
            return None
        if outcome == "canceled":
            return 400, {"detail": "Request was cancelled."}, "Request was cancelled.", "request_cancelled"
        if outcome == "invalid":
            first = self.errors[0]
            where = ".".join(str(part) for part in first["loc"])
            return 422, {"detail": self.errors}, f"{where}: {first['msg']}", first["type"]
        if outcome == "expired":
            return 504, {"detail": "Request timed out."}, "Request timed out.", "generation_timeout"
        error = self.job_plan().error or {}
        code = str(error.get("code") or "internal_server_error")
        message = str(error.get("message") or "Internal server error")
        http = error.get("status")
        if not (isinstance(http, int) and 400 <= http <= 599):
            http = 422 if code == "content_policy_violation" else 500
        if http == 422:
            return 422, {"detail": [validation_error(["body", "prompt"], message, code)]}, message, code
        return http, {"detail": message}, message, code

    # -- rendering -------------------------------------------------------------------------------
    def urls(self, base_url: str) -> dict[str, str]:
        root = f"{base_url}/{self.owner}/{self.app}/requests/{self.id}"
        return {"response_url": root, "status_url": f"{root}/status", "cancel_url": f"{root}/cancel"}

    def logs(self, now: float) -> list[dict[str, Any]]:
        """The runner's log lines so far (chosen texts; fal's shape: message, level, source, timestamp)."""
        out: list[dict[str, Any]] = []
        start = self.started_at()
        if start is None or now < start:
            return out
        out.append(_log("Starting video generation.", start))
        done = self.completed_at(now)
        if done is None:
            for at, status, progress in self.job_plan().steps:
                t = self.created_at + at
                if status == "in_progress" and progress and start < t <= now:
                    out.append(_log(f"Generating: {progress}%", t))
            return out
        failure = self.failure(now)
        if failure is None:
            out.append(_log("Video generated.", done))
        elif failure[3] != "request_cancelled":
            out.append(_log(failure[2], done, "ERROR"))
        return out

    def render_status(self, now: float, base_url: str, position: int, with_logs: bool) -> dict[str, Any]:
        status, _ = self.phase(now)
        body: dict[str, Any] = {"status": status, "request_id": self.id, **self.urls(base_url)}
        if status == "IN_QUEUE":
            body["queue_position"] = position
            return body
        body["logs"] = self.logs(now) if with_logs else None
        if status == "COMPLETED":
            failure = self.failure(now)
            start, done = self.started_at(), self.completed_at(now)
            ran = failure is None and start is not None and done is not None
            body["metrics"] = {"inference_time": round(done - start, 3)} if ran else {}  # type: ignore[operator]
            if failure is not None:
                body["error"], body["error_type"] = failure[2], failure[3]
        return body

    def output(self, base_url: str) -> dict[str, Any]:
        """The model's output JSON (the result of a successful request)."""
        return {"video": {"url": self.file_url(base_url), "content_type": "video/mp4", "file_name": "output.mp4"}}

    def file_url(self, base_url: str) -> str:
        return f"{base_url}/files/{self.id}/output.mp4"

    def content_available(self, now: float, ttl: float) -> bool:
        status, outcome = self.phase(now)
        done = self.completed_at(now)
        if status != "COMPLETED" or outcome != "completed" or done is None:
            return False
        plan_ttl = self.job_plan().content_expires_after
        return now < done + (ttl if plan_ttl is None else plan_ttl)

    def result_expired(self, now: float, ttl: float | None) -> bool:
        done = self.completed_at(now)
        return ttl is not None and done is not None and now >= done + ttl and math.isfinite(ttl)


def _log(message: str, at: float, level: str = "INFO") -> dict[str, Any]:
    return {"message": message, "level": level, "source": "user", "timestamp": iso(at)}
