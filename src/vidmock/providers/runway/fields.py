"""The per-field checks of a Runway create body, zod-shaped: each appends issues, never raises.

Split from ``params.py`` (which orders them the way Runway's validator does, providers.md §9.2):
here are the primitives (integers, assets under a size limit, strings, enums, reference lists) and
the table of optional fields to their check. Assets must be an HTTPS URL on a domain, a
``runway://`` upload URI, or a base64 data URI of a supported type under the limit.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .errors import Issue, custom, invalid_type, invalid_value, not_int, too_big, too_small
from .spec_types import ModelSpec
from .specs_2026 import EXPANSION_MODES, HDR_FORMATS, PRORES_PROFILES, SEEDANCE_FORMATS

MB = 1024 * 1024
MAX_SEED = 4294967295
MIME = {
    "image": ("image/jpeg", "image/jpg", "image/png", "image/webp"),
    "video": ("video/mp4", "video/webm", "video/quicktime", "video/mov", "video/ogg", "video/h264"),
    "audio": (
        "audio/mpeg",
        "audio/mp3",
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
        "audio/ogg",
        "audio/aac",
        "audio/flac",
        "audio/mp4",
    ),
}


def integer(value: Any, path: list[Any], low: int, high: int, issues: list[Issue]) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        issues.append(invalid_type(path, "number", value))
    elif isinstance(value, float) and not value.is_integer():
        issues.append(not_int(path))
    elif value < low:
        issues.append(too_small(path, "number", low))
    elif value > high:
        issues.append(too_big(path, "number", high))
    else:
        return True
    return False


def asset(value: Any, path: list[Any], kind: str, issues: list[Issue], limit: int = 5 * MB) -> None:
    if not isinstance(value, str):
        issues.append(invalid_type(path, "string", value))
        return
    if value.startswith("runway://"):
        return
    if value.startswith("data:"):
        header, sep, data = value.partition(",")
        if not sep or not header.endswith(";base64"):
            issues.append(custom(path, "Invalid data URI."))
        elif header[5:].split(";")[0].lower() not in MIME[kind]:
            issues.append(custom(path, "Unsupported asset type."))
        elif len(value) > limit:
            issues.append(custom(path, f"Data URIs must be under {limit // MB}MB."))
        else:
            try:
                base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                issues.append(custom(path, "Invalid data URI."))
        return
    if not value.lower().startswith("https://"):
        issues.append(custom(path, "Only HTTPS URLs are allowed." if "://" in value else "Invalid URL"))
        return
    if len(value) > 2048:
        issues.append(too_big(path, "string", 2048))
        return
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        host = ""
    if not host:
        issues.append(custom(path, "Invalid URL"))
        return
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return
    issues.append(custom(path, "URLs must be hosted on a domain."))


Check = Callable[[Any, list[Any], ModelSpec, list[Issue]], None]


def _string(most: int) -> Check:
    def check(value: Any, path: list[Any], spec: ModelSpec, issues: list[Issue]) -> None:
        if not isinstance(value, str):
            issues.append(invalid_type(path, "string", value))
        elif len(value.encode("utf-16-le", "surrogatepass")) // 2 > most:
            issues.append(too_big(path, "string", most))

    return check


def _enum(values: tuple[str, ...] | None) -> Check:
    def check(value: Any, path: list[Any], spec: ModelSpec, issues: list[Issue]) -> None:
        allowed = values or spec.resolutions
        if value not in allowed:
            issues.append(invalid_value(path, allowed))

    return check


def _percent(value: Any, path: list[Any], spec: ModelSpec, issues: list[Issue]) -> None:
    integer(value, path, 0, 100, issues)


def _boolean(value: Any, path: list[Any], spec: ModelSpec, issues: list[Issue]) -> None:
    if not isinstance(value, bool):
        issues.append(invalid_type(path, "boolean", value))


def _moderation(value: Any, path: list[Any], spec: ModelSpec, issues: list[Issue]) -> None:
    if not isinstance(value, dict):
        issues.append(invalid_type(path, "object", value))
    elif "publicFigureThreshold" in value and value["publicFigureThreshold"] not in ("auto", "low"):
        issues.append(invalid_value([*path, "publicFigureThreshold"], ("auto", "low")))


def _assets(kind: str, most: int, typed: bool) -> Check:
    """An array of ``{uri}`` objects (``{type, uri}`` for audio and video references)."""

    def check(value: Any, path: list[Any], spec: ModelSpec, issues: list[Issue]) -> None:
        if not isinstance(value, list):
            issues.append(invalid_type(path, "array", value))
            return
        if len(value) > most:
            issues.append(too_big(path, "array", most))
        for i, item in enumerate(value[:most]):
            if not isinstance(item, dict):
                issues.append(invalid_type([*path, i], "object", item))
                continue
            if typed and item.get("type") != kind:
                issues.append(invalid_value([*path, i, "type"], (kind,)))
            asset(item.get("uri"), [*path, i, "uri"], kind, issues)

    return check


def _number(low: int, high: int) -> Check:
    def check(value: Any, path: list[Any], spec: ModelSpec, issues: list[Issue]) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            issues.append(invalid_type(path, "number", value))
        elif value < low:
            issues.append(too_small(path, "number", low))
        elif value > high:
            issues.append(too_big(path, "number", high))

    return check


def _object(value: Any, path: list[Any], spec: ModelSpec, issues: list[Issue]) -> None:
    if not isinstance(value, dict):
        issues.append(invalid_type(path, "object", value))


def _text(value: Any, path: list[Any], spec: ModelSpec, issues: list[Issue]) -> None:
    if not isinstance(value, str) or not value:
        issues.append(invalid_type(path, "string", value))


CHECKS: dict[str, Check] = {
    "negativePrompt": _string(1000),
    "contentModeration": _moderation,
    "resolution": _enum(None),
    "creativity": _percent,
    "sharpen": _percent,
    "smartGrain": _percent,
    "flavor": _enum(("vivid", "natural")),
    "fpsBoost": _boolean,
    "referenceAudio": _assets("audio", 3, True),
    "references": _assets("image", 9, False),
    "referenceVideos": _assets("video", 3, True),
    "keyframes": _assets("image", 5, False),
    # the fields of the late-2026 models (specs_2026.py; changes-2026-12.md §4.4)
    "cfgScale": _number(0, 1),
    "providerSettings": _object,  # Kling multishot settings, passed through (not rendered)
    "draft": _boolean,
    "draftTaskId": _text,
    "outputFormat": _enum(SEEDANCE_FORMATS),
    "proresProfile": _enum(PRORES_PROFILES),
    "promptExpansionMode": _enum(EXPANSION_MODES),
}
# Where one field name means different things for different models.
MODEL_CHECKS: dict[tuple[str, str], Check] = {
    ("ruby", "outputFormat"): _enum(HDR_FORMATS),
    ("seedance2_5", "references"): _assets("image", 30, False),  # "up to 30" (the SDK's docstring)
}
