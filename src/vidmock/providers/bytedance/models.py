"""Seedance content-generation tasks: what was asked, and what the task looks like at a given time.

The lifecycle is a pure function of the clock (providers.md §4.3): each task stores the scenario
plan chosen at create (``vidmock.scenarios.JobPlan``), and its status at ``now`` is
``plan.state_at(now - created_at)`` mapped to Ark's enum. Without a scenario the plan is Ark's
default: ``queued`` for ``queue`` seconds (per service tier), ``running`` for ``latency``, then
``succeeded``. Whatever the plan, a task still queued when ``execution_expires_after`` runs out is
``expired`` (Ark's own rule). The only stored transition is a cancel (DELETE of a queued task).

The prompt marker ``[vidmock:output_moderation]`` selects the bundled ``seedance-output-moderation``
scenario; ``[vidmock:input_moderation]`` stays a check on the text (a 400 on every create, where a
scenario's submit faults are consumed one per call).

``callback_url`` is validated and kept on the record; ``callbacks`` posts the task to it on each
status change (§4.5).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from ...media import MediaCache, VideoSpec
from ...scenarios import JobPlan, with_legacy_marker
from ..base import PlannedRecord

KIND = "bytedance.task"
URL_TTL = 24 * 3600.0  # "Video URL validity is about 24 h" (§4.3)
FPS = 24  # framespersecond in the §4.3 example
DEFAULT_EXPIRES_AFTER = 172800  # §4.2
EXPIRES_AFTER_RANGE = (3600, 259200)
# Queue time before a task starts running. Default (realtime) tier: a few seconds (chosen). The
# flex tier is batch-queued and "can sit in queued far longer than 10 min" (§4.6): 2 h (chosen),
# so a flex task with execution_expires_after=3600 ends ``expired``.
QUEUE_SECONDS = {"default": 5.0, "flex": 7200.0}
MAX_IMAGE_BYTES = 30 * 1024 * 1024  # §4.2 input images: at most 30 MB
IMAGE_FORMATS = ("jpeg", "jpg", "png", "webp", "bmp", "tiff", "gif")
RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive")
SEED_MAX = 2**32 - 1

INPUT_MODERATION_MARKER = "[vidmock:input_moderation]"
OUTPUT_MODERATION_MARKER = "[vidmock:output_moderation]"
MARKER_SCENARIOS = {OUTPUT_MODERATION_MARKER: "seedance-output-moderation"}
# Scenario statuses → Ark's (§4.3).
STATUS = {
    "queued": "queued",
    "in_progress": "running",
    "completed": "succeeded",
    "failed": "failed",
    "canceled": "cancelled",
    "expired": "expired",
}
# A failed plan without an error of its own (code from §4.4's table, message chosen).
DEFAULT_ERROR = {"code": "InternalServiceError", "message": "The service encountered an unexpected internal error."}

# Output sizes per resolution and ratio. Not in the reference except 720p 16:9 = 1248x704 (the
# §4.3 token example); the rest follow Ark's published table (chosen). ``adaptive`` renders 16:9.
DIMENSIONS: dict[str, dict[str, tuple[int, int]]] = {
    "480p": {
        "16:9": (864, 480),
        "4:3": (736, 544),
        "1:1": (640, 640),
        "3:4": (544, 736),
        "9:16": (480, 864),
        "21:9": (960, 416),
    },
    "720p": {
        "16:9": (1248, 704),
        "4:3": (1120, 832),
        "1:1": (960, 960),
        "3:4": (832, 1120),
        "9:16": (704, 1248),
        "21:9": (1504, 640),
    },
    "1080p": {
        "16:9": (1920, 1088),
        "4:3": (1664, 1248),
        "1:1": (1440, 1440),
        "3:4": (1248, 1664),
        "9:16": (1088, 1920),
        "21:9": (2176, 928),
    },
}


@dataclass(frozen=True)
class ModelSpec:
    """What one Seedance model accepts (§4.2 model matrix; 2.x ids from gateway.md §5.4)."""

    durations: tuple[int, int]  # inclusive range
    resolutions: tuple[str, ...]
    default_resolution: str
    latency: float  # seconds running, before the output is ready
    first_frame: bool = True
    last_frame: bool = True
    reference_images: int = 0  # max reference images; 0: reference mode unsupported
    reference_media: bool = False  # reference videos and audios (Seedance 2.x)
    audio: bool = False  # generate_audio supported


# Latencies (§4.6): "about 30 s" on the default tier for fast/lite models, the practitioner
# planning figure of 150 s for the pro and 2.0 models, longer for 2.5 (up to ~15 min quoted via
# third parties). Exact per-model figures are chosen.
_V1_RES = ("480p", "720p", "1080p")
_SEEDANCE_1 = {
    "seedance-1-5-pro-251215": ModelSpec((2, 12), _V1_RES, "720p", 90.0, audio=True),
    "seedance-1-0-pro-250528": ModelSpec((2, 12), _V1_RES, "1080p", 150.0),
    "seedance-1-0-pro-fast-250528": ModelSpec((2, 12), _V1_RES, "1080p", 30.0, last_frame=False),
    "seedance-1-0-pro-fast-251015": ModelSpec((2, 12), _V1_RES, "1080p", 30.0, last_frame=False),
    "seedance-1-0-lite-t2v-250219": ModelSpec((2, 12), _V1_RES, "720p", 30.0, first_frame=False, last_frame=False),
    "seedance-1-0-lite-t2v-250428": ModelSpec((2, 12), _V1_RES, "720p", 30.0, first_frame=False, last_frame=False),
    "seedance-1-0-lite-i2v-250219": ModelSpec((2, 12), _V1_RES, "720p", 30.0, reference_images=4),
    "seedance-1-0-lite-i2v-250428": ModelSpec((2, 12), _V1_RES, "720p", 30.0, reference_images=4),
}
_SEEDANCE_2 = {
    "seedance-2-0-260128": ModelSpec(
        (4, 15), _V1_RES, "720p", 150.0, reference_images=9, reference_media=True, audio=True
    ),
    "seedance-2-0-fast-260128": ModelSpec(
        (4, 15), ("480p", "720p"), "720p", 90.0, reference_images=9, reference_media=True, audio=True
    ),
    "seedance-2-0-mini-260615": ModelSpec(
        (4, 15), ("480p", "720p"), "720p", 90.0, reference_images=9, reference_media=True, audio=True
    ),
    "seedance-2-5-260628": ModelSpec(
        (4, 30), _V1_RES, "720p", 240.0, reference_images=9, reference_media=True, audio=True
    ),
}
MODELS: dict[str, ModelSpec] = {
    **_SEEDANCE_1,
    **{f"doubao-{k}": v for k, v in _SEEDANCE_1.items()},  # Volcengine ids
    **{f"doubao-{k}": v for k, v in _SEEDANCE_2.items()},
    **{f"dreamina-{k}": v for k, v in _SEEDANCE_2.items()},  # LLMGateway's ids (gateway.md §5.4)
}


@dataclass
class Task(PlannedRecord):
    id: str
    model: str
    created_at: float
    queue: float  # seconds queued
    latency: float  # seconds running
    prompt: str
    duration: int
    ratio: str  # as resolved (``adaptive`` is kept as asked)
    resolution: str
    generate_audio: bool
    seed: int
    service_tier: str
    execution_expires_after: int
    priority: int
    content: list[dict[str, Any]] = field(default_factory=list)  # the request's items, data URLs elided
    callback_url: str | None = None  # status changes are posted here (``callbacks``)
    return_last_frame: bool = False
    cancelled_at: float | None = None
    plan: dict[str, Any] | None = None  # the scenario plan (JobPlan.to_doc()); None = Ark's default
    draft: bool = False  # a Seedance 2.5 draft (drafts.py, changes-2026-12.md §4.6)
    draft_task_id: str | None = None  # the draft this final video was made from

    # -- lifecycle (pure in ``now``) ---------------------------------------------------------------
    def job_plan(self) -> JobPlan:
        if self.plan is not None:
            return JobPlan.from_doc(self.plan)
        return JobPlan(None, self.seed, default_steps(self.queue, self.latency))

    @property
    def expires_at(self) -> float:
        """When a task that has not started by then becomes ``expired``."""
        return self.created_at + self.execution_expires_after

    def status_at(self, now: float) -> tuple[str, float]:
        """(Ark status, time of the last transition) at ``now``."""
        if self.cancelled_at is not None and now >= self.cancelled_at:
            return "cancelled", self.cancelled_at
        plan = self.job_plan()
        if now >= self.expires_at and plan.state_at(self.execution_expires_after)[0] == "queued":
            return "expired", self.expires_at
        elapsed = now - self.created_at
        status, _ = plan.state_at(elapsed)
        since = max((at for at, _, _ in plan.steps if at <= elapsed), default=0.0)
        return STATUS[status], self.created_at + since

    def video_available(self, now: float) -> bool:
        status, at = self.status_at(now)
        ttl = self.job_plan().content_expires_after
        return status == "succeeded" and now < at + (URL_TTL if ttl is None else ttl)

    def error(self) -> dict[str, Any]:
        given = self.job_plan().error or {}
        return {
            "code": str(given.get("code") or DEFAULT_ERROR["code"]),
            "message": str(given.get("message") or DEFAULT_ERROR["message"]),
        }

    def size(self) -> tuple[int, int]:
        ratio = "16:9" if self.ratio == "adaptive" else self.ratio
        return DIMENSIONS[self.resolution][ratio]

    def video_spec(self) -> VideoSpec:
        w, h = self.size()
        return VideoSpec(w, h, self.duration, self.generate_audio, self.seed)

    def render(self, now: float, base_url: str) -> dict[str, Any]:
        """The task object as ``GET /contents/generations/tasks/{id}`` returns it at ``now`` (§4.3)."""
        status, updated = self.status_at(now)
        out: dict[str, Any] = {"id": self.id, "model": self.model, "status": status}
        if status == "failed":
            out["error"] = self.error()
        if status == "succeeded":
            out["content"] = {"video_url": f"{base_url}/files/{self.id}.mp4"}
            w, h = self.size()
            tokens = w * h * FPS * self.duration // 1024
            out["usage"] = {"completion_tokens": tokens, "total_tokens": tokens}
        out.update(
            {
                "created_at": int(self.created_at),
                "updated_at": int(updated),
                "seed": self.seed,
                "resolution": self.resolution,
                "ratio": self.ratio,
                "duration": self.duration,
                "framespersecond": FPS,
                "frames": self.duration * FPS + 1,
                "generate_audio": self.generate_audio,
                "draft": self.draft,
                "service_tier": self.service_tier,
                "execution_expires_after": self.execution_expires_after,
                "priority": self.priority,
            }
        )
        if self.draft_task_id is not None:
            out["draft_task_id"] = self.draft_task_id
        return out


def default_steps(queue: float, latency: float) -> list[tuple[float, str, int | None]]:
    """Ark's lifecycle without a scenario: queued, running, succeeded."""
    return [(0.0, "queued", None), (queue, "in_progress", None), (queue + latency, "completed", None)]


def scenario_prompt(prompt: str, catalogue: Any) -> str:
    """The prompt the scenario engine sees, this provider's legacy markers included."""
    return with_legacy_marker(prompt, MARKER_SCENARIOS, catalogue)


def render_video(task: Task, media: MediaCache) -> bytes:
    return media.get(task.video_spec())


def task_id(now: float, suffix: str, service_tier: str) -> str:
    """``cgt-YYYYMMDDhhmmss-xxxxx`` (§4.1); flex ids look like ``cgt-batch-…`` (the rest chosen)."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now))
    return f"cgt-{'batch-' if service_tier == 'flex' else ''}{stamp}-{suffix}"


def resolve_seed(seed: int, task_id: str) -> int:
    """-1 means random: a deterministic pick from the task id."""
    return seed if seed >= 0 else zlib.crc32(task_id.encode()) & 0x7FFFFFFF
