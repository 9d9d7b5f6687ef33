"""Vertex Veo operations: what was asked, and what the operation looks like at a given time.

The lifecycle is a pure function of the clock: an operation is running until ``created_at +
latency`` and done from then on, so it advances with time, never because it is polled.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from ...media import MediaCache, VideoSpec
from ...scenarios import JobPlan
from ...store.base import record_doc
from ..base import PlannedRecord
from ..kit.google import VEO_DIMENSIONS
from .errors import GoogleError

KIND = "vertex.operation"
RESPONSE_TYPE = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"

# Seconds from submit to done, per publisher model. Google reports 11 s to 6 min, usually 1–2 min
# (providers.md §2.6); the fast variant is roughly twice as quick.
DEFAULT_LATENCY: dict[str, float] = {
    "veo-3.1-generate-001": 90.0,
    "veo-3.1-generate-preview": 90.0,
    "veo-3.1-fast-generate-001": 45.0,
    "veo-3.1-fast-generate-preview": 45.0,
    "veo-3.0-generate-001": 90.0,
    "veo-3.0-fast-generate-001": 45.0,
    "veo-2.0-generate-001": 60.0,
}
DURATIONS = range(4, 11)  # Veo 3.x accepts 4–8 s, and the gateway sends 10 for 3.1 (§5.4)
DIMENSIONS = VEO_DIMENSIONS


@dataclass
class Operation(PlannedRecord):
    name: str
    model: str
    created_at: float
    latency: float
    prompt: str
    duration: int
    aspect_ratio: str
    resolution: str
    audio: bool
    sample_count: int
    seed: int
    storage_uri: str | None = None
    plan: dict[str, Any] | None = None  # the scenario plan (vidmock.scenarios.JobPlan); None = latency only

    def to_doc(self) -> dict[str, Any]:
        return record_doc(self)

    def job_plan(self) -> JobPlan:
        if self.plan is None:
            return JobPlan(None, self.seed, [(0.0, "in_progress", 0), (self.latency, "completed", 100)])
        return JobPlan.from_doc(self.plan)

    def plan_status(self, now: float) -> str:
        status, _ = self.job_plan().state_at(now - self.created_at)
        return status

    def blocked(self) -> bool:
        """A safety block: completed without videos."""
        return self.job_plan().safety_block is not None

    def render(self, now: float, media: MediaCache) -> dict[str, Any]:
        """The operation object as ``fetchPredictOperation`` returns it at ``now``."""
        plan = self.job_plan()
        status, _ = plan.state_at(now - self.created_at)
        if status in ("queued", "in_progress"):
            # A running long-running operation carries only its name (done is omitted, not false).
            return {"name": self.name}
        if status != "completed":
            error = plan.error or {}
            code = error.get("code", _GRPC.get(status, "13"))
            return {
                "name": self.name,
                "done": True,
                "error": {
                    "code": int(code) if str(code).isdigit() else _GRPC["failed"],
                    "message": error.get("message") or _MESSAGES[status],
                },
            }
        if plan.safety_block is not None:
            # The success-shaped safety block: done, no error, no videos (providers.md §2.4, §3.4).
            reasons = list(plan.safety_block.get("reasons") or [])
            codes = [str(c) for c in plan.safety_block.get("support_codes") or []]
            if codes and not reasons:
                reasons = [
                    f"Veo could not generate {self.sample_count} videos based on the prompt provided. You "
                    "will not be charged for this request. Try rephrasing the prompt. Support codes: "
                    + ", ".join(codes)
                ]
            return {
                "name": self.name,
                "done": True,
                "response": {
                    "@type": RESPONSE_TYPE,
                    "raiMediaFilteredCount": self.sample_count,
                    "raiMediaFilteredReasons": reasons,
                },
            }
        if self.storage_uri:
            videos = [{"gcsUri": uri, "mimeType": "video/mp4"} for uri in self.object_uris()]
        else:
            videos = [
                {"bytesBase64Encoded": base64.b64encode(media.get(spec)).decode(), "mimeType": "video/mp4"}
                for spec in self.video_specs()
            ]
        return {
            "name": self.name,
            "done": True,
            "response": {"@type": RESPONSE_TYPE, "raiMediaFilteredCount": 0, "videos": videos},
        }

    def video_specs(self) -> list[VideoSpec]:
        """The videos a completed operation made (inline, or objects in the output bucket)."""
        width, height = DIMENSIONS[(self.aspect_ratio, self.resolution)]
        return [VideoSpec(width, height, self.duration, self.audio, self.seed + i) for i in range(self.sample_count)]

    def object_uris(self) -> list[str]:
        """Where a completed operation writes its videos in the output bucket."""
        return [f"{(self.storage_uri or '').rstrip('/')}/{self.op_id}/sample_{i}.mp4" for i in range(self.sample_count)]

    @property
    def op_id(self) -> str:
        return self.name.rsplit("/", 1)[-1]


_GRPC = {"failed": "13", "canceled": "1", "expired": "4"}  # INTERNAL, CANCELLED, DEADLINE_EXCEEDED
_MESSAGES = {
    "failed": "Video generation failed due to an internal error.",
    "canceled": "The operation was cancelled.",
    "expired": "The operation exceeded its deadline.",
}


def parse_predict_body(body: Any) -> dict[str, Any]:
    """Validate a ``predictLongRunning`` body the way Vertex does; GoogleError(400) otherwise."""
    if not isinstance(body, dict):
        raise GoogleError(400, "Invalid JSON payload received. Expected an object.")
    instances = body.get("instances")
    if not isinstance(instances, list) or not instances or not isinstance(instances[0], dict):
        raise GoogleError(400, "instances must be a non-empty list of objects.")
    instance = instances[0]
    prompt = instance.get("prompt", "")
    if not isinstance(prompt, str) or (not prompt and "image" not in instance and "video" not in instance):
        raise GoogleError(400, "A text prompt, an input image or an input video is required.")
    for key in ("image", "lastFrame", "video"):
        if key in instance:
            _check_media(instance[key], f"instances[0].{key}")
    if "lastFrame" in instance and "image" not in instance:
        # A last frame closes an interpolation from a first frame (google-genai 3.x `last_frame`, §4.2).
        raise GoogleError(400, "instances[0].lastFrame requires instances[0].image (the first frame).")
    if "video" in instance and "image" in instance:
        raise GoogleError(400, "instances[0] may carry an image or a video, not both.")
    _check_references(instance.get("referenceImages", []))
    params = body.get("parameters", {})
    if not isinstance(params, dict):
        raise GoogleError(400, "parameters must be an object.")
    duration = params.get("durationSeconds", 8)
    if not isinstance(duration, int) or isinstance(duration, bool) or duration not in DURATIONS:
        raise GoogleError(
            400, f"Unsupported duration: {duration}. Supported durations are 4 to 8 seconds (10 for Veo 3.1)."
        )
    aspect = params.get("aspectRatio", "16:9")
    if aspect not in ("16:9", "9:16"):
        raise GoogleError(400, f"Unsupported aspect ratio: {aspect}. Supported values are 16:9 and 9:16.")
    resolution = params.get("resolution", "720p")
    if resolution not in ("720p", "1080p", "4k"):
        raise GoogleError(400, f"Unsupported resolution: {resolution}. Supported values are 720p, 1080p and 4k.")
    samples = params.get("sampleCount", 1)
    if not isinstance(samples, int) or isinstance(samples, bool) or not 1 <= samples <= 4:
        raise GoogleError(400, "sampleCount must be between 1 and 4.")
    audio = params.get("generateAudio", True)
    if not isinstance(audio, bool):
        raise GoogleError(400, "generateAudio must be a boolean.")
    storage = params.get("storageUri")
    if storage is not None and (not isinstance(storage, str) or not storage.startswith("gs://")):
        raise GoogleError(400, "storageUri must be a gs:// URI.")
    _check_options(params)
    seed = params.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise GoogleError(400, "seed must be an unsigned 32-bit integer.")
    return {
        "prompt": prompt,
        "duration": duration,
        "aspect_ratio": aspect,
        "resolution": resolution,
        "audio": audio,
        "sample_count": samples,
        "storage_uri": storage,
        "seed": seed,
    }


# The 3.x SDK's enums (google-genai 3.6.1 types.py), which Vertex takes in either case.
REFERENCE_TYPES = {"ASSET": 3, "STYLE": 1}  # the most of each per request (STYLE's limit: chosen)
RESIZE_MODES = ("PAD", "CROP")
PERSON_GENERATION = ("DONT_ALLOW", "ALLOW_ADULT", "ALLOW_ALL")
COMPRESSION = ("OPTIMIZED", "LOSSLESS")


def _check_references(refs: Any) -> None:
    """``referenceImages``: each an image with a ``referenceType`` (ASSET by default), at most three
    ASSET images or one STYLE image, not both kinds at once (changes-2026-12.md §4.2)."""
    if not isinstance(refs, list) or len(refs) > REFERENCE_TYPES["ASSET"]:
        raise GoogleError(400, "referenceImages supports at most 3 images.")
    kinds: set[str] = set()
    for i, ref in enumerate(refs):
        if not isinstance(ref, dict):
            raise GoogleError(400, f"instances[0].referenceImages[{i}] must be an object.")
        _check_media(ref.get("image"), f"instances[0].referenceImages[{i}].image")
        kind = ref.get("referenceType", "ASSET")
        if not isinstance(kind, str) or kind.upper() not in REFERENCE_TYPES:
            raise GoogleError(400, f"Unsupported referenceType: {kind}. Supported values are ASSET and STYLE.")
        kinds.add(kind.upper())
    if len(kinds) > 1:
        raise GoogleError(400, "referenceImages must all have the same referenceType.")
    if kinds == {"STYLE"} and len(refs) > REFERENCE_TYPES["STYLE"]:
        raise GoogleError(400, "referenceImages supports at most 1 STYLE image.")


def _check_options(params: dict[str, Any]) -> None:
    """The enum-valued parameters the 3.x SDK sends; an unknown value is a 400, as on Vertex."""
    for key, allowed in (
        ("resizeMode", RESIZE_MODES),
        ("personGeneration", PERSON_GENERATION),
        ("compressionQuality", COMPRESSION),
    ):
        value = params.get(key)
        if value is not None and (not isinstance(value, str) or value.upper() not in allowed):
            names = ", ".join(a.lower() for a in allowed)
            raise GoogleError(400, f"Unsupported {key}: {value}. Supported values are {names}.")
    if "enhancePrompt" in params and not isinstance(params["enhancePrompt"], bool):
        raise GoogleError(400, "enhancePrompt must be a boolean.")
    if "negativePrompt" in params and not isinstance(params["negativePrompt"], str):
        raise GoogleError(400, "negativePrompt must be a string.")


def _check_media(value: Any, where: str) -> None:
    """An image or a video input: inline base64 with a mime type, or a ``gs://`` URI."""
    if not isinstance(value, dict):
        raise GoogleError(400, f"{where} must be an object with bytesBase64Encoded or gcsUri.")
    data, uri = value.get("bytesBase64Encoded"), value.get("gcsUri")
    if isinstance(uri, str) and uri.startswith("gs://"):
        return
    if not isinstance(data, str) or not data:
        raise GoogleError(400, f"{where} must include bytesBase64Encoded or gcsUri.")
    try:
        base64.b64decode(data, validate=True)
    except ValueError as exc:
        raise GoogleError(400, f"{where}.bytesBase64Encoded is not valid base64.") from exc
    if not isinstance(value.get("mimeType"), str):
        raise GoogleError(400, f"{where}.mimeType is required.")
