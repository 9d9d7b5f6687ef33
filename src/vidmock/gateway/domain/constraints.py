"""Per-mapping constraint checks, the model-level business rules, and cost estimates.

Pure functions over catalogue records and a validated :class:`CreateRequest`, so routing,
billing and the credit gate all agree on one reading of the rules. The texts are the gateway's
own (G1 ``getVideoProviderConstraintReasons`` / ``formatVideoProviderConstraintSummary``,
gateway.md §5.2), plus the G3 avalanche variants, because vidmock keeps the avalanche provider
(gateway.md "What to emulate").
"""

from __future__ import annotations

from dataclasses import dataclass

from vidmock.errors import GatewayError
from vidmock.gateway.domain.catalogue import Mapping, Resolved, VideoModel
from vidmock.gateway.domain.request import CreateRequest

SORA_EXTERNAL_IDS = frozenset({"sora-2", "sora-2-pro"})
SEEDANCE_2_EXTERNAL_IDS = frozenset(
    {
        "dreamina-seedance-2-0-260128",
        "dreamina-seedance-2-0-fast-260128",
        "dreamina-seedance-2-0-mini-260615",
        "dreamina-seedance-2-5-260628",
    }
)
ATLASCLOUD_KLING_EXTERNAL_IDS = frozenset({"kwaivgi/kling-v3.0", "kwaivgi/kling-v3.0-turbo"})
# G1 allows frames through google-vertex, minimax and xai (bytedance and atlascloud have their
# own rules). Avalanche is added as G3 had it: vidmock emulates avalanche at that version (§7 #35).
FRAME_PROVIDERS = frozenset({"google-vertex", "minimax", "xai", "avalanche"})
SEEDANCE_2_MAX_REFERENCE_IMAGES = 9
DEFAULT_MAX_REFERENCE_IMAGES = 3
VERTEX_REFERENCE_EXTERNAL_ID = "veo-3.1-generate-001"
AVALANCHE_REFERENCE_EXTERNAL_ID = "veo3_fast"
AVALANCHE_FIXED_DURATIONS = (8,)

_SEEDANCE_2_NAMES = "seedance-2-0, seedance-2-0-fast, seedance-2-0-mini, seedance-2-5"
_AUDIO_UNSUPPORTED = "audio output is unsupported for this provider mapping"
_SILENT_UNSUPPORTED = "audio=false is unsupported because this provider mapping only supports audio-enabled output"
_SORA_FRAMES = (
    "Sora models do not support image/last_frame inputs. "
    "Use input_reference or reference_images with exactly one image."
)
_SORA_REF_VIDEOS = "Sora models do not support reference videos. Use reference_images with exactly one image."
_SORA_REF_AUDIO = "Sora models do not support reference audio. Use reference_images with exactly one image."


def _is_avalanche_veo(mapping: Mapping) -> bool:
    return mapping.provider == "avalanche" and mapping.external_id not in SORA_EXTERNAL_IDS


def _audio_reasons(mapping: Mapping, req: CreateRequest) -> list[str]:
    if req.audio:
        return [] if mapping.supports_audio else [_AUDIO_UNSUPPORTED]
    return [] if mapping.supports_silent else [_SILENT_UNSUPPORTED]


def _size_and_duration_reasons(mapping: Mapping, req: CreateRequest) -> list[str]:
    """An empty ``sizes`` / ``durations`` tuple means "no restriction", as in G1."""
    reasons: list[str] = []
    size = req.routing_size
    if mapping.sizes and size not in mapping.sizes:
        supported = ", ".join(mapping.sizes)
        if _is_avalanche_veo(mapping):
            reasons.append(
                f"size {size} is unsupported because Avalanche uses aspect_ratio and "
                f"this integration only supports {supported}"
            )
        else:
            reasons.append(f"size {size} is unsupported (supported sizes: {supported})")
    if mapping.durations and req.seconds not in mapping.durations:
        if mapping.provider == "avalanche" and mapping.durations == AVALANCHE_FIXED_DURATIONS:
            reasons.append(f"duration {req.seconds}s is unsupported because Avalanche Veo 3.1 generates fixed 8s clips")
        else:
            supported = ", ".join(f"{d}s" for d in mapping.durations)
            reasons.append(f"duration {req.seconds}s is unsupported (supported durations: {supported})")
    return reasons


def _frame_reasons(mapping: Mapping, req: CreateRequest) -> list[str]:
    if mapping.external_id in SORA_EXTERNAL_IDS:
        return [_SORA_FRAMES]
    if mapping.provider == "bytedance":
        if mapping.external_id in SEEDANCE_2_EXTERNAL_IDS:
            return []
        return [f"frame inputs are currently only supported on bytedance Seedance 2.x ({_SEEDANCE_2_NAMES})"]
    if mapping.provider == "atlascloud":
        reasons: list[str] = []
        if mapping.external_id not in ATLASCLOUD_KLING_EXTERNAL_IDS:
            reasons.append("frame inputs are only supported on AtlasCloud KLING video models")
        if req.seconds not in (5, 10):
            reasons.append("duration is unsupported because AtlasCloud KLING v3.0 only supports 5s and 10s outputs")
        return reasons
    if mapping.provider not in FRAME_PROVIDERS:
        return ["frame inputs are currently only supported through google-vertex, minimax, xai, or bytedance"]
    return []


def _reference_reasons(mapping: Mapping, req: CreateRequest) -> list[str]:
    images = req.image_count
    videos = len(req.reference_videos)
    audios = len(req.reference_audios)
    reasons: list[str] = []

    if mapping.external_id in SORA_EXTERNAL_IDS:
        if videos:
            reasons.append(_SORA_REF_VIDEOS)
        if audios:
            reasons.append(_SORA_REF_AUDIO)
        if images != 1:
            reasons.append("Sora reference-image video generation supports exactly 1 input image")
        return reasons

    if mapping.provider == "atlascloud":
        return ["reference inputs are unsupported on AtlasCloud KLING v3.0 models"]

    if mapping.provider == "bytedance":
        if mapping.external_id not in SEEDANCE_2_EXTERNAL_IDS:
            reasons.append(
                f"reference inputs are currently only supported on bytedance Seedance 2.x ({_SEEDANCE_2_NAMES})"
            )
        elif images > SEEDANCE_2_MAX_REFERENCE_IMAGES:
            reasons.append(f"Seedance 2.x supports at most {SEEDANCE_2_MAX_REFERENCE_IMAGES} reference images")
        return reasons

    if videos:
        reasons.append("reference videos are currently only supported on bytedance Seedance 2.x models")
    if audios:
        reasons.append("reference audio is currently only supported on bytedance Seedance 2.x models")
    if images > DEFAULT_MAX_REFERENCE_IMAGES:
        reasons.append(f"this provider mapping supports at most {DEFAULT_MAX_REFERENCE_IMAGES} reference images")
    if mapping.provider == "google-vertex":
        if mapping.external_id != VERTEX_REFERENCE_EXTERNAL_ID:
            reasons.append(
                f"reference images are currently only supported on {mapping.provider}/veo-3.1-generate-preview"
            )
    elif mapping.provider == "avalanche":
        # G3 text (§7 #4): only the fast Veo mapping takes reference images on avalanche.
        if mapping.external_id != AVALANCHE_REFERENCE_EXTERNAL_ID:
            reasons.append("reference images are currently only supported on avalanche/veo-3.1-fast-generate-preview")
    else:
        reasons.append("reference images are currently only supported through google-vertex")
    if req.seconds != 8:
        reasons.append("reference images are currently only supported for 8 second outputs")
    return reasons


def constraint_reasons(mapping: Mapping, model: VideoModel, req: CreateRequest) -> list[str]:
    """Why ``mapping`` cannot serve ``req``, in the gateway's order; empty when it can.

    Order: audio, size, duration, frame inputs, reference inputs (§5.2). The rules read only
    the mapping and the request; ``model`` is taken so callers can pass the resolved pair as is.
    """
    del model  # the G1 rules are per mapping
    reasons = _audio_reasons(mapping, req) + _size_and_duration_reasons(mapping, req)
    mode = req.input_mode
    if mode == "frames":
        reasons += _frame_reasons(mapping, req)
    elif mode == "reference":
        reasons += _reference_reasons(mapping, req)
    return reasons


def constraint_summary(model_id: str, failures: list[tuple[Mapping, list[str]]], pinned: bool = False) -> str:
    """The 400 text when no mapping qualifies (§5.2 "Summary format").

    The gateway picks the form by the number of candidates, not by pinning: a model with a
    single mapping gets the ``<provider>/<model>`` form unpinned too. ``pinned`` is accepted for
    callers' convenience and does not change the text.
    """
    del pinned
    parts = [f"{mapping.provider}: {'; '.join(reasons)}" for mapping, reasons in failures]
    if len(failures) == 1:
        provider = failures[0][0].provider
        return f"Requested parameters are not supported for {provider}/{model_id}. {parts[0]}."
    return f"Requested parameters are not supported for model {model_id}. {'. '.join(parts)}."


def business_checks(resolved: Resolved, req: CreateRequest) -> list[Mapping]:
    """Rows 5, 6 and 9 of the §2 business-rule table, in order; returns the eligible mappings.

    Rows 7 and 8 (IAM, compliance) sit between 6 and 9 in the gateway; they belong to the
    caller, which can run them after this returns because rows 5, 6 and 9 raise only 400s.
    """
    model = resolved.model
    if model.image_input_required and req.input_mode == "none":
        raise GatewayError(
            400,
            f'Model {model.id} requires an input image. Please provide an image using the "image" field.',
        )
    limit = model.max_duration_seconds
    if limit is not None and req.seconds > limit:
        raise GatewayError(
            400,
            f"duration {req.seconds}s exceeds the maximum supported duration of {limit}s for model {model.id}",
        )
    failures: list[tuple[Mapping, list[str]]] = []
    eligible: list[Mapping] = []
    for mapping in resolved.mappings:
        reasons = constraint_reasons(mapping, model, req)
        if reasons:
            failures.append((mapping, reasons))
        else:
            eligible.append(mapping)
    if not eligible:
        raise GatewayError(400, constraint_summary(model.id, failures, pinned=resolved.pinned_provider is not None))
    return eligible


# ---------------------------------------------------------------------------------------------
# Cost
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostBreakdown:
    """USD amounts as the worker stamps them (``videoOutputCost``, ``imageInputCost``, ``cost``)."""

    video_output_cost: float
    image_input_cost: float
    total: float


def per_second_rate(mapping: Mapping, resolution: str, audio: bool | None) -> float | None:
    """The per-second price for ``resolution``, looked up as W1 ``getVideoOutputCost`` does.

    Candidates: ``<res>``, then ``default``. With a known audio flag, the suffixed keys come
    first — ``<res>_audio`` / ``<res>_video``, then ``default_audio`` / ``default_video`` — and
    the plain keys after. So ``default_audio`` beats a plain ``4k``: tables must be written with
    that in mind (see the catalogue). ``None`` when no key matches.
    """
    bases = [resolution] if resolution == "default" else [resolution, "default"]
    keys = bases if audio is None else [f"{b}_{'audio' if audio else 'video'}" for b in bases] + bases
    for key in keys:
        if key in mapping.per_second_price:
            return mapping.per_second_price[key]
    return None


def cost_for(mapping: Mapping, *, resolution: str, seconds: int, image_count: int, audio: bool | None) -> CostBreakdown:
    """Output cost (rate × seconds) plus image inputs (price × count), each rounded to 6 places
    as the worker's ``toFixed(6)`` does.

    Without a matching rate, the highest rate in the table is used: the gateway's estimate falls
    back that way, and it never under-reserves credit. (W1 billing would charge 0; the default
    catalogue has a rate for every size it offers, so the two never differ there.)
    """
    rate = per_second_rate(mapping, resolution, audio)
    if rate is None:
        rate = max(mapping.per_second_price.values(), default=0.0)
    video = round(rate * seconds, 6)
    images = round(mapping.image_input_price * image_count, 6)
    return CostBreakdown(video_output_cost=video, image_input_cost=images, total=round(video + images, 6))


def estimate_cost(mapping: Mapping, req: CreateRequest, *, audio: bool | None = None) -> CostBreakdown:
    """What a job for ``req`` on ``mapping`` costs; ``audio`` defaults to the request's flag
    (the billed cost). Pass ``audio=True`` for the credit gate's audio-inclusive estimate."""
    return cost_for(
        mapping,
        resolution=req.resolution,
        seconds=req.seconds,
        image_count=req.image_count,
        audio=req.audio if audio is None else audio,
    )


def credit_estimate(mapping: Mapping, req: CreateRequest) -> float:
    """The §2.1 estimate: the audio-inclusive rate × seconds + image inputs, whatever ``audio`` is."""
    return estimate_cost(mapping, req, audio=True).total
