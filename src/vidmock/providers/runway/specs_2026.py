"""Runway's models and endpoint of late 2026 (changes-2026-12.md §4.4), as runwayml 5.24.0 types them.

From the SDK's request types (``types/text_to_video_create_params.py``,
``types/video_to_hdr_create_params.py``): the model ids, which fields each takes, which are required
and the enums (ratios, resolutions, output formats). Marked (chosen), since neither the SDK nor the
reference gives them: the duration ranges and defaults (the SDK types them as plain integers), the
credits per second and latencies, and the pixel size of a named ratio (``16:9``, ``adaptive``,
``auto_720p``) in ``NAMED_RATIOS``. The new models are served on ``text_to_video`` only; their
``image_to_video`` variants are not emulated (docs/spec/changes-2026-12.md §4.4).

``video_to_hdr`` (model ``ruby``) upconverts an SDR video: its output keeps the input's length,
which cannot be probed, so it renders ``VIDEO_INPUT_SECONDS`` like every video-input task; every
``outputFormat`` is served as the emulator's MP4 (chosen: an EXR zip or a ProRes mezzanine is not
rendered). Billing: 20 credits per second (the SDK's docstring).
"""

from __future__ import annotations

from .spec_types import Durations, ModelSpec, Variant

T2V = "text_to_video"
HDR = "video_to_hdr"

KLING_STANDARD = ("1280:720", "720:1280", "960:960")
KLING_PRO = ("1920:1080", "1080:1920", "1440:1440")
KLING_4K = ("3840:2160", "2160:3840", "2880:2880")
WAN3 = (
    "832:480",
    "720:544",
    "624:624",
    "544:720",
    "480:832",
    "1280:720",
    "1104:832",
    "960:960",
    "832:1104",
    "720:1280",
    "1920:1080",
    "1648:1248",
    "1440:1440",
    "1248:1648",
    "1080:1920",
    "auto_480p",
    "auto_720p",
    "auto_1080p",
)
KLING_4 = (
    "1280:720",
    "720:1280",
    "940:940",
    "1460:624",
    "1920:1080",
    "1080:1920",
    "1440:1440",
    "2200:940",
    "auto_720p",
    "auto_1080p",
)
GROK = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
GROK_LITE = (
    "848:480",
    "480:848",
    "480:480",
    "640:480",
    "480:640",
    "720:480",
    "480:720",
    "1280:720",
    "720:1280",
    "720:720",
    "960:720",
    "720:960",
    "1088:720",
    "720:1088",
    "1904:1072",
    "1072:1904",
    "1424:1424",
    "1648:1232",
    "1232:1648",
    "1744:1152",
    "1152:1744",
)
HAILUO3 = ("adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
OMNI_1_1 = ("640:360", "360:640", "1280:720", "720:1280", "1920:1080", "1080:1920", "3840:2160", "2160:3840")
SEEDANCE_2_5 = (
    "992:432",
    "854:480",
    "752:560",
    "640:640",
    "560:752",
    "480:854",
    "1470:630",
    "1280:720",
    "1112:834",
    "960:960",
    "834:1112",
    "720:1280",
    "2206:946",
    "1920:1080",
    "1664:1248",
    "1440:1440",
    "1248:1664",
    "1080:1920",
)
# (chosen) the pixels of a ratio that names a shape rather than a size: 720p-class frames.
NAMED_RATIOS = {
    "16:9": (1280, 720),
    "9:16": (720, 1280),
    "1:1": (960, 960),
    "4:3": (960, 720),
    "3:4": (720, 960),
    "3:2": (1080, 720),
    "2:3": (720, 1080),
    "21:9": (1680, 720),
    "adaptive": (1280, 720),
    "auto_480p": (854, 480),
    "auto_720p": (1280, 720),
    "auto_1080p": (1920, 1080),
}
DRAFT_SIZE = (854, 480)  # Seedance 2.5 `draft: true`: "a cheap 480p preview" (the SDK's docstring)

KLING_3 = frozenset({"cfgScale", "providerSettings"})
KLING_O3 = frozenset({"providerSettings"})
REFS = frozenset({"references", "referenceVideos", "referenceAudio"})
OMNI_REFS = frozenset({"references", "referenceVideos"})
SEEDANCE_2_5_EXTRA = REFS | {"draft", "draftTaskId", "outputFormat"}


def _t2v(
    name: str,
    variant: Variant,
    durations: Durations,
    credits: float,
    latency: float,
    *,
    audio_field: bool = False,
    resolutions: tuple[str, ...] = (),
    resolution_default: str | None = None,
    prompt_max: int = 2500,
) -> ModelSpec:
    return ModelSpec(
        name,
        {T2V: variant},
        durations,
        prompt_max=prompt_max,
        audio_field=audio_field,
        audio=audio_field,
        credits=credits,
        latency=latency,
        resolutions=resolutions,
        resolution_default=resolution_default,
    )


KLING_DURATIONS = Durations(tuple(range(3, 16)), 5)  # (chosen) Kling 3.x takes 3–15 s
NEW_MODELS: tuple[ModelSpec, ...] = (
    _t2v(
        "kling3.0_standard",
        Variant("optional", KLING_STANDARD, extra=KLING_3),
        KLING_DURATIONS,
        10,
        90,
        audio_field=True,
    ),
    _t2v("kling3.0_pro", Variant("optional", KLING_PRO, extra=KLING_3), KLING_DURATIONS, 15, 120, audio_field=True),
    _t2v("kling3.0_4k", Variant("optional", KLING_4K, extra=KLING_3), KLING_DURATIONS, 30, 180, audio_field=True),
    _t2v(
        "klingO3_standard",
        Variant("optional", KLING_STANDARD, extra=KLING_O3),
        KLING_DURATIONS,
        10,
        90,
        audio_field=True,
    ),
    _t2v("klingO3_pro", Variant("optional", KLING_PRO, extra=KLING_O3), KLING_DURATIONS, 15, 120, audio_field=True),
    _t2v("klingO3_4k", Variant("optional", KLING_4K, extra=KLING_O3), KLING_DURATIONS, 30, 180, audio_field=True),
    _t2v(
        "kling_4",
        Variant("required", KLING_4, "1280:720", extra=frozenset({"references", "referenceVideos"})),
        KLING_DURATIONS,
        15,
        120,
    ),
    _t2v(
        "kling2.5_turbo_pro",
        Variant(
            "required",
            ("1920:1080", "1440:1440", "1080:1920", "1280:720", "720:720", "720:1280"),
            "1280:720",
            extra=frozenset({"cfgScale"}),
        ),
        Durations((5, 10), 5, literal=True),
        7,
        60,
    ),
    _t2v(
        "wan3",
        Variant("required", WAN3, "1280:720", extra=REFS),
        Durations(tuple(range(2, 16)), 5),
        10,
        90,
        audio_field=True,
    ),
    _t2v(
        "wan3_prime",
        Variant("required", WAN3, "1280:720", extra=REFS),
        Durations(tuple(range(2, 16)), 5),
        20,
        120,
        audio_field=True,
    ),
    _t2v(
        "hailuo3",
        Variant("required", HAILUO3, "16:9", extra=REFS | {"resolution"}),
        Durations((6, 10), 6, literal=True),
        10,
        90,
        resolutions=("768p", "2k", "768P", "2K"),
        resolution_default="768p",
    ),
    _t2v(
        "h3_max",
        Variant("required", extra=frozenset({"resolution", "promptExpansionMode"})),
        Durations((6, 10), 6, literal=True),
        12,
        90,
        resolutions=("480p", "768p"),
        resolution_default="768p",
    ),
    _t2v(
        "grok_imagine_1_5",
        Variant("required", GROK, "16:9", extra=frozenset({"references", "referenceAudio", "resolution"})),
        Durations(tuple(range(1, 16)), 6),
        10,
        60,
        resolutions=("480p", "720p", "1080p"),
        resolution_default="720p",
    ),
    _t2v("grok_imagine_1_5_lite", Variant("required", GROK_LITE, "1280:720"), Durations(tuple(range(1, 16)), 6), 5, 45),
    _t2v(
        "gemini_omni_flash_1.1",
        Variant("required", OMNI_1_1, "1280:720", extra=OMNI_REFS),
        Durations(tuple(range(3, 11)), 6, auto=True),
        20,
        60,
    ),
    _t2v(
        "seedance2_5",
        Variant("optional", SEEDANCE_2_5, "1280:720", extra=SEEDANCE_2_5_EXTRA),
        Durations(tuple(range(4, 16)), 5, auto=True),
        36,
        150,
        audio_field=True,
        prompt_max=15000,
    ),
    ModelSpec(
        "ruby",
        {HDR: Variant("absent", media="videoUri", extra=frozenset({"outputFormat", "proresProfile"}))},
        None,
        audio=True,
        credits=20,
        latency=120,
    ),
)
HDR_FORMATS = (
    "hdr10",
    "hlg",
    "hdr_prores",
    "hdr_exr_sequence",
    "hdr_exr_acescg_sequence_1_3",
    "hdr_exr_acescg_sequence_2_0",
)
PRORES_PROFILES = ("422", "4444", "422 HQ")
SEEDANCE_FORMATS = ("mp4", "mov")
EXPANSION_MODES = ("disabled", "balanced", "quality")
