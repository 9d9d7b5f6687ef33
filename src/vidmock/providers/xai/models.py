"""xAI Grok Imagine video requests: what was asked, and what the request looks like at a given time.

Only LLMGateway's client side is in the reference (providers.md §7, gateway.md §5.3 "xAI"); the
rest follows api.x.ai as it is publicly seen and is marked (not in the reference: chosen):

- a request is ``pending`` until its video is ready, then ``done`` with ``video.url``; ``expired``
  and ``failed`` appear only when a scenario scripts them (xAI has no separate running state, so
  ``in_progress`` also renders as ``pending``);
- ``video.url`` is a CDN-style file on this emulator (no auth) that expires 24 h after completion.

The lifecycle is a pure function of the clock (a ``JobPlan`` from the scenarios engine).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from ..base import PlannedRecord
from .errors import XaiError

KIND = "xai.video"
# Seconds from submit to done per model (not in the reference: chosen; Grok Imagine renders a
# clip in well under a minute).
DEFAULT_LATENCY: dict[str, float] = {"grok-imagine-video": 45.0}
DURATIONS = range(1, 16)  # 1–15 s, as xAI publishes for grok-imagine-video
CONTENT_TTL = 24 * 3600.0  # (not in the reference: chosen)
MAX_SIDE = 4096
# aspect_ratio → (480p, 720p) pixels, for callers that use xAI's own parameters instead of `size`
# (not in the reference: chosen; 16:9 at 480p is the gateway's 848x480).
DIMENSIONS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "16:9": ((848, 480), (1280, 720)),
    "9:16": ((480, 848), (720, 1280)),
    "1:1": ((480, 480), (720, 720)),
    "4:3": ((640, 480), (960, 720)),
    "3:4": ((480, 640), (720, 960)),
    "3:2": ((720, 480), (1080, 720)),
    "2:3": ((480, 720), (720, 1080)),
}


@dataclass
class Video(PlannedRecord):
    id: str
    model: str
    created_at: float
    prompt: str
    width: int
    height: int
    duration: int
    image: bool
    seed: int
    plan: dict[str, Any]

    def status_at(self, now: float) -> str:
        return self.job_plan().state_at(now - self.created_at)[0]

    def finished_at(self) -> float:
        plan = self.job_plan()
        return self.created_at + (plan.finishes_at or 0.0)

    def content_available(self, now: float) -> bool:
        if self.status_at(now) != "completed":
            return False
        ttl = self.job_plan().content_expires_after
        return now < self.finished_at() + (CONTENT_TTL if ttl is None else ttl)

    def render(self, now: float, base_url: str) -> dict[str, Any]:
        """``GET /v1/videos/{request_id}`` at ``now``."""
        plan = self.job_plan()
        status = plan.state_at(now - self.created_at)[0]
        if status in ("queued", "in_progress"):
            return {"status": "pending"}
        if status == "completed":
            return {
                "status": "done",
                "model": self.model,
                "video": {
                    "url": f"{base_url}/files/{self.id}.mp4",
                    "duration": self.duration,
                    "respect_moderation": True,
                },
            }
        if status == "failed":
            error = plan.error or {}
            return {
                "status": "failed",
                "error": {
                    "code": error.get("code") or "internal",
                    "message": error.get("message") or "Video generation failed.",
                },
            }
        return {"status": status}  # expired, or canceled (scenario only)


def parse_create(body: Any) -> dict[str, Any]:
    """Validate ``POST /v1/videos/generations``; XaiError(400) otherwise."""
    if not isinstance(body, dict):
        raise XaiError(400, "The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise XaiError(400, "model is required.")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise XaiError(400, "prompt must be a non-empty string.")
    duration = body.get("duration", 6)
    if not isinstance(duration, int) or isinstance(duration, bool) or duration not in DURATIONS:
        raise XaiError(400, f"duration must be an integer between 1 and 15 seconds, got {duration!r}.")
    width, height = _dimensions(body)
    image = body.get("image")
    if image is not None:
        _check_image(image)
    seed = body.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise XaiError(400, "seed must be a non-negative integer.")
    return {
        "model": model,
        "prompt": prompt,
        "width": width,
        "height": height,
        "duration": duration,
        "image": image is not None,
        "seed": seed,
    }


def _dimensions(body: dict[str, Any]) -> tuple[int, int]:
    # The gateway sends `size` ("848x480"); xAI's documented parameters are aspect_ratio and
    # resolution. Both are accepted (not in the reference: chosen).
    size = body.get("size")
    if size is not None:
        try:
            w, h = (int(x) for x in str(size).lower().split("x"))
        except ValueError:
            raise XaiError(400, f"size must look like 1280x720, got {size!r}.") from None
        if not (2 <= w <= MAX_SIDE and 2 <= h <= MAX_SIDE) or w % 2 or h % 2:
            raise XaiError(400, f"size {size} is not supported.")
        return w, h
    aspect = body.get("aspect_ratio", "16:9")
    resolution = body.get("resolution", "480p")
    if aspect not in DIMENSIONS:
        raise XaiError(400, f"aspect_ratio must be one of {', '.join(DIMENSIONS)}.")
    if resolution not in ("480p", "720p"):
        raise XaiError(400, "resolution must be one of 480p, 720p.")
    return DIMENSIONS[aspect][resolution == "720p"]


def _check_image(image: Any) -> None:
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str) or not url:
        raise XaiError(400, "image.url must be an image URL or a base64 data URL.")
    if url.startswith(("https://", "http://")):
        return
    header, sep, data = url.partition(",")
    if not (url.startswith("data:image/") and sep and ";base64" in header):
        raise XaiError(400, "image.url must be an image URL or a base64 data URL.")
    try:
        base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise XaiError(400, "image.url is not valid base64.") from None
