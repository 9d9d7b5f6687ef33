"""OpenAI Videos (Sora 2): what was asked, and what the ``Video`` looks like at a given time.

The lifecycle is a pure function of the clock (ARCHITECTURE.md): each video stores the scenario
plan chosen at create (``vidmock.scenarios.JobPlan``), and its status and progress at ``now`` are
``plan.state_at(now - created_at)`` mapped to Sora's enum. Polling never moves it. Without a
scenario the plan is the default one: ``queued`` for the first ``queued_for`` seconds, then
``in_progress`` with an integer ``progress`` rising linearly 0→99, then ``completed`` (100) at
``created_at + latency``.

The prompt markers that predate scenarios still work: ``[vidmock:moderation_blocked]`` selects the
bundled ``sora-moderation-blocked`` scenario and ``[vidmock:content_filter]`` ``sora-content-filter``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...scenarios import JobPlan, default_plan, with_legacy_marker
from ..base import PlannedRecord
from .errors import OpenAIError, invalid_type, invalid_value, missing

KIND = "openai.video"
SEQ_COUNTER = "openai.video.seq"  # insertion order, for list ordering among equal created_at

MODELS = ("sora-2", "sora-2-pro", "sora-2-2025-10-06", "sora-2-pro-2025-10-06", "sora-2-2025-12-08")
PRO_MODELS = frozenset({"sora-2-pro", "sora-2-pro-2025-10-06"})
DEFAULT_MODEL = "sora-2"
SECONDS = ("4", "8", "12")  # VideoSeconds
EXTENDED_SECONDS = ("4", "8", "12", "16", "20")  # newer guide text, behind the extended flag
DEFAULT_SECONDS = "4"
SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")  # VideoSize, the sora-2-pro set
BASE_SIZES = ("720x1280", "1280x720")  # sora-2 (providers.md §1.2 "Per-model sizes")
EXTENDED_PRO_SIZES = ("1920x1080", "1080x1920")  # "Use sora-2-pro for 1080p exports", extended flag
DEFAULT_SIZE = "720x1280"
PROMPT_MAX = 32000
IMAGE_URL_MAX = 20_971_520
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
CREATE_FIELDS = frozenset({"prompt", "model", "seconds", "size", "input_reference"})

# Seconds from create to completed for an 8-second clip (providers.md §1.7: sora-2 median about
# 90 s, one 8 s job took ~105 s; sora-2-pro roughly 2–3x slower). Scaled roughly linearly with
# the clip length: 4 s → 0.625x, 12 s → 1.375x. ``ctx.config.latency[model]`` overrides the total.
BASE_LATENCY = {"sora-2": 90.0, "pro": 225.0}
EXPIRY = 3600.0  # "Download URLs are valid for a maximum of 1 hour after generation"

MODERATION_MARKER = "[vidmock:moderation_blocked]"
CONTENT_FILTER_MARKER = "[vidmock:content_filter]"
# Legacy prompt markers → the bundled scenario each one stands for.
MARKER_SCENARIOS = {MODERATION_MARKER: "sora-moderation-blocked", CONTENT_FILTER_MARKER: "sora-content-filter"}

# Scenario statuses → Sora's. Sora has no cancelled state; a cancelled plan reads as failed.
# ``expired`` is the unofficial status integrators saw past retention (providers.md §1.3).
STATUS = {
    "queued": "queued",
    "in_progress": "in_progress",
    "completed": "completed",
    "failed": "failed",
    "canceled": "failed",
    "expired": "expired",
}
TERMINAL = frozenset({"completed", "failed", "expired"})
# Wording unverified; codes from the field (providers.md §1.4). Used when a plan's error has no message.
FAILURE_MESSAGES = {
    "moderation_blocked": "Your request was blocked by our moderation system.",
    "content_filter": "The generated video was blocked by our content filter.",
    "internal_error": "Video generation failed due to an internal error.",
    "cancelled": "The video generation was cancelled.",
}
# A failed plan without an error, and a cancelled one (codes chosen: the reference gives none).
DEFAULT_ERRORS = {"failed": "internal_error", "canceled": "cancelled"}


def default_latency(model: str, seconds: int) -> float:
    base = BASE_LATENCY["pro" if model in PRO_MODELS else "sora-2"]
    return base * (0.25 + 0.75 * seconds / 8)


def scenario_prompt(prompt: str, catalogue: Any) -> str:
    """The prompt the scenario engine sees, this provider's legacy markers included."""
    return with_legacy_marker(prompt, MARKER_SCENARIOS, catalogue)


@dataclass
class Video(PlannedRecord):
    id: str
    model: str
    prompt: str
    seconds: str
    size: str
    created_at: float
    latency: float
    seq: int = 0
    remixed_from_video_id: str | None = None
    reference_count: int = 0
    plan: dict[str, Any] | None = None  # the scenario plan (JobPlan.to_doc()); None = the default plan

    # -- lifecycle ---------------------------------------------------------------------------------
    def job_plan(self) -> JobPlan:
        return JobPlan.from_doc(self.plan) if self.plan is not None else default_plan(self.latency, self.seed)

    def state(self, now: float) -> tuple[str, str, int]:
        """(Sora status, scenario status, progress) at ``now``."""
        generic, progress = self.job_plan().state_at(now - self.created_at)
        return STATUS[generic], generic, progress

    def status(self, now: float) -> str:
        return self.state(now)[0]

    @property
    def finished_at(self) -> float | None:
        """When the job reaches its terminal status, or None if it never does (stuck)."""
        plan = self.job_plan()
        return None if plan.finishes_at is None else self.created_at + plan.finishes_at

    def expires_at(self) -> float | None:
        plan = self.job_plan()
        if plan.outcome != "completed" or self.finished_at is None:
            return None
        ttl = plan.content_expires_after if plan.content_expires_after is not None else EXPIRY
        return self.finished_at + ttl

    def expired(self, now: float) -> bool:
        exp = self.expires_at()
        return exp is not None and now >= exp

    def error(self, generic: str) -> dict[str, Any] | None:
        """A failed video's ``error: {code, message}`` (``VideoCreateError``: no type or param)."""
        if generic not in DEFAULT_ERRORS:
            return None
        given = self.job_plan().error or {}
        code = str(given.get("code") or DEFAULT_ERRORS[generic])
        message = given.get("message") or FAILURE_MESSAGES.get(code, "Video generation failed.")
        return {"code": code, "message": str(message)}

    def render(self, now: float) -> dict[str, Any]:
        """The ``Video`` object (providers.md §1.3) at ``now``, every field present."""
        status, generic, progress = self.state(now)
        terminal = status in TERMINAL
        finished = self.finished_at if terminal else None
        expires = self.expires_at() if status == "completed" else None
        return {
            "id": self.id,
            "object": "video",
            "model": self.model,
            "status": status,
            "progress": progress,
            "created_at": int(self.created_at),
            "completed_at": int(finished) if finished is not None else None,
            "expires_at": int(expires) if expires is not None else None,
            "prompt": self.prompt,
            "seconds": self.seconds,
            "size": self.size,
            "remixed_from_video_id": self.remixed_from_video_id,
            "error": self.error(generic) if status == "failed" else None,
        }

    @property
    def dimensions(self) -> tuple[int, int]:
        w, h = self.size.split("x")
        return int(w), int(h)

    @property
    def seed(self) -> int:
        return int(self.id[len("video_") :][:8], 16)


# -- request validation ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CreateParams:
    prompt: str
    model: str
    seconds: str
    size: str
    reference_count: int


def check_prompt(fields: dict[str, Any]) -> str:
    if "prompt" not in fields or fields["prompt"] is None:
        raise missing("prompt")
    prompt = fields["prompt"]
    if not isinstance(prompt, str):
        raise invalid_type("prompt", "a string", prompt)
    if not prompt:
        raise OpenAIError(
            400,
            "Invalid 'prompt': string too short. Expected a string with minimum length 1, "
            "but got an empty string instead.",
            param="prompt",
            code="string_below_min_length",
        )
    if len(prompt) > PROMPT_MAX:
        raise OpenAIError(
            400,
            f"Invalid 'prompt': string too long. Expected a string with maximum length "
            f"{PROMPT_MAX}, but got a string with length {len(prompt)} instead.",
            param="prompt",
            code="string_above_max_length",
        )
    return prompt


def parse_create(fields: dict[str, Any], files: list[tuple[str, bytes]], *, extended: bool = False) -> CreateParams:
    """Validate a create body (JSON object, or multipart fields + ``input_reference`` files given as
    (mime type, bytes)) per providers.md §1.2; OpenAIError otherwise. ``extended`` accepts the newer
    guide's 16/20 s and sora-2-pro 1080p sizes."""
    for key in fields:
        if key not in CREATE_FIELDS:
            raise OpenAIError(400, f"Unknown parameter: '{key}'.", param=key, code="unknown_parameter")
    prompt = check_prompt(fields)
    model = fields.get("model", DEFAULT_MODEL)
    if not isinstance(model, str):
        raise invalid_type("model", "a string", model)
    if model not in MODELS:
        raise OpenAIError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    seconds = fields.get("seconds", DEFAULT_SECONDS)
    if not isinstance(seconds, str):
        raise invalid_type("seconds", "a string", seconds)
    allowed_seconds = EXTENDED_SECONDS if extended else SECONDS
    if seconds not in allowed_seconds:
        raise invalid_value(seconds, allowed_seconds, "seconds")
    size = fields.get("size", DEFAULT_SIZE)
    if not isinstance(size, str):
        raise invalid_type("size", "a string", size)
    if size not in SIZES + EXTENDED_PRO_SIZES:
        raise invalid_value(size, SIZES, "size")
    allowed_sizes: tuple[str, ...] = SIZES if model in PRO_MODELS else BASE_SIZES
    if extended and model in PRO_MODELS:
        allowed_sizes = SIZES + EXTENDED_PRO_SIZES
    if size not in allowed_sizes:
        raise invalid_value(size, allowed_sizes, "size")
    count = len(files)
    if "input_reference" in fields:
        _check_json_reference(fields["input_reference"])
        count += 1
    for mime, data in files:
        if _sniff(data, mime) not in IMAGE_TYPES:
            # Wording unverified; the supported types are from the video guide.
            raise OpenAIError(
                400,
                f"Invalid file format for 'input_reference': {mime or 'unknown'}. "
                "Supported formats are: 'image/jpeg', 'image/png', and 'image/webp'.",
                param="input_reference",
                code="invalid_value",
            )
    return CreateParams(prompt, model, seconds, size, count)


def _check_json_reference(value: Any) -> None:
    if not isinstance(value, dict):
        raise invalid_type("input_reference", "an object", value)
    keys = [k for k in ("image_url", "file_id") if value.get(k) is not None]
    extra = [k for k in value if k not in ("image_url", "file_id")]
    if extra:
        raise OpenAIError(
            400,
            f"Unknown parameter: 'input_reference.{extra[0]}'.",
            param=f"input_reference.{extra[0]}",
            code="unknown_parameter",
        )
    if len(keys) != 1:
        raise OpenAIError(
            400,
            "Invalid 'input_reference': provide exactly one of 'image_url' or 'file_id'.",
            param="input_reference",
            code="invalid_value",
        )
    key = keys[0]
    if not isinstance(value[key], str) or not value[key]:
        raise invalid_type(f"input_reference.{key}", "a non-empty string", value[key])
    if len(value[key]) > IMAGE_URL_MAX:
        raise OpenAIError(
            400,
            f"Invalid 'input_reference.{key}': string too long. Expected a string with maximum "
            f"length {IMAGE_URL_MAX}, but got a string with length {len(value[key])} instead.",
            param=f"input_reference.{key}",
            code="string_above_max_length",
        )


def _sniff(data: bytes, declared: str) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return declared.split(";")[0].strip().lower()
