"""Veo operations on the Gemini API: what was asked, and what the operation looks like at a given time.

providers.md §2: an operation is ``{"name"}`` at create, ``{"name", "done": false}`` while running,
then ``done: true`` with ``response.generateVideoResponse.generatedSamples[].video.uri``, or the
success-shaped safety block (``raiMediaFilteredCount`` / ``raiMediaFilteredReasons``, no samples),
or ``error`` (a google.rpc.Status). No status string, progress or timestamps. Each sample is a file
downloadable for 2 days after the operation is done. The lifecycle is a pure function of the clock.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from ...scenarios import JobPlan
from ..base import PlannedRecord
from ..kit.google import VEO_DIMENSIONS
from .errors import GoogleError

KIND = "gemini.operation"  # keyed by the operation id (the last segment of its name)
FILE_KIND = "gemini.file"  # file id -> {"operation": op id, "index": sample}
RESPONSE_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
FILE_RETENTION = 2 * 24 * 3600.0  # "Video retention 2 days" (§2.2, §2.7 item 5)
# Seconds from submit to done (chosen within §2.6: 11 s to 6 min, usually 1–2 min).
DEFAULT_LATENCY: dict[str, float] = {
    "veo-3.1-generate-preview": 90.0,
    "veo-3.1-generate-001": 90.0,
    "veo-3.1-fast-generate-preview": 45.0,
    "veo-3.1-fast-generate-001": 45.0,
    "veo-3.0-generate-001": 90.0,
    "veo-3.0-fast-generate-001": 45.0,
    "veo-2.0-generate-001": 60.0,
}
# Parameters the Gemini API does not take (the SDK refuses them in Gemini API mode, §2.2).
VERTEX_ONLY = (
    "generateAudio",
    "seed",
    "storageUri",
    "fps",
    "pubsubTopic",
    "compressionQuality",
    "resizeMode",
    "mask",
    "labels",
)
DIMENSIONS = VEO_DIMENSIONS
_GRPC = {"failed": 13, "canceled": 1, "expired": 4}  # INTERNAL, CANCELLED, DEADLINE_EXCEEDED
_MESSAGES = {
    "failed": "Video generation failed due to an internal server issue. Please try again.",
    "canceled": "The operation was cancelled.",
    "expired": "The operation exceeded its deadline.",
}


@dataclass
class Operation(PlannedRecord):
    id: str
    model: str
    created_at: float
    prompt: str
    duration: int
    aspect_ratio: str
    resolution: str
    sample_count: int
    seed: int
    plan: dict[str, Any]
    files: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"models/{self.model}/operations/{self.id}"

    @property
    def audio(self) -> bool:
        return not self.model.startswith("veo-2")  # Veo 3.x always renders sound on the Gemini API

    def job_plan(self) -> JobPlan:
        return JobPlan.from_doc(self.plan)

    def status_at(self, now: float) -> str:
        return self.job_plan().state_at(now - self.created_at)[0]

    def file_available(self, now: float) -> bool:
        plan = self.job_plan()
        if self.status_at(now) != "completed" or plan.safety_block is not None:
            return False
        retention = FILE_RETENTION if plan.content_expires_after is None else plan.content_expires_after
        return now < self.created_at + (plan.finishes_at or 0.0) + retention

    def render(self, now: float, base_url: str) -> dict[str, Any]:
        """The operation as ``GET /v1beta/{name}`` returns it at ``now``."""
        plan = self.job_plan()
        status = plan.state_at(now - self.created_at)[0]
        if status in ("queued", "in_progress"):
            return {"name": self.name, "done": False}
        if status != "completed":
            error = plan.error or {}
            code = str(error.get("code", ""))
            return {
                "name": self.name,
                "done": True,
                "error": {
                    "code": int(code) if code.isdigit() else _GRPC.get(status, 13),
                    "message": error.get("message") or _MESSAGES.get(status, _MESSAGES["failed"]),
                },
            }
        if plan.safety_block is not None:
            # Success-shaped: done, no error, and no samples (§2.3, §2.4 case 2).
            reasons = list(plan.safety_block.get("reasons") or [])
            codes = [str(c) for c in plan.safety_block.get("support_codes") or []]
            if not reasons:
                reasons = [
                    "Veo could not generate videos based on the prompt provided. You have not been charged "
                    "for this attempt." + (f" Support codes: {', '.join(codes)}" if codes else "")
                ]
            generated: dict[str, Any] = {"raiMediaFilteredCount": self.sample_count, "raiMediaFilteredReasons": reasons}
        else:
            generated = {
                "generatedSamples": [
                    {"video": {"uri": f"{base_url}/v1beta/files/{f}:download?alt=media"}} for f in self.files
                ]
            }
        return {
            "name": self.name,
            "done": True,
            "response": {"@type": RESPONSE_TYPE, "generateVideoResponse": generated},
        }


def parse_predict(model: str, body: Any) -> dict[str, Any]:
    """Validate a ``predictLongRunning`` body the way the Gemini API does; GoogleError(400) otherwise."""
    if not isinstance(body, dict):
        raise GoogleError(400, "Invalid JSON payload received. Expected an object.")
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        raise GoogleError(400, "instances must be a list holding exactly one object.")
    instance = instances[0]
    prompt = instance.get("prompt", "")
    if not isinstance(prompt, str) or (not prompt and "image" not in instance and "video" not in instance):
        raise GoogleError(400, "A text prompt, an input image or an input video is required.")
    for key in ("image", "lastFrame"):
        if key in instance:
            _check_image(instance[key], f"instances[0].{key}")
    video = instance.get("video")
    if video is not None and not (isinstance(video, dict) and isinstance(video.get("uri"), str)):
        # Extension takes a Veo-generated file by uri; the Gemini API takes no video bytes (§2.2).
        raise GoogleError(400, "instances[0].video must be a Veo-generated file given by uri.")
    refs = instance.get("referenceImages", [])
    if not isinstance(refs, list) or len(refs) > 3:
        raise GoogleError(400, "referenceImages supports at most 3 images.")
    for i, ref in enumerate(refs):
        if not isinstance(ref, dict) or ref.get("referenceType", "asset") not in ("asset", "style"):
            raise GoogleError(
                400, f"instances[0].referenceImages[{i}] must be an object with referenceType asset or style."
            )
        _check_image(ref.get("image"), f"instances[0].referenceImages[{i}].image")
    params = body.get("parameters", {})
    if not isinstance(params, dict):
        raise GoogleError(400, "parameters must be an object.")
    for key in VERTEX_ONLY:
        if key in params:
            raise GoogleError(
                400,
                f"`{key}` isn't supported by this model. Please remove it or refer to the "
                "Gemini API documentation for supported usage.",
            )
    veo2 = model.startswith("veo-2")
    allowed = range(5, 9) if veo2 else (4, 6, 8)
    duration = params.get("durationSeconds", 8)
    if not isinstance(duration, int) or isinstance(duration, bool) or duration not in allowed:
        raise GoogleError(
            400,
            f"The number value for `durationSeconds` is out of bound. Please provide a value "
            f"between {min(allowed)} and {max(allowed)}, inclusive.",
        )
    aspect = params.get("aspectRatio", "16:9")
    if aspect not in ("16:9", "9:16"):
        raise GoogleError(400, f"Unsupported aspect ratio: {aspect}. Supported values are 16:9 and 9:16.")
    resolution = str(params.get("resolution", "720p")).lower()
    if resolution not in ("720p", "1080p", "4k") or (veo2 and resolution != "720p"):
        raise GoogleError(400, f"Unsupported resolution: {params.get('resolution')}.")
    if resolution != "720p" and duration != 8:
        raise GoogleError(400, f"{resolution} is only supported for 8 second videos.")
    samples = params.get("sampleCount", 1)
    if not isinstance(samples, int) or isinstance(samples, bool) or not 1 <= samples <= 4:
        raise GoogleError(400, "sampleCount must be between 1 and 4.")
    person = params.get("personGeneration")
    if person is not None and person not in ("dont_allow", "allow_adult", "allow_all"):
        raise GoogleError(400, "personGeneration must be one of dont_allow, allow_adult, allow_all.")
    return {
        "prompt": prompt,
        "duration": duration,
        "aspect_ratio": aspect,
        "resolution": resolution,
        "sample_count": samples,
    }


def dimensions(op: Operation) -> tuple[int, int]:
    return DIMENSIONS[(op.aspect_ratio, op.resolution)]


def _check_image(value: Any, where: str) -> None:
    if not isinstance(value, dict) or not isinstance(value.get("bytesBase64Encoded"), str):
        # The Gemini API takes image bytes only; gcsUri is Vertex's (§2.2).
        raise GoogleError(400, f"{where} must include bytesBase64Encoded.")
    try:
        base64.b64decode(value["bytesBase64Encoded"], validate=True)
    except (binascii.Error, ValueError):
        raise GoogleError(400, f"{where}.bytesBase64Encoded is not valid base64.") from None
    if not isinstance(value.get("mimeType"), str):
        raise GoogleError(400, f"{where}.mimeType is required.")
