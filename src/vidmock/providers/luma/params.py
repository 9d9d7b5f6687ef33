"""What a Luma create, upscale or audio request may hold: the body schema, then Luma's own rules.

Split from ``models.py`` (the records): this module only reads a request body and either returns the
fields a ``Generation`` is built from or raises the provider's error (providers.md §10).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .errors import bad_request, invalid, issue
from .models import (
    ASPECT_RATIOS,
    CONCEPTS,
    DEFAULT_ASPECT,
    DEFAULT_DURATION,
    DEFAULT_RESOLUTION,
    DURATIONS,
    MODEL_DURATIONS,
    MODEL_RESOLUTIONS,
    MODELS,
    RESOLUTIONS,
    SHORT_SIDE,
    Generation,
    dimensions,
    resolution_of,
)

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
