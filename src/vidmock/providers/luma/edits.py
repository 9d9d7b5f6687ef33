"""Luma's video edits of late 2026 (changes-2026-12.md §4.5), as lumaai 1.21.0 types them:
``POST /generations/video/modify`` (a source video restyled: modes adhere, flex and reimagine, each at
strength 1–3) and ``POST /generations/video/reframe`` (a source video outpainted to a new aspect
ratio). Each makes a new generation, polled like any other.

Validated in the two layers of ``models`` (the body schema as 422, Luma's own rules as 400). Chosen,
since the reference does not say: a source video is fetched by URL (http or https; anything else is a
400), its length cannot be probed so the output lasts 5 s, a modified video keeps 16:9 at 720p, a
reframed one is 720p at the asked ratio, and the crop bounds must be ordered when both ends are given.
"""

from __future__ import annotations

from typing import Any

from .errors import bad_request
from .models import ASPECT_RATIOS, DURATIONS, dimensions
from .params import OBJECT, _check_callback, _Schema, _schema, _web_host

MODIFY_MODELS = REFRAME_MODELS = ("ray-2", "ray-flash-2")
MODES = tuple(f"{mode}_{level}" for mode in ("adhere", "flex", "reimagine") for level in (1, 2, 3))
BOUNDS = (
    "grid_position_x",
    "grid_position_y",
    "resized_height",
    "resized_width",
    "x_end",
    "x_start",
    "y_end",
    "y_start",
)
EDIT_SECONDS = DURATIONS["5s"]


def _url_object(s: _Schema, key: str, required: bool) -> str | None:
    """``{"url": …}`` (``media``, ``first_frame``); the URL string or None."""
    value = s.body.get(key)
    if value is None:
        if required:
            s.add("missing", (key,), "Field required", s.body)
        return None
    if not isinstance(value, dict):
        s.add("model_attributes_type", (key,), OBJECT, value)
        return None
    url = value.get("url")
    if not isinstance(url, str):
        kind, msg = (
            ("missing", "Field required") if "url" not in value else ("string_type", "Input should be a valid string")
        )
        s.add(kind, (key, "url"), msg, value if kind == "missing" else url)
        return None
    return url


def _fetchable(url: str | None, what: str) -> None:
    if url is not None and _web_host(url) is None:
        raise bad_request(f"Invalid {what} url: expected an http(s) URL")


def _fields(
    model: str, prompt: str | None, request: dict[str, Any], size: tuple[int, int], callback: str | None
) -> dict[str, Any]:
    return {
        "model": model,
        "prompt": prompt or "",
        "request": request,
        "width": size[0],
        "height": size[1],
        "seconds": EDIT_SECONDS,
        "audio": False,
        "callback_url": callback,
    }


def parse_modify(body: Any) -> dict[str, Any]:
    """``POST /generations/video/modify`` → the new generation's fields; LumaError (422, 400) otherwise."""
    s = _schema(body)
    kind = s.literal("generation_type", ("modify_video",), required=True)
    model = s.literal("model", MODIFY_MODELS, required=True)
    mode = s.literal("mode", MODES, required=True)
    media, first = _url_object(s, "media", True), _url_object(s, "first_frame", False)
    prompt, callback = s.string("prompt"), s.string("callback_url")
    s.done()
    assert model is not None and kind is not None and mode is not None and media is not None
    _fetchable(media, "media")
    _fetchable(first, "first_frame")
    _check_callback(callback)
    request = {
        "generation_type": kind,
        "model": model,
        "mode": mode,
        "media": {"url": media},
        "first_frame": {"url": first} if first else None,
        "prompt": prompt,
        "callback_url": callback,
    }
    return _fields(model, prompt, request, dimensions("16:9", "720p"), callback)


def parse_reframe(body: Any) -> dict[str, Any]:
    """``POST /generations/video/reframe`` → the new generation's fields; LumaError (422, 400) otherwise."""
    s = _schema(body)
    aspect = s.literal("aspect_ratio", ASPECT_RATIOS, required=True)
    kind = s.literal("generation_type", ("reframe_video",), required=True)
    media, first = _url_object(s, "media", True), _url_object(s, "first_frame", False)
    model = s.literal("model", REFRAME_MODELS, required=True)
    callback, prompt = s.string("callback_url"), s.string("prompt")
    bounds: dict[str, int] = {}
    for key in BOUNDS:
        value = s.body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            s.add("int_type", (key,), "Input should be a valid integer", value)
        else:
            bounds[key] = value
    s.done()
    assert aspect is not None and kind is not None and model is not None and media is not None
    _fetchable(media, "media")
    _fetchable(first, "first_frame")
    for start, end in (("x_start", "x_end"), ("y_start", "y_end")):
        if start in bounds and end in bounds and bounds[start] >= bounds[end]:
            raise bad_request(f"{start} must be less than {end}")
    for key in ("resized_width", "resized_height"):
        if key in bounds and bounds[key] <= 0:
            raise bad_request(f"{key} must be positive")
    _check_callback(callback)
    request = {
        "generation_type": kind,
        "model": model,
        "aspect_ratio": aspect,
        "media": {"url": media},
        "first_frame": {"url": first} if first else None,
        "prompt": prompt,
        "callback_url": callback,
        **bounds,
    }
    return _fields(model, prompt, request, dimensions(aspect, "720p"), callback)
