"""Luma Dream Machine generations: what was asked, and what a generation looks like at a given time.

Per providers.md §10 and the official SDK (``lumaai``, ``types/generation.py``): a generation is
``{id (UUIDv4), generation_type, state, failure_reason, created_at (ISO), assets, model, request}``
and moves ``queued`` → ``dreaming`` → ``completed`` | ``failed``, as a pure function of the clock (the
job's ``JobPlan``: ``in_progress`` renders as ``dreaming``; a scenario's ``expired`` or ``canceled``,
which Luma does not have, render as ``failed``).

Choices where the reference is silent (not in the reference: chosen):

* ``assets`` is ``null`` until the generation is completed, then ``{"video", "image"}`` (the clip and
  a JPEG thumbnail, CDN-style files on this emulator, no auth), as Luma answers in the wild;
* ``created_at`` is ISO 8601 in UTC with microseconds (``2024-12-26T08:36:58.236000Z``, as seen);
* ``failure_reason`` is the scenario's error message, else Luma's "Job failed";
* ``request`` echoes the video request with defaults filled in and unset fields as ``null``;
* asset URLs never expire unless ``LumaOptions.content_ttl`` or the scenario says so (the
  reference lists URL expiry as an open question);
* pixel sizes: the resolution names the short side (720p 16:9 is 1280x720, 720p 9:16 720x1280).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..base import PlannedRecord

KIND = "luma.generation"
MODELS = ("ray-2", "ray-flash-2", "ray-1-6")
# Seconds from submit to completed (not in the reference: chosen; Ray 2 takes a couple of minutes,
# Flash well under one). ``ctx.config.latency[key]`` overrides, upscale and audio included.
DEFAULT_LATENCY: dict[str, float] = {
    "ray-2": 120.0,
    "ray-flash-2": 45.0,
    "ray-1-6": 90.0,
    "upscale": 60.0,
    "add_audio": 30.0,
    "modify_video": 90.0,  # changes-2026-12.md §4.5 (edits.py)
    "reframe_video": 60.0,
}
ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
SHORT_SIDE = {"540p": 540, "720p": 720, "1080p": 1080, "4k": 2160}
DURATIONS = {"5s": 5, "9s": 9}
# What each model takes (chosen: Ray 2 and Flash as the SDK lists; Ray 1.6 predates both options).
MODEL_RESOLUTIONS = {"ray-2": RESOLUTIONS, "ray-flash-2": RESOLUTIONS, "ray-1-6": ("720p",)}
MODEL_DURATIONS = {"ray-2": ("5s", "9s"), "ray-flash-2": ("5s", "9s"), "ray-1-6": ("5s",)}
DEFAULT_RESOLUTION, DEFAULT_DURATION, DEFAULT_ASPECT = "720p", "5s", "16:9"
# ``GET /generations/concepts/list`` (keys chosen: Luma's camera-motion concepts).
CONCEPTS = (
    "aerial",
    "aerial_drone",
    "bolt_cam",
    "crane_down",
    "crane_up",
    "dolly_zoom",
    "elevator_doors",
    "eye_level",
    "ground_level",
    "handheld",
    "high_angle",
    "low_angle",
    "orbit_left",
    "orbit_right",
    "over_the_shoulder",
    "overhead",
    "pan_left",
    "pan_right",
    "pedestal_down",
    "pedestal_up",
    "pov",
    "pull_out",
    "push_in",
    "roll_left",
    "roll_right",
    "selfie",
    "static",
    "tilt_down",
    "tilt_up",
    "tiny_planet",
    "truck_left",
    "truck_right",
    "zoom_in",
    "zoom_out",
)
STATES = {
    "queued": "queued",
    "in_progress": "dreaming",
    "completed": "completed",
    "failed": "failed",
    "expired": "failed",
    "canceled": "failed",
}
TERMINAL = frozenset({"completed", "failed"})
FAILURE_REASONS = {"failed": "Job failed", "expired": "Generation expired", "canceled": "Generation cancelled"}


@dataclass(frozen=True)
class LumaOptions:
    """Where the reference is open, the behaviour can be chosen per plugin (``make_plugin``)."""

    api_keys: tuple[str, ...] = ()  # accepted keys; empty: any non-empty Bearer key
    delete_status: int = 204  # the SDK reads no body from DELETE; 200 answers ``null`` instead
    content_ttl: float | None = None  # seconds an asset URL lives after completion; None: for ever


@dataclass
class Generation(PlannedRecord):
    id: str
    seq: int  # creation order, for the list (the store orders by last write)
    model: str
    created_at: float
    prompt: str
    request: dict[str, Any]  # Luma's ``request`` field, as rendered
    width: int
    height: int
    seconds: int
    audio: bool
    seed: int
    plan: dict[str, Any]
    callback_url: str | None = None
    source: str | None = None  # upscale / add_audio: the generation this one derives from

    def status_at(self, now: float) -> str:
        """The generic plan status (``queued``, ``in_progress``, ``completed``, ``failed``, …)."""
        return self.job_plan().state_at(now - self.created_at)[0]

    def state_at(self, now: float) -> str:
        """Luma's ``state`` at ``now``."""
        return STATES.get(self.status_at(now), "failed")

    def content_available(self, now: float, ttl: float | None) -> bool:
        if self.status_at(now) != "completed":
            return False
        plan = self.job_plan()
        ttl = plan.content_expires_after if plan.content_expires_after is not None else ttl
        return ttl is None or now < self.created_at + (plan.finishes_at or 0.0) + ttl

    def failure_reason(self, status: str) -> str:
        message = (self.job_plan().error or {}).get("message")
        return str(message) if message else FAILURE_REASONS.get(status, "Job failed")

    def render(self, now: float, base_url: str) -> dict[str, Any]:
        """The Generation object as ``GET /generations/{id}`` (and a callback) carries it at ``now``."""
        status = self.status_at(now)
        state = STATES.get(status, "failed")
        assets = None
        if state == "completed":
            assets = {"video": f"{base_url}/files/{self.id}.mp4", "image": f"{base_url}/files/{self.id}.jpg"}
        return {
            "id": self.id,
            "generation_type": "video",
            "state": state,
            "failure_reason": self.failure_reason(status) if state == "failed" else None,
            "created_at": iso(self.created_at),
            "assets": assets,
            "model": self.model,
            "request": self.request,
        }


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dimensions(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """(width, height): the resolution is the short side, the other side follows the ratio (even)."""
    w, h = (int(x) for x in aspect_ratio.split(":"))
    short = SHORT_SIDE[resolution]
    long = int(round(short * max(w, h) / min(w, h)))
    long -= long % 2
    return (long, short) if w >= h else (short, long)


def resolution_of(width: int, height: int) -> str:
    """The resolution name of a clip (for upscale checks)."""
    short = min(width, height)
    return next((name for name, side in SHORT_SIDE.items() if side == short), "720p")
