"""OpenAI's moderations endpoint, ``POST /v1/moderations``: what the gateway's content filter calls
(changes-2026-12.md §5; OpenAI's moderation guide for the request and response shapes).

The response is OpenAI's: ``{"id": "modr-…", "model", "results": [{"flagged", "categories",
"category_scores", "category_applied_input_types"}]}``, one result per string of a string array, one for
a multimodal array. Scores are scripted with markers, read from text inputs and from the bytes of an image
data URL (so a test can hand the gateway an image that scores high):

- ``[moderation:CATEGORY=SCORE]``, e.g. ``[moderation:violence=0.97]``: that category's score;
- ``[moderation:flagged]``: ``flagged: true`` whatever the scores;
- ``[moderation:status=500]``: answer that HTTP status in OpenAI's error envelope;
- ``[moderation:delay=SECONDS]``: answer after that many clock seconds (past the caller's timeout, a timeout).

Without markers every score is a small deterministic value below 0.01. A category is ``true`` at a score of
0.5 or more (OpenAI does not publish its cut-offs: chosen).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...responses import JSONResponse
from ..base import EmulatorContext
from ..faults import wait_meter
from ..http import read_json
from .errors import MISSING_KEY, OpenAIError, fault_error

MODELS = ("omni-moderation-latest", "omni-moderation-2024-09-26", "text-moderation-latest", "text-moderation-stable")
DEFAULT_MODEL = "omni-moderation-latest"
MAX_BODY = 32 * 1024 * 1024
CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
# The omni model scores images for these only (OpenAI's moderation guide).
IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)
CATEGORY_CUTOFF = 0.5
MARKER = re.compile(rb"\[moderation:([a-z/_-]+)(?:=([0-9.]+))?\]")


def moderation_routes(ctx: EmulatorContext) -> list[Route]:
    """The route list the OpenAI emulator mounts (one line there)."""

    async def moderate(request: Request) -> Response:
        try:
            _authenticate(request)
            value, problem = await read_json(request, MAX_BODY)
            if problem == "too_large":
                raise OpenAIError(413, "Request body too large.")
            if problem or not isinstance(value, dict):
                raise OpenAIError(400, "We could not parse the JSON body of your request.")
            model = value.get("model", DEFAULT_MODEL)
            if model not in MODELS:
                raise OpenAIError(
                    404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
                )
            inputs = _inputs(value.get("input"), text_only=str(model).startswith("text-"))
        except OpenAIError as err:
            return err.response()
        markers = [_markers(parts) for parts in inputs]
        for found in markers:
            if "status" in found:
                status = int(found["status"])
                return JSONResponse(fault_error(status, None, None).body(), status_code=status)
        delay = max((found.get("delay", 0.0) for found in markers), default=0.0)
        if delay > 0:
            await ctx.clock.wait(delay, wait_meter(request.scope))  # virtual: counted against the caller's timeout
        results = [_result(parts, found) for parts, found in zip(inputs, markers, strict=True)]
        number = ctx.ids.new("openai.moderation", 29, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return JSONResponse({"id": f"modr-{number}", "model": model, "results": results})

    return [Route("/v1/moderations", moderate, methods=["POST"])]


def _authenticate(request: Request) -> None:
    auth = request.headers.get("authorization", "")
    if not (auth[:7].lower() == "bearer " and auth[7:].strip()):
        raise MISSING_KEY


Part = tuple[str, bytes]  # ("text" | "image", the bytes markers are read from)


def _inputs(value: Any, *, text_only: bool) -> list[list[Part]]:
    """The inputs to score, each a list of parts: a string, a list of strings (one input each), or one
    multimodal list of ``text`` / ``image_url`` objects."""
    if isinstance(value, str):
        return [[("text", value.encode())]]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [[("text", v.encode())] for v in value]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        parts: list[Part] = []
        for index, item in enumerate(value):
            kind = item.get("type")
            if kind == "text" and isinstance(item.get("text"), str):
                parts.append(("text", item["text"].encode()))
            elif kind == "image_url" and not text_only:
                url = item.get("image_url", {}).get("url") if isinstance(item.get("image_url"), dict) else None
                if not isinstance(url, str) or not url:
                    raise OpenAIError(400, f"Invalid value for 'input[{index}].image_url.url'.", param="input")
                parts.append(("image", _image_bytes(url)))
            else:
                raise OpenAIError(400, f"Invalid type for 'input[{index}]'.", param="input")
        return [parts]
    raise OpenAIError(
        400, "Invalid type for 'input': expected a string, an array of strings or of objects.", param="input"
    )


def _image_bytes(url: str) -> bytes:
    """A data URL's bytes (markers may be inside); an http(s) URL is not fetched (loopback only)."""
    if not url.startswith("data:"):
        return url.encode()
    _, _, data = url.partition(",")
    try:
        return base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        raise OpenAIError(400, "Invalid image data URL.", param="input") from None


def _markers(parts: list[Part]) -> dict[str, float]:
    found: dict[str, float] = {}
    for _, data in parts:
        for name, number in MARKER.findall(data):
            key = name.decode()
            try:
                found[key] = float(number) if number else 1.0
            except ValueError:
                continue
    return found


def _result(parts: list[Part], found: dict[str, float]) -> dict[str, Any]:
    digest = hashlib.sha256(b"".join(data for _, data in parts)).digest()
    kinds = sorted({kind for kind, _ in parts})
    scores: dict[str, float] = {}
    applied: dict[str, list[str]] = {}
    for index, category in enumerate(CATEGORIES):
        baseline = round(digest[index] / 255 * 0.009, 6)  # deterministic, below 0.01
        scores[category] = min(1.0, max(0.0, found.get(category, baseline)))
        applied[category] = [k for k in kinds if k == "text" or category in IMAGE_CATEGORIES]
    categories = {c: s >= CATEGORY_CUTOFF for c, s in scores.items()}
    return {
        "flagged": any(categories.values()) or "flagged" in found,
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": applied,
    }
