"""Kling video tasks (providers.md §5): the models, the options, and what a task looks like at a time.

A task's lifecycle is its scenario plan (``JobPlan``), a pure function of the time since submit,
mapped to Kling's four statuses: ``submitted`` (queued), ``processing``, ``succeed`` (note the
spelling) and ``failed``. Plan steps Kling has no word for (``canceled``, ``expired``) show as
``failed`` with a message saying which (chosen: no cancel exists on Kling, §5.1).

Choices where the reference is open (all marked "chosen" where they are made):

* Models and what each accepts follow the Kling capability map republished with the docs: which
  endpoint takes which ``model_name``, the output resolution per mode (std 720p, pro 1080p, with the
  exceptions listed), last frames (``image_tail``) only where the map shows them, ``sound`` only on
  kling-v2-6 (pro for sound on). ``kling-video-o1`` has its own endpoint (omni-video), not emulated.
* Seconds to render per model (``DEFAULT_LATENCY``) for a 5 s ``std`` clip; ``pro`` takes 1.5× and a
  10 s clip 2× (the reference only says they are slower, unverified). ``ServerConfig.latency[model]``
  replaces the computed value outright.
* Output size: 16:9, 9:16 or 1:1 at the mode's resolution; image2video takes the nearest of the three
  to the input image's shape (16:9 when the image is a URL the emulator cannot fetch).
* ``videos[].duration`` is the rendered clip's length as a decimal string ("5.0"): the MP4 served is
  exactly that long (real clips run slightly over, "5.1").
* Video URLs are ``{base}/files/{task_id}/{video_id}.mp4``, unauthenticated like a CDN, and answer
  404 once the media is deleted 30 days after the task succeeded (or the scenario's content expiry).
* Tasks belong to the account (AccessKey) that created them: another account's GET is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...media import VideoSpec
from ..base import PlannedRecord

KIND = "kling.task"
EXTERNAL_KIND = "kling.external_task_id"  # "<access key>:<external id>" → task id
TYPES = ("text2video", "image2video")

# The documented development pair the emulator accepts by default (any pair can be configured).
DEV_ACCESS_KEY = "vidmock-kling-access-key"
DEV_SECRET_KEY = "vidmock-kling-secret-key"


@dataclass(frozen=True)
class KlingOptions:
    """``keys``: (AccessKey, SecretKey) pairs the emulator accepts; the client signs with the first.
    ``leeway``: seconds of clock skew tolerated on ``nbf``/``exp`` (none by default: the documented
    ``nbf = now - 5`` is the client's own margin). ``check_image_size``: enforce the documented image
    minimum (300 px a side) and aspect (1:2.5 to 2.5:1) on base64 images; turn it off to let tiny
    test images through."""

    keys: tuple[tuple[str, str], ...] = ((DEV_ACCESS_KEY, DEV_SECRET_KEY),)
    leeway: float = 0.0
    check_image_size: bool = True

    def key_map(self) -> dict[str, str]:
        return dict(self.keys)


@dataclass(frozen=True)
class ModelSpec:
    endpoints: tuple[str, ...]
    std: int  # short side in px of a std-mode output
    pro: int  # … and of a pro-mode output
    tail_modes: tuple[str, ...] = ()  # modes where image_tail is accepted
    sound: bool = False  # ``sound: "on"`` possible (pro mode only)
    cfg_scale: bool = True  # kling-v2.x ignores cfg_scale


BOTH = ("text2video", "image2video")
I2V = ("image2video",)
MODELS: dict[str, ModelSpec] = {
    "kling-v1": ModelSpec(BOTH, 720, 720, tail_modes=("std", "pro")),
    "kling-v1-5": ModelSpec(I2V, 720, 1080, tail_modes=("pro",)),
    "kling-v1-6": ModelSpec(BOTH, 720, 1080, tail_modes=("pro",)),
    "kling-v2-master": ModelSpec(BOTH, 720, 720, cfg_scale=False),
    "kling-v2-1": ModelSpec(I2V, 720, 1080, tail_modes=("pro",), cfg_scale=False),
    "kling-v2-1-master": ModelSpec(BOTH, 1080, 1080, cfg_scale=False),
    "kling-v2-5-turbo": ModelSpec(BOTH, 720, 1080, tail_modes=("pro",), cfg_scale=False),
    "kling-v2-6": ModelSpec(BOTH, 720, 1080, tail_modes=("pro",), sound=True, cfg_scale=False),
}
DEFAULT_MODEL = "kling-v1"  # model_name is optional; the docs give kling-v1 as its default
# Seconds from submit to ``succeed`` for a 5 s std clip (chosen: "minutes", §5.6).
DEFAULT_LATENCY: dict[str, float] = {
    "kling-v1": 120.0,
    "kling-v1-5": 150.0,
    "kling-v1-6": 150.0,
    "kling-v2-master": 300.0,
    "kling-v2-1": 180.0,
    "kling-v2-1-master": 300.0,
    "kling-v2-5-turbo": 90.0,
    "kling-v2-6": 120.0,
}
MEDIA_TTL = 30 * 86400.0  # "Generated media is deleted after 30 days" (§5.3)
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}

STATUS = {
    "queued": "submitted",
    "in_progress": "processing",
    "completed": "succeed",
    "failed": "failed",
    "canceled": "failed",
    "expired": "failed",
}
TERMINAL = frozenset({"succeed", "failed"})
DEFAULT_FAILURE = "Video generation failed due to an internal error, please try again later"
FAILURES = {"canceled": "The task was cancelled", "expired": "The task expired before it was processed"}
# Output moderation (§5.4): the task fails after running, with this status message (wording chosen
# after the docs' "triggering the content risk control of the platform").
RISK_CONTROL = "Failure to pass the risk control system: the output triggered the content risk control of the platform"
OUTPUT_MODERATION_MARKER = "[vidmock:output_moderation]"
INPUT_MODERATION_MARKER = "[vidmock:input_moderation]"


def latency(model: str, mode: str, duration: int, overrides: dict[str, float]) -> float:
    if model in overrides:
        return float(overrides[model])
    return DEFAULT_LATENCY[model] * (1.5 if mode == "pro" else 1.0) * (2.0 if duration == 10 else 1.0)


def dimensions(short_side: int, aspect: str) -> tuple[int, int]:
    w, h = ASPECTS[aspect]
    if w >= h:
        return short_side * w // h, short_side
    return short_side, short_side * h // w


def nearest_aspect(width: int, height: int) -> str:
    ratio = width / height
    return min(ASPECTS, key=lambda a: abs(ASPECTS[a][0] / ASPECTS[a][1] - ratio))


@dataclass
class Task(PlannedRecord):
    id: str
    type: str  # text2video | image2video
    account: str  # the AccessKey that created it
    model_name: str
    mode: str
    prompt: str
    duration: int
    aspect_ratio: str
    width: int
    height: int
    sound: bool
    video_id: str
    seed: int
    created_at: float
    plan: dict[str, Any]
    external_task_id: str | None = None
    callback_url: str | None = None
    watermark: bool | None = None
    params: dict[str, Any] = field(default_factory=dict)  # the rest of the request, for the inspector

    def state_at(self, now: float) -> tuple[str, float]:
        """(plan status, time it was entered) at ``now``."""
        plan = self.job_plan()
        elapsed = now - self.created_at
        status, _ = plan.state_at(elapsed)
        since = max((at for at, _, _ in plan.steps if at <= elapsed), default=0.0)
        return status, self.created_at + since

    def status_at(self, now: float) -> str:
        return STATUS.get(self.state_at(now)[0], "processing")

    def media_available(self, now: float) -> bool:
        status, since = self.state_at(now)
        ttl = self.job_plan().content_expires_after
        return status == "completed" and now < since + (MEDIA_TTL if ttl is None else ttl)

    def failure_message(self, status: str) -> str:
        if status in FAILURES:
            return FAILURES[status]
        error = self.job_plan().error or {}
        return str(error.get("message") or DEFAULT_FAILURE)

    def video_url(self, base_url: str) -> str:
        return f"{base_url}/files/{self.id}/{self.video_id}.mp4"

    def video_spec(self) -> VideoSpec:
        return VideoSpec(self.width, self.height, self.duration, self.sound, self.seed)

    def render(self, now: float, base_url: str) -> dict[str, Any]:
        """The task as ``GET /v1/videos/{type}/{task_id}`` returns it in ``data`` (§5.3)."""
        status, since = self.state_at(now)
        wire = STATUS.get(status, "processing")
        info: dict[str, Any] = {}
        if self.external_task_id is not None:
            info["external_task_id"] = self.external_task_id
        out: dict[str, Any] = {
            "task_id": self.id,
            "task_status": wire,
            "task_status_msg": self.failure_message(status) if wire == "failed" else "",
            "task_info": info,
            "created_at": _ms(self.created_at),
            "updated_at": _ms(since),
        }
        if wire == "succeed":
            out["task_result"] = {
                "videos": [{"id": self.video_id, "url": self.video_url(base_url), "duration": f"{self.duration:.1f}"}]
            }
        if self.watermark is not None:
            out["watermark_info"] = {"enabled": self.watermark}
        return out

    def created(self, now: float) -> dict[str, Any]:
        """The create answer's ``data``: the task without its result (§5.2 response)."""
        full = self.render(now, "")
        return {k: full[k] for k in ("task_id", "task_info", "task_status", "created_at", "updated_at")}


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def moderation_steps(latency: float) -> list[tuple[float, str, int | None]]:
    """The plan of a task whose output fails moderation: queued, processing, failed at ``latency``."""
    queued = min(30.0, 0.1 * latency)
    return [(0.0, "queued", 0), (queued, "in_progress", 0), (latency, "failed", None)]
