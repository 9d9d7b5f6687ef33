"""KLING v3.0 predictions on AtlasCloud: what was asked, and what the prediction looks like at a time.

The lifecycle is the job's scenario plan, a pure function of the time since submit. AtlasCloud
documents three prediction statuses, ``processing``, ``completed`` and ``failed``; a prediction that
is waiting in the queue is shown as ``created`` (chosen: the reference gives no queued value, and the
gateway reads any unknown string as ``queued``, gateway.md §3). ``canceled`` and ``expired`` plan
steps have no AtlasCloud spelling, so they are shown as ``failed`` with a message saying which.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ...media import VideoSpec
from ..base import PlannedRecord
from .errors import AtlasError

KIND = "atlascloud.prediction"
UPLOAD_KIND = "atlascloud.upload"
TIERS = ("std", "turbo", "4k")
TASKS = ("text-to-video", "image-to-video")
# The upstream model names LLMGateway computes (gateway.md §5.3, providers.md §5.7).
MODELS: dict[str, tuple[str, str]] = {
    f"kwaivgi/kling-v3.0-{tier}/{task}": (tier, task) for tier in TIERS for task in TASKS
}
# Seconds from submit to done. Kling renders take minutes (providers.md §5.6); the split between
# tiers is chosen: turbo is the fast variant, 4k the slow one.
DEFAULT_LATENCY = {"std": 120.0, "turbo": 60.0, "4k": 240.0}
DURATIONS = (5, 10)
ASPECT_RATIOS = ("16:9", "9:16", "1:1")
# Short side of the output per tier. The request carries no resolution, so the tier decides it:
# 4k renders 2160p; std and turbo render 720p (chosen, the reference does not say).
SHORT_SIDE = {"std": 720, "turbo": 720, "4k": 2160}
WIRE_STATUS = {"queued": "created", "in_progress": "processing", "completed": "completed"}
FAILURE_MESSAGES = {
    "failed": "Video generation failed due to an internal error",
    "canceled": "The prediction was cancelled",
    "expired": "The prediction expired in the queue",
}


@dataclass
class Prediction(PlannedRecord):
    id: str
    model: str
    tier: str
    task: str
    created_at: float
    prompt: str
    duration: int
    aspect_ratio: str
    sound: bool
    image: str | None
    end_image: str | None
    seed: int
    plan: dict[str, Any]

    def state(self, now: float) -> str:
        return self.job_plan().state_at(now - self.created_at)[0]

    def finished_at(self) -> float | None:
        """When the prediction reached its terminal status (None while it never does)."""
        at = self.job_plan().finishes_at
        return None if at is None else self.created_at + at

    def video_available(self, now: float) -> bool:
        if self.state(now) != "completed":
            return False
        ttl = self.job_plan().content_expires_after
        done = self.finished_at()
        return ttl is None or done is None or now < done + ttl

    def video_spec(self) -> VideoSpec:
        short = SHORT_SIDE[self.tier]
        if self.aspect_ratio == "1:1":
            width, height = short, short
        else:
            long = short * 16 // 9
            width, height = (long, short) if self.aspect_ratio == "16:9" else (short, long)
        # Turbo always renders sound (the gateway never sends ``sound`` for it, §5.4).
        return VideoSpec(width, height, self.duration, self.sound or self.tier == "turbo", self.seed)

    def render(self, now: float, base_url: str) -> dict[str, Any]:
        """The prediction as ``GET /api/v1/model/prediction/{id}`` returns it under ``data`` at ``now``."""
        plan = self.job_plan()
        status = self.state(now)
        wire = WIRE_STATUS.get(status, "failed")
        error = ""
        if wire == "failed":
            error = str((plan.error or {}).get("message") or FAILURE_MESSAGES.get(status, FAILURE_MESSAGES["failed"]))
        done = wire in ("completed", "failed")
        finished = self.finished_at()
        return {
            "id": self.id,
            "model": self.model,
            "status": wire,
            "outputs": [f"{base_url}/files/{self.id}.mp4"] if wire == "completed" else [],
            "urls": {"get": f"{base_url}/api/v1/model/prediction/{self.id}"},
            "has_nsfw_contents": [False] if wire == "completed" else [],
            "created_at": _iso(self.created_at),
            "error": error,
            "executionTime": int(((finished or now) - self.created_at) * 1000) if done else 0,
        }


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def parse_generate_body(body: Any) -> dict[str, Any]:
    """The fields of a valid ``generateVideo`` body, or AtlasError(400). Wording chosen throughout."""
    if not isinstance(body, dict):
        raise AtlasError(400, "Request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise AtlasError(400, "model is required")
    if model not in MODELS:
        raise AtlasError(400, f"Model {model} is not supported")
    tier, task = MODELS[model]
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str):
        raise AtlasError(400, "prompt must be a string")
    if task == "text-to-video" and not prompt.strip():
        raise AtlasError(400, "prompt is required")
    duration = body.get("duration", 5)
    if isinstance(duration, bool) or not isinstance(duration, int) or duration not in DURATIONS:
        raise AtlasError(400, f"duration must be one of 5, 10; got {duration!r}")
    aspect = body.get("aspect_ratio", "16:9")
    if aspect not in ASPECT_RATIOS:
        raise AtlasError(400, f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}; got {aspect!r}")
    sound = body.get("sound", True)
    if not isinstance(sound, bool):
        raise AtlasError(400, "sound must be a boolean")
    image, end_image = body.get("image"), body.get("end_image")
    if task == "image-to-video" and image is None:
        raise AtlasError(400, "image is required for image-to-video")
    for name, value in (("image", image), ("end_image", end_image)):
        if value is not None and not _is_url(value):
            raise AtlasError(400, f"{name} must be an http(s) URL; upload local files with /api/v1/model/uploadMedia")
    if end_image is not None and image is None:
        raise AtlasError(400, "end_image requires image")
    if task == "text-to-video" and image is not None:
        raise AtlasError(400, f"image is not supported by {model}; use the image-to-video model")
    if body.get("reference_image_urls") or body.get("reference_video_urls"):
        raise AtlasError(400, f"reference inputs are not supported by {model}")
    return {
        "model": model,
        "tier": tier,
        "task": task,
        "prompt": prompt,
        "duration": duration,
        "aspect_ratio": aspect,
        "sound": sound,
        "image": image,
        "end_image": end_image,
    }
