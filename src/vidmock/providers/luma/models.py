"""Luma Dream Machine generations: what was asked, and what a generation looks like at a given time.

Per providers.md §10 and the official SDK (``lumaai``, ``types/generation.py``): a generation is
``{id (UUIDv4), generation_type, state, failure_reason, created_at (ISO), assets, model, request}``
and moves ``queued`` → ``dreaming`` → ``completed`` | ``failed``, as a pure function of the clock (the
job's ``JobPlan``: ``in_progress`` renders as ``dreaming``; a scenario's ``expired`` or ``canceled``,
which Luma does not have, render as ``failed``).

Choices where the reference is silent (not in the reference: chosen):

* ``assets`` is ``null`` until the generation is completed, then ``{"video", "image"}`` (the clip and
  a JPEG thumbnail, CDN-style files on this emulator, no auth), as Luma answers in the wild;
* ``created_at`` is ISO 8601 in UTC with microseconds (``2024-12-26T08:36:58.236000Z``, as seen);
* ``failure_reason`` is the scenario's error message, else Luma's "Job failed";
* ``request`` echoes the video request with defaults filled in and unset fields as ``null``;
* asset URLs never expire unless ``LumaOptions.content_ttl`` or the scenario says so (the
  reference lists URL expiry as an open question);
* pixel sizes: the resolution names the short side (720p 16:9 is 1280x720, 720p 9:16 720x1280).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ..base import PlannedRecord
from .errors import bad_request, invalid, issue

KIND = "luma.generation"
MODELS = ("ray-2", "ray-flash-2", "ray-1-6")
# Seconds from submit to completed (not in the reference: chosen; Ray 2 takes a couple of minutes,
# Flash well under one). ``ctx.config.latency[key]`` overrides, upscale and audio included.
DEFAULT_LATENCY: dict[str, float] = {
    "ray-2": 120.0,
    "ray-flash-2": 45.0,
    "ray-1-6": 90.0,
    "upscale": 60.0,
    "add_audio": 30.0,
    "modify_video": 90.0,  # changes-2026-12.md §4.5 (edits.py)
    "reframe_video": 60.0,
}
ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
SHORT_SIDE = {"540p": 540, "720p": 720, "1080p": 1080, "4k": 2160}
DURATIONS = {"5s": 5, "9s": 9}
# What each model takes (chosen: Ray 2 and Flash as the SDK lists; Ray 1.6 predates both options).
MODEL_RESOLUTIONS = {"ray-2": RESOLUTIONS, "ray-flash-2": RESOLUTIONS, "ray-1-6": ("720p",)}
MODEL_DURATIONS = {"ray-2": ("5s", "9s"), "ray-flash-2": ("5s", "9s"), "ray-1-6": ("5s",)}
DEFAULT_RESOLUTION, DEFAULT_DURATION, DEFAULT_ASPECT = "720p", "5s", "16:9"
# ``GET /generations/concepts/list`` (keys chosen: Luma's camera-motion concepts).
CONCEPTS = (
    "aerial",
    "aerial_drone",
    "bolt_cam",
    "crane_down",
    "crane_up",
    "dolly_zoom",
    "elevator_doors",
    "eye_level",
    "ground_level",
    "handheld",
    "high_angle",
    "low_angle",
    "orbit_left",
    "orbit_right",
    "over_the_shoulder",
    "overhead",
    "pan_left",
    "pan_right",
    "pedestal_down",
    "pedestal_up",
    "pov",
    "pull_out",
    "push_in",
    "roll_left",
    "roll_right",
    "selfie",
    "static",
    "tilt_down",
    "tilt_up",
    "tiny_planet",
    "truck_left",
    "truck_right",
    "zoom_in",
    "zoom_out",
)
STATES = {
    "queued": "queued",
    "in_progress": "dreaming",
    "completed": "completed",
    "failed": "failed",
    "expired": "failed",
    "canceled": "failed",
}
TERMINAL = frozenset({"completed", "failed"})
FAILURE_REASONS = {"failed": "Job failed", "expired": "Generation expired", "canceled": "Generation cancelled"}


@dataclass(frozen=True)
class LumaOptions:
    """Where the reference is open, the behaviour can be chosen per plugin (``make_plugin``)."""

    api_keys: tuple[str, ...] = ()  # accepted keys; empty: any non-empty Bearer key
    delete_status: int = 204  # the SDK reads no body from DELETE; 200 answers ``null`` instead
    content_ttl: float | None = None  # seconds an asset URL lives after completion; None: for ever


@dataclass
class Generation(PlannedRecord):
    id: str
    seq: int  # creation order, for the list (the store orders by last write)
    model: str
    created_at: float
    prompt: str
    request: dict[str, Any]  # Luma's ``request`` field, as rendered
    width: int
    height: int
    seconds: int
    audio: bool
    seed: int
    plan: dict[str, Any]
    callback_url: str | None = None
    source: str | None = None  # upscale / add_audio: the generation this one derives from

    def status_at(self, now: float) -> str:
        """The generic plan status (``queued``, ``in_progress``, ``completed``, ``failed``, …)."""
        return self.job_plan().state_at(now - self.created_at)[0]

    def state_at(self, now: float) -> str:
        """Luma's ``state`` at ``now``."""
        return STATES.get(self.status_at(now), "failed")

    def content_available(self, now: float, ttl: float | None) -> bool:
        if self.status_at(now) != "completed":
            return False
        plan = self.job_plan()
        ttl = plan.content_expires_after if plan.content_expires_after is not None else ttl
        return ttl is None or now < self.created_at + (plan.finishes_at or 0.0) + ttl

    def failure_reason(self, status: str) -> str:
        message = (self.job_plan().error or {}).get("message")
        return str(message) if message else FAILURE_REASONS.get(status, "Job failed")

    def render(self, now: float, base_url: str) -> dict[str, Any]:
        """The Generation object as ``GET /generations/{id}`` (and a callback) carries it at ``now``."""
        status = self.status_at(now)
        state = STATES.get(status, "failed")
        assets = None
        if state == "completed":
            assets = {"video": f"{base_url}/files/{self.id}.mp4", "image": f"{base_url}/files/{self.id}.jpg"}
        return {
            "id": self.id,
            "generation_type": "video",
            "state": state,
            "failure_reason": self.failure_reason(status) if state == "failed" else None,
            "created_at": iso(self.created_at),
            "assets": assets,
            "model": self.model,
            "request": self.request,
        }


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dimensions(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """(width, height): the resolution is the short side, the other side follows the ratio (even)."""
    w, h = (int(x) for x in aspect_ratio.split(":"))
    short = SHORT_SIDE[resolution]
    long = int(round(short * max(w, h) / min(w, h)))
    long -= long % 2
    return (long, short) if w >= h else (short, long)


def resolution_of(width: int, height: int) -> str:
    """The resolution name of a clip (for upscale checks)."""
    short = min(width, height)
    return next((name for name, side in SHORT_SIDE.items() if side == short), "720p")


# -- request validation -------------------------------------------------------------------------------
# Two layers, as a FastAPI service has them: the body schema (pydantic, 422 listing every problem),
# then Luma's own rules (400 with the messages of Luma's "Errors" page where it has one).

OBJECT = "Input should be a valid dictionary or object to extract fields from"
MIN_PROMPT, MAX_PROMPT = 3, 5000
Lookup = Callable[[str], "Generation | None"]


def _one_of(values: tuple[str, ...]) -> str:
    quoted = [f"'{v}'" for v in values]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]


class _Schema:
    """Collects pydantic-style errors for one body; ``done`` raises them all at once."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: list[dict[str, Any]] = []

    def add(self, kind: str, loc: tuple[str | int, ...], msg: str, value: Any) -> None:
        self.errors.append(issue(kind, ("body", *loc), msg, value))

    def string(self, key: str) -> str | None:
        value = self.body.get(key)  # an explicit null is an absent optional field
        if value is not None and not isinstance(value, str):
            self.add("string_type", (key,), "Input should be a valid string", value)
            return None
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.body.get(key)
        if value is not None and not isinstance(value, bool):
            self.add("bool_type", (key,), "Input should be a valid boolean", value)
            return None
        return value

    def literal(self, key: str, values: tuple[str, ...], required: bool = False) -> str | None:
        if required and key not in self.body:
            self.add("missing", (key,), "Field required", self.body)
            return None
        value = self.body.get(key)
        if (value is not None or required) and value not in values:
            self.add("literal_error", (key,), f"Input should be {_one_of(values)}", value)
            return None
        return value

    def concepts(self) -> list[str] | None:
        value = self.body.get("concepts")
        if value is None:
            return None
        if not isinstance(value, list):
            self.add("list_type", ("concepts",), "Input should be a valid list", value)
            return None
        keys: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.add("model_attributes_type", ("concepts", i), OBJECT, item)
            elif not isinstance(item.get("key"), str):
                kind, msg = (
                    ("missing", "Field required")
                    if "key" not in item
                    else ("string_type", "Input should be a valid string")
                )
                self.add(kind, ("concepts", i, "key"), msg, item if kind == "missing" else item["key"])
            else:
                keys.append(item["key"])
        return keys

    def keyframes(self) -> dict[str, dict[str, str]] | None:
        raw = self.body.get("keyframes")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.add("model_attributes_type", ("keyframes",), OBJECT, raw)
            return None
        frames: dict[str, dict[str, str]] = {}
        for name in ("frame0", "frame1"):
            frame, loc = raw.get(name), ("keyframes", name)
            if frame is None:
                continue
            if not isinstance(frame, dict):
                self.add("model_attributes_type", loc, OBJECT, frame)
                continue
            kind = frame.get("type")
            if kind not in ("generation", "image"):
                if "type" not in frame:
                    self.add("union_tag_not_found", loc, "Unable to extract tag using discriminator 'type'", frame)
                else:
                    self.add(
                        "union_tag_invalid",
                        loc,
                        f"Input tag '{kind}' found using 'type' does not match any "
                        "of the expected tags: 'generation', 'image'",
                        frame,
                    )
                continue
            field = "url" if kind == "image" else "id"
            value = frame.get(field)
            if value is None:
                self.add("missing", (*loc, kind, field), "Field required", frame)
            elif not isinstance(value, str):
                self.add("string_type", (*loc, kind, field), "Input should be a valid string", value)
            else:
                frames[name] = {"type": kind, field: value}
        return frames

    def done(self) -> None:
        if self.errors:
            raise invalid(self.errors)


def _schema(body: Any) -> _Schema:
    if not isinstance(body, dict):
        raise invalid([issue("model_attributes_type", ("body",), OBJECT, body)])
    return _Schema(body)


def _web_host(url: str) -> str | None:
    """The host of an http(s) URL; None for anything else (``urlsplit`` raises on some garbage)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    return host if parts.scheme in ("http", "https") and host else None


LOOP_MESSAGES = {
    ("image", "image"): "keyframes",
    ("generation", "image"): "interpolate video to image",
    ("image", "generation"): "interpolate image to video",
    ("generation", "generation"): "interpolate between two videos",
    (None, "image"): "end frame",
    (None, "generation"): "extend reverse",
}


def parse_create(body: Any, lookup: Lookup, now: float) -> dict[str, Any]:
    """``POST /generations[/video]`` → the new generation's fields; LumaError (422, 400) otherwise."""
    s = _schema(body)
    model = s.literal("model", MODELS, required=True)
    prompt, aspect = s.string("prompt"), s.literal("aspect_ratio", ASPECT_RATIOS)
    loop, duration, resolution = s.boolean("loop"), s.string("duration"), s.string("resolution")
    callback, kind = s.string("callback_url"), s.string("generation_type")
    concepts, frames = s.concepts(), s.keyframes()
    s.done()
    assert model is not None
    if kind is not None and kind != "video":
        raise bad_request("Unknown request type")  # image generation is not emulated
    if frames is not None and not frames:
        raise bad_request("No keyframes provided")
    f0, f1 = (frames or {}).get("frame0"), (frames or {}).get("frame1")
    text = (prompt or "").strip()
    if not text and not any(f and f["type"] == "image" for f in (f0, f1)):
        raise bad_request("Prompt is required")
    if text and len(text) < MIN_PROMPT:
        raise bad_request("Prompt is too short, minimum length is 3 characters")
    if len(prompt or "") > MAX_PROMPT:
        raise bad_request("Prompt is too long, maximum length is 5000 characters")
    if loop and f1 is not None:
        raise bad_request(f"Loop is not supported for {LOOP_MESSAGES[(f0['type'] if f0 else None, f1['type'])]}")
    for frame in (f0, f1):
        if frame is None:
            continue
        if frame["type"] == "image" and (_web_host(frame["url"]) or ".invalid").endswith(".invalid"):
            # Luma fetches keyframes by URL: a data: URL or an unreachable host fails its moderation
            # step synchronously (providers.md §10.5, "failed to moderate image").
            raise bad_request("failed to moderate image")
        if frame["type"] == "generation":
            ref = lookup(frame["id"])
            if ref is None:
                raise bad_request(f"Keyframe generation {frame['id']} not found")
            if ref.state_at(now) != "completed":
                raise bad_request(f"Keyframe generation {frame['id']} is not completed")
    resolution = resolution or DEFAULT_RESOLUTION
    if resolution not in MODEL_RESOLUTIONS[model]:
        raise bad_request(
            f"Resolution {resolution} is not supported for {model}; supported resolutions are "
            f"{', '.join(MODEL_RESOLUTIONS[model])}"
        )
    duration = duration or DEFAULT_DURATION
    if duration not in MODEL_DURATIONS[model]:
        raise bad_request(
            f"Duration {duration} is not supported for {model}; supported durations are "
            f"{', '.join(MODEL_DURATIONS[model])}"
        )
    for key in concepts or []:
        if key not in CONCEPTS:
            raise bad_request(f"Unknown concept: {key}")
    _check_callback(callback)
    aspect = aspect or DEFAULT_ASPECT
    width, height = dimensions(aspect, resolution)
    request = {
        "generation_type": "video",
        "model": model,
        "prompt": prompt,
        "aspect_ratio": aspect,
        "loop": bool(loop),
        "keyframes": frames or None,
        "callback_url": callback,
        "resolution": resolution,
        "duration": duration,
        "concepts": [{"key": k} for k in concepts] if concepts else None,
    }
    return {
        "model": model,
        "prompt": prompt or "",
        "request": request,
        "width": width,
        "height": height,
        "seconds": DURATIONS[duration],
        "audio": False,
        "callback_url": callback,
    }


def parse_upscale(body: Any, source: Generation, now: float) -> dict[str, Any]:
    """``POST /generations/{id}/upscale`` → a new generation: the source at a higher resolution."""
    s = _schema(body)
    resolution, callback, kind = s.string("resolution"), s.string("callback_url"), s.string("generation_type")
    s.done()
    if kind is not None and kind != "upscale_video":
        raise bad_request("Unknown request type")
    _check_source(source, now)
    resolution = resolution or "1080p"
    if resolution not in RESOLUTIONS:
        raise bad_request(
            f"Resolution {resolution} is not supported; supported resolutions are {', '.join(RESOLUTIONS)}"
        )
    current = resolution_of(source.width, source.height)
    if SHORT_SIDE[resolution] <= SHORT_SIDE[current]:
        raise bad_request(f"Cannot upscale a {current} generation to {resolution}")
    _check_callback(callback)
    aspect = source.request.get("aspect_ratio") or DEFAULT_ASPECT
    width, height = dimensions(aspect, resolution)
    request = {"generation_type": "upscale_video", "resolution": resolution, "callback_url": callback}
    return {
        "model": source.model,
        "prompt": source.prompt,
        "request": request,
        "width": width,
        "height": height,
        "seconds": source.seconds,
        "audio": source.audio,
        "callback_url": callback,
        "source": source.id,
    }


def parse_audio(body: Any, source: Generation, now: float) -> dict[str, Any]:
    """``POST /generations/{id}/audio`` → a new generation: the source with a soundtrack."""
    s = _schema(body)
    prompt, negative = s.string("prompt"), s.string("negative_prompt")
    callback, kind = s.string("callback_url"), s.string("generation_type")
    s.done()
    if kind is not None and kind != "add_audio":
        raise bad_request("Unknown request type")
    _check_source(source, now)
    if len(prompt or "") > MAX_PROMPT or len(negative or "") > MAX_PROMPT:
        raise bad_request("Prompt is too long, maximum length is 5000 characters")
    _check_callback(callback)
    request = {"generation_type": "add_audio", "prompt": prompt, "negative_prompt": negative, "callback_url": callback}
    return {
        "model": source.model,
        "prompt": prompt or source.prompt,
        "request": request,
        "width": source.width,
        "height": source.height,
        "seconds": source.seconds,
        "audio": True,
        "callback_url": callback,
        "source": source.id,
    }


def _check_source(source: Generation, now: float) -> None:
    if source.state_at(now) != "completed":
        raise bad_request(f"Generation {source.id} is not completed")


def _check_callback(url: str | None) -> None:
    if url is not None and _web_host(url) is None:
        raise bad_request("Invalid callback_url: expected an http(s) URL")
