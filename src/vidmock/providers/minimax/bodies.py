"""Validating MiniMax create bodies: v1 ``POST /v1/video_generation`` (providers.md §6.2) and v2
``POST /v2/video_generation`` (gateway.md §5.3; MiniMax's V2 API reference for the content items).

Both raise ``MinimaxError(2013, "invalid params, …")``; the detail wording is chosen.
"""

from __future__ import annotations

from typing import Any

from .errors import MinimaxError, invalid
from .models import V1_MODELS, V1_SHORT_SIDE, V2_MODELS, V2_RATIOS, V2_SHORT_SIDE

MAX_PROMPT = 2000
V2_ROLES = {
    "image_url": ("first_frame", "last_frame", "reference_image"),
    "video_url": ("reference_video",),
    "audio_url": ("reference_audio",),
}


def _image_ref(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://", "data:", "mm_file://"))


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_v1(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object")
    model = body.get("model")
    if model not in V1_MODELS:
        raise invalid(f"model {model!r} is not supported")
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str) or len(prompt) > MAX_PROMPT:
        raise invalid(f"prompt must be a string of at most {MAX_PROMPT} characters")
    first, last = body.get("first_frame_image"), body.get("last_frame_image")
    for name, value in (("first_frame_image", first), ("last_frame_image", last)):
        if value is not None and not _image_ref(value):
            raise invalid(f"{name} must be a URL or a base64 data URL")
    if not prompt.strip() and first is None:
        raise invalid("prompt is required")
    if model.startswith("I2V") and first is None:
        raise invalid(f"first_frame_image is required for {model}")
    duration = body.get("duration", 6)
    if not _int(duration) or duration not in (6, 10):
        raise invalid(f"duration must be 6 or 10, got {duration!r}")
    resolution = body.get("resolution", "768P")
    if resolution not in V1_SHORT_SIDE:
        raise invalid(f"resolution must be one of {', '.join(V1_SHORT_SIDE)}, got {resolution!r}")
    if resolution == "1080P" and duration != 6:
        raise invalid("1080P resolution only supports a duration of 6 seconds")
    callback = body.get("callback_url")
    if callback is not None and not (isinstance(callback, str) and callback.startswith(("http://", "https://"))):
        raise invalid("callback_url must be an http(s) URL")
    return {
        "version": 1,
        "model": model,
        "prompt": prompt,
        "duration": duration,
        "resolution": resolution,
        "ratio": "16:9",
        "audio": False,
        "first_frame": first is not None,
        "last_frame": last is not None,
        "callback_url": callback,
    }


def parse_v2(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object")
    model = body.get("model")
    if model not in V2_MODELS:
        raise invalid(f"model {model!r} is not supported")
    content = body.get("content")
    if not isinstance(content, list) or not content:
        raise invalid("content must include a non-empty text item (prompt is required)")
    texts: list[str] = []
    roles: list[str] = []
    for i, item in enumerate(content):
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "text":
            text = item.get("text")
            if not isinstance(text, str):
                raise invalid(f"content[{i}].text must be a string")
            texts.append(text)
            continue
        if kind not in V2_ROLES:
            raise invalid(f"content[{i}].type must be one of text, image_url, video_url, audio_url")
        media = item.get(kind)
        if not isinstance(media, dict) or not _image_ref(media.get("url")):
            raise invalid(f"content[{i}].{kind}.url must be a URL, an mm_file:// reference or a data URI")
        role = item.get("role")
        if role not in V2_ROLES[kind]:
            raise invalid(f"content[{i}].role must be one of {', '.join(V2_ROLES[kind])}")
        roles.append(role)
    if len(texts) != 1 or not texts[0].strip():
        raise invalid("content must include a non-empty text item (prompt is required)")
    if len(texts[0]) > MAX_PROMPT:
        raise invalid(f"prompt must be at most {MAX_PROMPT} characters")
    frames = [r for r in roles if r in ("first_frame", "last_frame")]
    if frames and len(frames) != len(roles):
        raise invalid("first_frame/last_frame and reference_* roles cannot be used together")
    if any(frames.count(r) > 1 for r in ("first_frame", "last_frame")):
        raise invalid("at most one first_frame and one last_frame image are allowed")
    duration = body.get("duration")
    if not isinstance(duration, int) or isinstance(duration, bool) or not 5 <= duration <= 15:
        raise invalid(f"duration must be an integer from 5 to 15, got {duration!r}")
    resolution = body.get("resolution", "768P")
    if resolution not in V2_SHORT_SIDE:
        raise invalid(f"resolution must be one of {', '.join(V2_SHORT_SIDE)}, got {resolution!r}")
    ratio = body.get("ratio", "adaptive")
    if ratio not in V2_RATIOS:
        raise invalid(f"ratio must be one of {', '.join(V2_RATIOS)}, got {ratio!r}")
    if frames:
        ratio = "adaptive"  # ignored with key frames: the output follows the image
    elif ratio == "adaptive":
        raise invalid("ratio is required for text-to-video and cannot be adaptive")
    callback = body.get("callback_url")
    if callback is not None and not isinstance(callback, str):
        raise invalid("callback_url must be a string")
    return {
        "version": 2,
        "model": model,
        "prompt": texts[0],
        "duration": duration,
        "resolution": resolution,
        "ratio": ratio,
        "audio": True,
        "first_frame": "first_frame" in frames,
        "last_frame": "last_frame" in frames,
        "callback_url": callback,
    }


__all__ = ["MinimaxError", "parse_v1", "parse_v2"]
