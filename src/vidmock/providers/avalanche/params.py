"""Validating Avalanche request bodies the way a Kie-style API does: a 422 application error
naming the field. The rules follow Kie's Veo 3.1, Sora 2 and file-upload documentation; the
message wording is chosen.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .errors import KieError, invalid

VEO_MODELS = ("veo3", "veo3_fast", "veo3_lite")
# Kie: reference (material) generation is offered on the Fast and Lite models only.
REFERENCE_MODELS = ("veo3_fast", "veo3_lite")
GENERATION_TYPES = ("TEXT_2_VIDEO", "FIRST_AND_LAST_FRAMES_2_VIDEO", "REFERENCE_2_VIDEO")
VEO_ASPECTS = ("16:9", "9:16", "Auto")
SORA_MODELS = ("sora-2-text-to-video", "sora-2-image-to-video", "sora-2-pro-text-to-video", "sora-2-pro-image-to-video")
SORA_FRAMES = ("10", "15")  # Kie's Sora 2 durations, as strings
SORA_ASPECTS = ("landscape", "portrait")
MAX_PROMPT = 5000  # chosen
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # Kie's base64 upload is meant for small files (limit chosen)


def _prompt(value: Any, limit: int = MAX_PROMPT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid("prompt is required")
    if len(value) > limit:
        raise invalid(f"prompt must be at most {limit} characters")
    return value


def _urls(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(u, str) and u.startswith(("http://", "https://")) for u in value
    ):
        raise invalid(f"{field} must be a list of http(s) URLs")
    return list(value)


def parse_veo(body: Any) -> dict[str, Any]:
    """``POST /api/v1/veo/generate``: prompt, model, aspect ratio, generation type, image URLs."""
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object")
    prompt = _prompt(body.get("prompt"))
    model = body.get("model", "veo3_fast")
    if model not in VEO_MODELS:
        raise invalid(f"model must be one of {', '.join(VEO_MODELS)}")
    # The gateway sends aspect_ratio; Kie's own examples spell it aspectRatio. Both are accepted.
    aspect = body.get("aspect_ratio", body.get("aspectRatio", "16:9"))
    if aspect not in VEO_ASPECTS:
        raise invalid(f"aspect_ratio must be one of {', '.join(VEO_ASPECTS)}")
    images = _urls(body.get("imageUrls"), "imageUrls")
    kind = body.get("generationType") or ("FIRST_AND_LAST_FRAMES_2_VIDEO" if images else "TEXT_2_VIDEO")
    if kind not in GENERATION_TYPES:
        raise invalid(f"generationType must be one of {', '.join(GENERATION_TYPES)}")
    if kind == "TEXT_2_VIDEO" and images:
        raise invalid("imageUrls must be empty for TEXT_2_VIDEO")
    if kind == "FIRST_AND_LAST_FRAMES_2_VIDEO" and not 1 <= len(images) <= 2:
        raise invalid("FIRST_AND_LAST_FRAMES_2_VIDEO requires 1 or 2 imageUrls")
    if kind == "REFERENCE_2_VIDEO":
        if model not in REFERENCE_MODELS:
            raise invalid("REFERENCE_2_VIDEO is only supported by veo3_fast and veo3_lite")
        if not 1 <= len(images) <= 3:
            raise invalid("REFERENCE_2_VIDEO requires 1 to 3 imageUrls")
    for flag in ("enableFallback", "enableTranslation"):
        if flag in body and not isinstance(body[flag], bool):
            raise invalid(f"{flag} must be a boolean")
    return {
        "prompt": prompt,
        "model": model,
        "aspect": "9:16" if aspect == "9:16" else "16:9",
        "generation_type": kind,
        "image_urls": images,
        "seconds": 8,
        "size": None,
    }


def parse_sora(body: Any) -> dict[str, Any]:
    """``POST /api/v1/jobs/createTask`` for the four Sora 2 models."""
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object")
    model = body.get("model")
    if model not in SORA_MODELS:
        raise invalid(f"model {model!r} is not supported")
    data = body.get("input")
    if not isinstance(data, dict):
        raise invalid("input is required")
    prompt = _prompt(data.get("prompt"), 10000)
    aspect = data.get("aspect_ratio", "landscape")
    if aspect not in SORA_ASPECTS:
        raise invalid("input.aspect_ratio must be landscape or portrait")
    frames = data.get("n_frames", "10")
    if str(frames) not in SORA_FRAMES:
        raise invalid('input.n_frames must be "10" or "15"')
    images = _urls(data.get("image_urls"), "input.image_urls")
    if model.endswith("image-to-video") and len(images) != 1:
        raise invalid("input.image_urls must hold exactly 1 image for image-to-video")
    if model.endswith("text-to-video") and images:
        raise invalid("input.image_urls is not accepted by text-to-video models")
    size = data.get("size")
    if size is not None and (not model.startswith("sora-2-pro") or size not in ("standard", "high")):
        raise invalid("input.size must be standard or high, on sora-2-pro models only")
    if "remove_watermark" in data and not isinstance(data["remove_watermark"], bool):
        raise invalid("input.remove_watermark must be a boolean")
    if "upload_method" in data and data["upload_method"] not in ("s3", "oss"):
        raise invalid("input.upload_method must be s3 or oss")
    return {
        "prompt": prompt,
        "model": model,
        "aspect": "9:16" if aspect == "portrait" else "16:9",
        "generation_type": None,
        "image_urls": images,
        "seconds": int(frames),
        "size": size,
    }


def parse_upload(body: Any) -> tuple[bytes, str, str, str]:
    """``POST /api/file-base64-upload`` → (bytes, mime type, upload path, file name)."""
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object")
    raw, path = body.get("base64Data"), body.get("uploadPath")
    if not isinstance(raw, str) or not raw:
        raise invalid("base64Data is required")
    if not isinstance(path, str) or not path.strip("/"):
        raise invalid("uploadPath is required")
    mime = "application/octet-stream"
    if raw.startswith("data:"):
        header, _, raw = raw[5:].partition(",")
        mime = header.split(";")[0] or mime
    try:
        data = base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        raise invalid("base64Data is not valid base64") from None
    if not data:
        raise invalid("base64Data is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise KieError(413, "File size exceeds the 10MB limit for base64 uploads")
    name = body.get("fileName")
    if name is not None and (not isinstance(name, str) or not name or "/" in name):
        raise invalid("fileName must be a plain file name")
    return data, mime, path.strip("/"), name or ""


EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
