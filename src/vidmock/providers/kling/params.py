"""Create-body validation for ``POST /v1/videos/text2video`` and ``/v1/videos/image2video`` (§5.2).

Every failure is a KlingError in Kling's envelope: 1200 for a body that is not a JSON object, 1203
(404) for an unknown ``model_name``, 1201 with a specific message for everything else; the messages
are chosen (the docs give only the codes). Unknown fields are ignored, as JSON APIs usually do.

Images (``image``, ``image_tail``) are an http(s) URL (accepted as is: the emulator never fetches) or
raw base64 **without** a ``data:`` prefix (a prefix is refused, as the docs warn); base64 images must be
JPEG or PNG, at most 10 MB, and (``KlingOptions.check_image_size``) at least 300 px a side with an
aspect ratio between 1:2.5 and 2.5:1. Mutually exclusive in image2video (docs): a last frame, the
motion brush (``static_mask``/``dynamic_masks``) and ``camera_control``.
"""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Any

from .errors import KlingError, input_moderation, invalid
from .models import (
    ASPECTS,
    DEFAULT_MODEL,
    INPUT_MODERATION_MARKER,
    MODELS,
    KlingOptions,
    ModelSpec,
    dimensions,
    nearest_aspect,
)

MAX_TEXT = 2500
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MIN_SIDE = 300
MAX_ASPECT = 2.5
DURATIONS = ("5", "10")
MODES = ("std", "pro")
CAMERA_TYPES = ("simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward")
CAMERA_AXES = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")
MAX_ID = 64  # external_task_id length (chosen)
MAX_URL = 2048  # callback_url length (chosen)


def _opt(body: dict[str, Any], key: str) -> Any:
    """An optional field: an explicit null counts as absent (generated clients send unset fields as null)."""
    return body.get(key)


def _text(body: dict[str, Any], key: str, required: bool) -> str:
    value = _opt(body, key)
    if value is None or value == "":
        if required:
            raise invalid(f"{key} is required")
        return ""
    if not isinstance(value, str):
        raise invalid(f"{key} must be a string")
    if len(value) > MAX_TEXT:
        raise invalid(f"{key} must not exceed {MAX_TEXT} characters")
    return value


def _enum(body: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = _opt(body, key)
    if value is None:
        return default
    if value not in allowed:
        raise invalid(f"{key} must be one of {', '.join(allowed)}, got {_show(value)}")
    return str(value)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_create(kind: str, body: Any, options: KlingOptions) -> dict[str, Any]:
    """The task fields of a valid create body for endpoint ``kind``; KlingError otherwise."""
    if not isinstance(body, dict):
        raise KlingError(1200, "Invalid request parameters: the request body must be a JSON object")
    model = _opt(body, "model_name")
    if model is None:
        model = DEFAULT_MODEL
    if not isinstance(model, str):
        raise invalid("model_name must be a string")
    spec = MODELS.get(model)
    if spec is None:
        raise KlingError(1203, f"model_name {_show(model)} does not exist")
    if kind not in spec.endpoints:
        raise invalid(f"model_name {model} is not supported by {kind}")
    prompt = _text(body, "prompt", required=kind == "text2video")
    if INPUT_MODERATION_MARKER in prompt:
        raise input_moderation()
    negative = _text(body, "negative_prompt", required=False)
    cfg = _opt(body, "cfg_scale")
    if cfg is not None and (not _number(cfg) or not 0 <= cfg <= 1):
        raise invalid(f"cfg_scale must be a number between 0 and 1, got {_show(cfg)}")
    mode = _enum(body, "mode", MODES, "std")
    duration = _opt(body, "duration")
    if duration is None:
        duration = "5"
    if not isinstance(duration, str):
        # The known pitfall (§5.2): duration is a string; an integer is refused.
        raise invalid(f'duration must be a string, "5" or "10", got {_show(duration)}')
    if duration not in DURATIONS:
        raise invalid(f'duration must be one of "5", "10", got {_show(duration)}')
    sound = _enum(body, "sound", ("on", "off"), "off") == "on"
    if sound and not spec.sound:
        raise invalid(f"sound is not supported by model_name {model}")
    if sound and mode != "pro":
        raise invalid(f"sound on requires mode pro for model_name {model}")
    camera = _camera(_opt(body, "camera_control"))
    watermark = _watermark(_opt(body, "watermark_info"))
    callback = _opt(body, "callback_url")
    if callback is not None and (
        not isinstance(callback, str) or not callback.startswith(("http://", "https://")) or len(callback) > MAX_URL
    ):
        raise invalid("callback_url must be an http(s) URL")
    external = _opt(body, "external_task_id")
    if external is not None and (not isinstance(external, str) or not external or len(external) > MAX_ID):
        raise invalid(f"external_task_id must be a non-empty string of at most {MAX_ID} characters")

    short = spec.pro if mode == "pro" else spec.std
    params: dict[str, Any] = {
        "negative_prompt": negative,
        "cfg_scale": cfg if spec.cfg_scale else None,
        "camera_control": camera,
    }
    if kind == "text2video":
        aspect = _enum(body, "aspect_ratio", tuple(ASPECTS), "16:9")
    else:
        aspect = _image2video(body, spec, model, mode, sound, camera is not None, options, params)
    width, height = dimensions(short, aspect)
    return {
        "model_name": model,
        "mode": mode,
        "prompt": prompt,
        "duration": int(duration),
        "aspect_ratio": aspect,
        "width": width,
        "height": height,
        "sound": sound,
        "external_task_id": external,
        "callback_url": callback,
        "watermark": watermark,
        "params": params,
    }


def _image2video(
    body: dict[str, Any],
    spec: ModelSpec,
    model: str,
    mode: str,
    sound: bool,
    camera: bool,
    options: KlingOptions,
    params: dict[str, Any],
) -> str:
    image, tail = _opt(body, "image"), _opt(body, "image_tail")
    if (image is None or image == "") and (tail is None or tail == ""):
        raise invalid("image is required")
    size = _image(image, "image", options) if image not in (None, "") else None
    tail_size = _image(tail, "image_tail", options) if tail not in (None, "") else None
    has_tail = tail not in (None, "")
    if has_tail and mode not in spec.tail_modes:
        where = f"mode {mode} of " if spec.tail_modes else ""
        raise invalid(f"image_tail is not supported by {where}model_name {model}")
    static, dynamic = _opt(body, "static_mask"), _opt(body, "dynamic_masks")
    if static is not None and (not isinstance(static, str) or not static):
        raise invalid("static_mask must be an image URL or base64 string")
    if dynamic is not None:
        _dynamic_masks(dynamic)
    brush = static is not None or bool(dynamic)
    if sum((has_tail, brush, camera)) > 1:
        raise invalid("image_tail, static_mask/dynamic_masks and camera_control cannot be used together")
    voices = _opt(body, "voice_list")
    if voices is not None:
        if (
            not isinstance(voices, list)
            or len(voices) > 2
            or not all(isinstance(v, dict) and isinstance(v.get("voice_id"), str) and v["voice_id"] for v in voices)
        ):
            raise invalid("voice_list must be a list of at most 2 objects with a voice_id")
        if voices and not spec.sound:
            raise invalid(f"voice_list is not supported by model_name {model}")
        if voices and not sound:
            raise invalid("voice_list requires sound on")
    params.update(
        {"image": _describe(image), "image_tail": _describe(tail), "motion_brush": brush, "voices": len(voices or [])}
    )
    shape = size or tail_size
    return nearest_aspect(*shape) if shape else "16:9"


def _describe(image: Any) -> str | None:
    """What the record keeps of an image: a URL as given, base64 only by its length."""
    if not isinstance(image, str) or not image:
        return None
    return image if image.startswith(("http://", "https://")) else f"base64:{len(image)}"


def _image(value: Any, key: str, options: KlingOptions) -> tuple[int, int] | None:
    """(width, height) of a base64 image, None for a URL; KlingError when the image is refused."""
    if not isinstance(value, str):
        raise invalid(f"{key} must be an image URL or base64 string")
    if value.startswith(("http://", "https://")):
        return None
    if value.startswith("data:"):
        raise invalid(f"{key} must be raw base64 without the data: prefix")
    try:
        data = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"{key} must be an image URL or valid base64") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise invalid(f"{key} must not exceed 10MB")
    size = image_size(data)
    if size is None:
        raise invalid(f"{key} format must be jpg, jpeg or png")
    width, height = size
    if options.check_image_size:
        if min(width, height) < MIN_SIDE:
            raise invalid(f"{key} width and height must be at least {MIN_SIDE}px, got {width}x{height}")
        if max(width, height) > MAX_ASPECT * min(width, height):
            raise invalid(f"{key} aspect ratio must be between 1:2.5 and 2.5:1, got {width}x{height}")
    return size if width and height else None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, or None when it is neither (or is cut short)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:3] != b"\xff\xd8\xff":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xDA)):  # markers without a length
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        if length < 2:
            return None
        i += 2 + length
    return None


def _camera(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid("camera_control must be an object")
    kind = value.get("type")
    if kind not in CAMERA_TYPES:
        raise invalid(f"camera_control.type must be one of {', '.join(CAMERA_TYPES)}, got {_show(kind)}")
    config = value.get("config")
    if kind != "simple":
        if config is not None:
            raise invalid(f"camera_control.config must be empty when camera_control.type is {kind}")
        return {"type": kind}
    if not isinstance(config, dict):
        raise invalid("camera_control.config is required when camera_control.type is simple")
    axes = {}
    for axis in CAMERA_AXES:
        raw = config.get(axis, 0)
        if raw is None:
            raw = 0
        if not _number(raw) or not -10 <= raw <= 10:
            raise invalid(f"camera_control.config.{axis} must be a number between -10 and 10")
        axes[axis] = raw
    if sum(1 for v in axes.values() if v != 0) != 1:
        raise invalid(f"camera_control.config must set exactly one of {', '.join(CAMERA_AXES)} to a non-zero value")
    return {"type": kind, "config": axes}


def _watermark(value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("enabled"), bool):
        raise invalid("watermark_info must be an object with a boolean enabled")
    return bool(value["enabled"])


def _dynamic_masks(value: Any) -> None:
    if not isinstance(value, list) or len(value) > 6:
        raise invalid("dynamic_masks must be a list of at most 6 objects")
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("mask"), str) or not item["mask"]:
            raise invalid(f"dynamic_masks[{i}].mask is required")
        points = item.get("trajectories")
        if (
            not isinstance(points, list)
            or not 2 <= len(points) <= 77
            or not all(
                isinstance(p, dict)
                and all(isinstance(p.get(c), int) and not isinstance(p.get(c), bool) for c in ("x", "y"))
                for p in points
            )
        ):
            raise invalid(f"dynamic_masks[{i}].trajectories must be 2 to 77 points with integer x and y")
