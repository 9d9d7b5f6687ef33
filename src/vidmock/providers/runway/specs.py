"""Runway's video models: which create endpoints take each one and what each accepts.

From providers.md §9.2 and the SDK's request types it cites (``runwayml/sdk-python``
``types/{text,image}_to_video_create_params.py``, ``video_to_video_create_params.py``,
``video_upscale_create_params.py``). Marked (chosen) where the reference leaves a value open:

- gen4_turbo durations 2–10 (default 5), happyhorse_1_0 3–15 (default 5), Seedance 2 4–15 or
  ``"auto"`` (rendered as 5 s), gemini_omni_flash default 6, veo3 8 s only;
- a video input's output (video_to_video, video_upscale) lasts 5 s: the input cannot be probed;
- prompt limits without a documented figure (gemini_omni_flash, aleph) are 1000 UTF-16 units;
- credits per second (the ``estimatedCost``) and latencies; the magnific upscaler's rates (21/s at
  720p and 1k, 27/s at 2k) follow a captured 3 s job, 4k is (chosen) 54/s.
"""

from __future__ import annotations

from .spec_types import Durations, ModelSpec, Variant
from .specs_2026 import HDR, NEW_MODELS

ENDPOINTS = ("text_to_video", "image_to_video", "video_to_video", "video_upscale", HDR)  # HDR: changes-2026-12.md §4.4

GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")
SEEDANCE_720 = (
    "992:432",
    "864:496",
    "752:560",
    "640:640",
    "560:752",
    "496:864",
    "1470:630",
    "1280:720",
    "1112:834",
    "960:960",
    "834:1112",
    "720:1280",
)
SEEDANCE_ALL = SEEDANCE_720 + (
    "2206:946",
    "1920:1080",
    "1664:1248",
    "1440:1440",
    "1248:1664",
    "1080:1920",
    "3840:1646",
    "3840:2160",
    "3840:2880",
    "3840:3840",
    "2880:3840",
    "2160:3840",
)
HAPPYHORSE_RATIOS = (
    "1280:720",
    "720:1280",
    "960:960",
    "1108:832",
    "832:1108",
    "1920:1080",
    "1080:1920",
    "1440:1440",
    "1662:1248",
    "1248:1662",
)
ALEPH_RATIOS = GEN4_RATIOS + ("848:480", "640:480")
# Output tiers for models that take a resolution instead of a ratio (landscape: an input image's
# orientation cannot be read, so 16:9 is chosen).
TIERS = {
    "480p": (854, 480),
    "768p": (1366, 768),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "1k": (1920, 1080),
    "2k": (2560, 1440),
    "4k": (3840, 2160),
}


T2V, I2V, V2V, UPSCALE = ENDPOINTS[:4]
GEN = frozenset({"contentModeration"})
VEO = frozenset({"negativePrompt"})
SEEDANCE = frozenset({"referenceAudio", "references", "referenceVideos"})
MAGNIFIC = frozenset({"resolution", "creativity", "sharpen", "smartGrain", "flavor", "fpsBoost"})


def _veo(name: str, credits: float, silent: float | None, latency: float, durations: Durations) -> ModelSpec:
    return ModelSpec(
        name,
        {
            T2V: Variant("required", VEO_RATIOS, extra=VEO),
            I2V: Variant("optional", VEO_RATIOS, media="promptImage", extra=VEO),
        },
        durations,
        last_frame=True,
        audio_field=silent is not None,
        audio=True,
        credits=credits,
        credits_silent=silent,
        latency=latency,
    )


def _seedance(name: str, ratios: tuple[str, ...], credits: float, latency: float) -> ModelSpec:
    return ModelSpec(
        name,
        {
            T2V: Variant("required", ratios, "1280:720", extra=SEEDANCE),
            I2V: Variant("optional", ratios, "1280:720", media="promptImage", extra=SEEDANCE),
            V2V: Variant("optional", ratios, "1280:720", media="promptVideo", extra=SEEDANCE),
        },
        Durations(tuple(range(4, 16)), 5, auto=True),
        prompt_max=3500,
        last_frame=True,
        audio_field=True,
        audio=True,
        credits=credits,
        latency=latency,
    )


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "gen4.5",
            {
                T2V: Variant("required", ("1280:720", "720:1280"), extra=GEN),
                I2V: Variant("required", GEN4_RATIOS, media="promptImage", extra=GEN),
            },
            Durations(tuple(range(2, 11)), None),
            credits=12,
            latency=90,
        ),
        ModelSpec(
            "gen4_turbo",
            {I2V: Variant("optional", GEN4_RATIOS, media="promptImage", extra=GEN)},
            Durations(tuple(range(2, 11)), 5),
            credits=5,
            latency=45,
        ),
        _veo("veo3.1", 40, 20, 90, Durations((4, 6, 8), 8, literal=True)),
        _veo("veo3.1_fast", 15, 10, 50, Durations((4, 6, 8), 8, literal=True)),
        _veo("veo3", 40, None, 120, Durations((8,), 8, literal=True)),
        _seedance("seedance2", SEEDANCE_ALL, 30, 120),
        _seedance("seedance2_fast", SEEDANCE_720, 20, 60),
        _seedance("seedance2_mini", SEEDANCE_720, 10, 45),
        ModelSpec(
            "happyhorse_1_0",
            {
                T2V: Variant("required", HAPPYHORSE_RATIOS, "1280:720"),
                I2V: Variant("optional", media="promptImage", extra=frozenset({"resolution"})),
            },
            Durations(tuple(range(3, 16)), 5),
            prompt_max=2500,
            credits=10,
            latency=60,
            resolutions=("720p", "1080p", "720P", "1080P"),
            resolution_default="1080p",
        ),
        ModelSpec(
            "gemini_omni_flash",
            {
                T2V: Variant("required", ("1280:720", "720:1280"), "1280:720"),
                I2V: Variant("optional", ("1280:720", "720:1280"), "1280:720", media="promptImage"),
            },
            Durations(tuple(range(3, 11)), 6),
            credits=20,
            latency=60,
        ),
        ModelSpec(
            "aleph2",
            {V2V: Variant("optional", ratio_free=True, media="videoUri", extra=GEN | {"keyframes"})},
            None,
            credits=15,
            latency=120,
        ),
        ModelSpec(
            "gen4_aleph",
            {V2V: Variant("required", ALEPH_RATIOS, "1280:720", media="videoUri", extra=GEN | {"references"})},
            None,
            credits=15,
            latency=120,
        ),
        ModelSpec(
            "upscale_v1",
            {UPSCALE: Variant("absent", media="videoUri")},
            None,
            audio=True,
            credits=2,
            latency=60,
            resolution_default="4k",
        ),
        ModelSpec(
            "magnific_video_upscaler_creative",
            {UPSCALE: Variant("absent", media="videoUri", extra=MAGNIFIC)},
            None,
            audio=True,
            credits=27,
            latency=300,
            resolutions=("720p", "1k", "2k", "4k"),
            resolution_default="2k",
            tier_credits={"720p": 21, "1k": 21, "2k": 27, "4k": 54},
        ),
    )
} | {spec.name: spec for spec in NEW_MODELS}  # the models of late 2026: specs_2026.py
VIDEO_INPUT_SECONDS = 5  # (chosen) what a video-input task renders: the input cannot be probed


def models_for(endpoint: str) -> tuple[str, ...]:
    return tuple(name for name, spec in MODELS.items() if endpoint in spec.variants)
