"""What a Seedance create body may hold (providers.md §4.2): the parse into a model's spec, then Ark's
checks in Ark's order and wording.

Split from ``models.py`` (the task record and its lifecycle): this module only reads a request body
and returns the validated fields, or raises the provider's ``InvalidParameter`` errors.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from .errors import INPUT_TEXT_SENSITIVE, invalid, missing
from .models import (
    DEFAULT_EXPIRES_AFTER,
    EXPIRES_AFTER_RANGE,
    IMAGE_FORMATS,
    INPUT_MODERATION_MARKER,
    MAX_IMAGE_BYTES,
    MODELS,
    QUEUE_SECONDS,
    RATIOS,
    SEED_MAX,
    ModelSpec,
)

# -- create-body validation ---------------------------------------------------------------------

_DATA_URL = re.compile(r"data:([\w.+-]+)/([\w.+-]+);base64,(.*)", re.S)


def _opt(body: dict[str, Any], key: str, default: Any) -> Any:
    """An optional field; an explicit null (the official SDK sends unset arguments as null) is absent."""
    value = body.get(key)
    return default if value is None else value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_web_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _check_data_url(url: str, where: str, kind: str, formats: tuple[str, ...] | None) -> None:
    m = _DATA_URL.fullmatch(url)
    if m is None or m.group(1) != kind:
        raise invalid(where, f"expected a http(s) URL or a base64 data URL of an {kind}")
    if formats is not None and m.group(2).lower() not in formats:
        raise invalid(where, f"unsupported {kind} format {m.group(2)}; supported formats are {', '.join(formats)}")
    try:
        data = base64.b64decode("".join(m.group(3).split()), validate=True)
    except (binascii.Error, ValueError):
        raise invalid(where, "the base64 data is not valid") from None
    if kind == "image" and len(data) > MAX_IMAGE_BYTES:
        raise invalid(where, "the image exceeds 30 MB")


_ROLES = {
    "image_url": ("first_frame", "last_frame", "reference_image"),
    "video_url": ("reference_video",),
    "audio_url": ("reference_audio",),
}


def parse_create_body(body: Any) -> tuple[str, ModelSpec | None, dict[str, Any]]:
    """(model, spec or None when unknown, fields) for a create body; ArkError(400) when invalid.

    The model is looked up by the caller (unknown ids are a 404, after the body is known to be an
    object with a ``model``).
    """
    if not isinstance(body, dict):
        raise invalid("body", "the request body must be a JSON object")
    model = body.get("model")
    if model is None or model == "":
        raise missing("model")
    if not isinstance(model, str):
        raise invalid("model", "expected a string")
    return model, MODELS.get(model), body


def validate_create(spec: ModelSpec, body: dict[str, Any]) -> dict[str, Any]:
    """The task fields for a valid body (§4.2), or ArkError."""
    content = body.get("content")
    if content is None or content == []:
        raise missing("content")
    if not isinstance(content, list):
        raise invalid("content", "expected an array")
    prompt: str | None = None
    roles: list[str] = []
    kept: list[dict[str, Any]] = []
    for i, item in enumerate(content):
        where = f"content[{i}]"
        if not isinstance(item, dict):
            raise invalid(where, "expected an object")
        kind = item.get("type")
        if kind == "text":
            text = item.get("text")
            if not isinstance(text, str):
                raise invalid(f"{where}.text", "expected a string")
            if prompt is not None:
                raise invalid(where, "at most one text item is allowed")
            prompt = text
            kept.append({"type": "text", "text": text})
            continue
        if not isinstance(kind, str) or kind not in _ROLES:  # a list or object here is a 400, not a 500
            raise invalid(
                f"{where}.type", f"unsupported content type {kind!r}; expected text, image_url, video_url or audio_url"
            )
        media = item.get(kind)
        url = media.get("url") if isinstance(media, dict) else None
        if not isinstance(url, str) or not url:
            raise missing(f"{where}.{kind}.url")
        role = item.get("role", _ROLES[kind][0])
        if role not in _ROLES[kind]:
            raise invalid(
                f"{where}.role", f"role {role!r} is not valid for {kind}; expected {' or '.join(_ROLES[kind])}"
            )
        if kind == "image_url" and not (_is_web_url(url) or url.startswith("asset://")):
            _check_data_url(url, f"{where}.image_url.url", "image", IMAGE_FORMATS)
        elif kind == "video_url" and not _is_web_url(url):
            raise invalid(f"{where}.video_url.url", "reference_video must be provided as a web url")
        elif kind == "audio_url" and not _is_web_url(url):
            _check_data_url(url, f"{where}.audio_url.url", "audio", ("wav", "x-wav", "mp3", "mpeg"))
        roles.append(role)
        kept.append(
            {"type": kind, kind: {"url": url if _is_web_url(url) else url.split(",", 1)[0] + ",…"}, "role": role}
        )

    _check_roles(spec, roles)
    images = sum(r in ("first_frame", "last_frame", "reference_image") for r in roles)
    if not (prompt and prompt.strip()) and images == 0:
        raise missing("content.text")
    prompt = prompt or ""
    if INPUT_MODERATION_MARKER in prompt:
        raise INPUT_TEXT_SENSITIVE

    duration = _opt(body, "duration", 5 if spec.durations[0] <= 5 <= spec.durations[1] else spec.durations[0])
    lo, hi = spec.durations
    if not _is_int(duration) or not lo <= duration <= hi:
        raise invalid("duration", f"expected an integer between {lo} and {hi}, but received {duration!r}")
    ratio = _opt(body, "ratio", "adaptive" if images else "16:9")
    if ratio not in RATIOS:
        raise invalid("ratio", f"expected one of {', '.join(RATIOS)}, but received {ratio!r}")
    resolution = _opt(body, "resolution", spec.default_resolution)
    if resolution not in spec.resolutions:
        raise invalid("resolution", f"expected one of {', '.join(spec.resolutions)}, but received {resolution!r}")
    audio = _opt(body, "generate_audio", spec.audio)
    if not isinstance(audio, bool):
        raise invalid("generate_audio", "expected a boolean")
    if audio and not spec.audio:
        raise invalid("generate_audio", "the model does not support audio generation")
    seed = _opt(body, "seed", -1)
    if not _is_int(seed) or not -1 <= seed <= SEED_MAX:
        raise invalid("seed", f"expected an integer between -1 and {SEED_MAX}, but received {seed!r}")
    callback = _opt(body, "callback_url", None)
    if callback is not None and (not isinstance(callback, str) or not _is_web_url(callback)):
        raise invalid("callback_url", "expected a http(s) URL")
    tier = _opt(body, "service_tier", "default")
    if tier not in QUEUE_SECONDS:
        raise invalid("service_tier", f"expected default or flex, but received {tier!r}")
    expires = _opt(body, "execution_expires_after", DEFAULT_EXPIRES_AFTER)
    if not _is_int(expires) or not EXPIRES_AFTER_RANGE[0] <= expires <= EXPIRES_AFTER_RANGE[1]:
        raise invalid(
            "execution_expires_after",
            f"expected an integer between {EXPIRES_AFTER_RANGE[0]} and "
            f"{EXPIRES_AFTER_RANGE[1]}, but received {expires!r}",
        )
    priority = _opt(body, "priority", 0)
    if not _is_int(priority):
        raise invalid("priority", "expected an integer")
    for flag in ("return_last_frame", "camera_fixed", "watermark", "draft"):
        if body.get(flag) is not None and not isinstance(body[flag], bool):
            raise invalid(flag, "expected a boolean")
    if body.get("draft") is True:
        raise invalid("draft", "draft mode is not supported by this model")  # not emulated (chosen)
    return {
        "prompt": prompt,
        "content": kept,
        "duration": duration,
        "ratio": ratio,
        "resolution": resolution,
        "generate_audio": audio,
        "seed": seed,
        "callback_url": callback,
        "service_tier": tier,
        "execution_expires_after": expires,
        "priority": priority,
        "return_last_frame": body.get("return_last_frame") is True,
    }


def _check_roles(spec: ModelSpec, roles: list[str]) -> None:
    frames = [r for r in roles if r in ("first_frame", "last_frame")]
    refs = [r for r in roles if r not in ("first_frame", "last_frame")]
    if frames and refs:
        raise invalid("content", "first_frame/last_frame and reference inputs cannot be used together")
    for role in ("first_frame", "last_frame"):
        if roles.count(role) > 1:
            raise invalid("content", f"at most one {role} image is allowed")
    if "first_frame" in roles and not spec.first_frame:
        raise invalid("content", "the model does not support first_frame images")
    if "last_frame" in roles and not spec.last_frame:
        raise invalid("content", "the model does not support last_frame images")
    if "last_frame" in roles and "first_frame" not in roles:
        raise invalid("content", "a last_frame image requires a first_frame image")
    images, videos, audios = (roles.count(r) for r in ("reference_image", "reference_video", "reference_audio"))
    if images and not spec.reference_images:
        raise invalid("content", "the model does not support reference_image inputs")
    if images > spec.reference_images:
        raise invalid("content", f"at most {spec.reference_images} reference images are allowed, but received {images}")
    if (videos or audios) and not spec.reference_media:
        raise invalid("content", "the model does not support reference_video or reference_audio inputs")
    if videos > 3:
        raise invalid("content", f"at most 3 reference videos are allowed, but received {videos}")
    if audios > 3:
        raise invalid("content", f"at most 3 reference audios are allowed, but received {audios}")
    if images + videos + audios > 12:
        raise invalid("content", f"at most 12 reference files are allowed, but received {images + videos + audios}")
    if audios and not (images or videos):
        raise invalid("content", "reference_audio requires at least one reference image or video")
