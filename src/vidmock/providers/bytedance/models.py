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

import base64
import binascii
import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from ...media import MediaCache, VideoSpec
from ...scenarios import JobPlan
from ..base import PlannedRecord
from .errors import INPUT_TEXT_SENSITIVE, invalid, missing

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
    """The prompt the scenario engine sees: a legacy marker becomes a ``[scenario:NAME]`` marker
    when that scenario is in the catalogue (an explicit marker or header still wins)."""
    if "[scenario:" in prompt:
        return prompt
    for marker, name in MARKER_SCENARIOS.items():
        if marker in prompt and name in catalogue:
            return f"{prompt} [scenario:{name}]"
    return prompt


def render_video(task: Task, media: MediaCache) -> bytes:
    return media.get(task.video_spec())


def task_id(now: float, suffix: str, service_tier: str) -> str:
    """``cgt-YYYYMMDDhhmmss-xxxxx`` (§4.1); flex ids look like ``cgt-batch-…`` (the rest chosen)."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now))
    return f"cgt-{'batch-' if service_tier == 'flex' else ''}{stamp}-{suffix}"


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


def resolve_seed(seed: int, task_id: str) -> int:
    """-1 means random: a deterministic pick from the task id."""
    return seed if seed >= 0 else zlib.crc32(task_id.encode()) & 0x7FFFFFFF
