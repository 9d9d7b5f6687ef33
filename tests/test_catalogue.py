"""The model catalogue, resolution (§5.1), constraint checks (§5.2), business rows 5/6/9 and
pricing, against the edge cases of gateway.md §7 that these functions decide.

Test ids starting with a number name the §7 edge case. Where the reference gives a full text,
the full text is asserted; where S1 checks only substrings, those are asserted too.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest

from vidmock.errors import GatewayError
from vidmock.gateway.domain.catalogue import UNSUPPORTED_MODEL_MESSAGE, Catalogue, Mapping, default_catalogue
from vidmock.gateway.domain.constraints import (
    business_checks,
    constraint_reasons,
    constraint_summary,
    credit_estimate,
    estimate_cost,
    per_second_rate,
)
from vidmock.gateway.domain.request import RESOLUTION, SIZES, CreateRequest, ImageInput

# These tests pin the catalogue the older references describe (gateway.md §5.4, with Avalanche and Sora):
# the "pre-2026-03" gateway release. The newest release's catalogue is tested in test_releases.py.
OLD_RELEASE = "pre-2026-03"
CAT = default_catalogue(OLD_RELEASE)
IMG = ImageInput(url="data:image/png;base64,aGVsbG8=")
VID = ("https://example.com/motion.mp4",)
AUD = ("https://example.com/track.mp3",)
S2 = "seedance-2-0, seedance-2-0-fast, seedance-2-0-mini, seedance-2-5"
SILENT_NO = "audio=false is unsupported because this provider mapping only supports audio-enabled output"
NOT_FOR = "Requested parameters are not supported for"
AVA_FAST = "avalanche/veo-3.1-fast-generate-preview"
AVA_VEO = "avalanche/veo-3.1-generate-preview"


def make(**kw: Any) -> CreateRequest:
    return CreateRequest(**{"prompt": "A lighthouse at dusk", "seconds": 8, **kw})


def eligible(model: str, *, catalogue: Catalogue = CAT, **kw: Any) -> list[str]:
    """Providers of the mappings that pass, in catalogue order."""
    return [m.provider for m in business_checks(catalogue.resolve(model), make(model=model, **kw))]


def rejected(model: str, *, catalogue: Catalogue = CAT, **kw: Any) -> GatewayError:
    with pytest.raises(GatewayError) as info:
        business_checks(catalogue.resolve(model), make(model=model, **kw))
    return info.value


def mapping(model: str, provider: str) -> Mapping:
    found = CAT.get(model)
    assert found is not None
    return next(m for m in found.mappings if m.provider == provider)


# --- resolution (§5.1, §2 rows 3 and 4) -------------------------------------------------------


def test_bare_id_considers_every_active_mapping_unpinned() -> None:
    resolved = CAT.resolve("veo-3.1-generate-preview")
    assert resolved.pinned_provider is None
    assert [m.provider for m in resolved.mappings] == ["google-vertex", "avalanche"]


def test_prefix_pins_the_provider() -> None:
    resolved = CAT.resolve("google-vertex/veo-3.1-generate-preview")
    assert (resolved.model.id, resolved.pinned_provider) == ("veo-3.1-generate-preview", "google-vertex")
    assert [m.external_id for m in resolved.mappings] == ["veo-3.1-generate-001"]


@pytest.mark.parametrize(
    "model",
    [
        "veo-9",
        "google-vertex/veo-9",
        "azure/veo-3.1-generate-preview",
        "openai/veo-3.1-generate-preview",
        "/veo-3.1-generate-preview",
        "",
    ],
)
def test_unknown_model_or_prefix_is_400(model: str) -> None:
    with pytest.raises(GatewayError) as info:
        CAT.resolve(model)
    assert (info.value.status, info.value.message) == (
        400,
        (
            "Unsupported video model. Use a video-capable model from /v1/models, optionally prefixed "
            "with a configured provider like openai/ or google-vertex/."
        ),
    )
    assert info.value.message == UNSUPPORTED_MODEL_MESSAGE


@pytest.mark.parametrize("model", ["sora-2", "openai/sora-2"])
def test_fully_deactivated_model_is_410_in_both_forms(model: str) -> None:
    with pytest.raises(GatewayError) as info:
        CAT.with_overrides(deactivate=["sora-2"]).resolve(model)
    assert (info.value.status, info.value.message) == (
        410,
        f"Model {model} has been deactivated and is no longer available",
    )


def test_one_deactivated_mapping_is_410_only_when_pinned() -> None:
    cat = CAT.with_overrides(deactivate=[AVA_VEO])
    with pytest.raises(GatewayError) as info:
        cat.resolve(AVA_VEO)
    assert (info.value.status, info.value.message) == (
        410,
        "Model avalanche/veo-3.1-generate-preview has been deactivated and is no longer available",
    )
    assert [m.provider for m in cat.resolve("veo-3.1-generate-preview").mappings] == ["google-vertex"]
    assert len(CAT.resolve("veo-3.1-generate-preview").mappings) == 2  # the default is untouched


@pytest.mark.parametrize("name", ["nope", "xai/veo-3.1-generate-preview"])
def test_with_overrides_rejects_names_that_match_nothing(name: str) -> None:
    with pytest.raises(ValueError):
        CAT.with_overrides(deactivate=[name])


def test_g1_catalogue_has_no_avalanche() -> None:
    g1 = default_catalogue(OLD_RELEASE, include_avalanche=False)
    with pytest.raises(GatewayError) as info:
        g1.resolve(AVA_VEO)
    assert info.value.status == 400
    assert all(m.provider != "avalanche" for model in g1.models() for m in model.mappings)


# --- business rows 5 and 6 --------------------------------------------------------------------


def test_image_required_model_without_image_is_400() -> None:
    grok = CAT.get("grok-imagine-video-1-5-preview")
    assert grok is not None and not any(m.image_input_required for m in CAT.models())
    cat = CAT.with_overrides(models=[replace(grok, image_input_required=True)])
    err = rejected(grok.id, catalogue=cat, size="848x480", seconds=6)
    assert (err.status, err.message) == (
        400,
        "Model grok-imagine-video-1-5-preview requires an input "
        'image. Please provide an image using the "image" field.',
    )
    assert eligible(grok.id, catalogue=cat, size="848x480", seconds=6, image=IMG) == ["xai"]


@pytest.mark.parametrize(
    ("model", "seconds", "message"),
    [
        pytest.param(
            "veo-3.1-generate-preview",
            11,
            "duration 11s exceeds the maximum supported duration of 10s for model veo-3.1-generate-preview",
            id="48-veo-11s",
        ),
        pytest.param(
            "bytedance/seedance-2-5",
            31,
            "duration 31s exceeds the maximum supported duration of 30s for model seedance-2-5",
            id="22-seedance-2-5-31s",
        ),
    ],
)
def test_duration_over_the_model_maximum(model: str, seconds: int, message: str) -> None:
    err = rejected(model, seconds=seconds)
    assert (err.status, err.message) == (400, message)
    assert f"{seconds}s" in message


# --- row 9: constraint summaries, exact texts -------------------------------------------------

REJECTIONS = [
    pytest.param(
        AVA_FAST,
        {"size": "1280x720", "seconds": 6},
        f"{NOT_FOR} {AVA_FAST}. avalanche: size 1280x720 is unsupported because Avalanche uses "
        "aspect_ratio and this integration only supports 1920x1080, 3840x2160; duration 6s is "
        "unsupported because Avalanche Veo 3.1 generates fixed 8s clips.",
        id="01-avalanche-size-and-duration",
    ),
    pytest.param(
        AVA_VEO,
        {"size": "1920x1080", "reference_images": (IMG,)},
        f"{NOT_FOR} {AVA_VEO}. avalanche: reference images are currently only supported on {AVA_FAST}.",
        id="04-avalanche-reference-images",
    ),
    pytest.param(
        AVA_FAST,
        {"size": "1920x1080", "reference_videos": VID},
        f"{NOT_FOR} {AVA_FAST}. avalanche: reference videos are currently only supported on "
        "bytedance Seedance 2.x models.",
        id="07-avalanche-reference-videos",
    ),
    pytest.param(
        AVA_FAST,
        {"size": "1920x1080", "reference_audios": AUD},
        f"{NOT_FOR} {AVA_FAST}. avalanche: reference audio is currently only supported on "
        "bytedance Seedance 2.x models.",
        id="10-avalanche-fast-reference-audio",
    ),
    pytest.param(
        AVA_VEO,
        {"size": "1920x1080", "reference_audios": AUD},
        f"{NOT_FOR} {AVA_VEO}. avalanche: reference audio is currently only supported on "
        "bytedance Seedance 2.x models; reference images are currently only supported on "
        f"{AVA_FAST}.",
        id="10-avalanche-veo-reference-audio",
    ),
    pytest.param(
        AVA_FAST,
        {"size": "1920x1080", "audio": False},
        f"{NOT_FOR} {AVA_FAST}. avalanche: {SILENT_NO}.",
        id="43-avalanche-silent",
    ),
    pytest.param(
        "veo-3.1-generate-preview",
        {"size": "848x480"},
        f"{NOT_FOR} model veo-3.1-generate-preview. google-vertex: size 848x480 is unsupported "
        "(supported sizes: 1280x720, 720x1280, 1920x1080, 1080x1920, 3840x2160, 2160x3840). "
        "avalanche: size 848x480 is unsupported because Avalanche uses aspect_ratio and this "
        "integration only supports 1920x1080, 3840x2160.",
        id="several-candidates",
    ),
    pytest.param(
        "atlascloud/kling-v3-0-turbo",
        {"size": "3840x2160", "seconds": 5},
        f"{NOT_FOR} atlascloud/kling-v3-0-turbo. atlascloud: size 3840x2160 is unsupported "
        "(supported sizes: 1280x720, 720x1280, 1920x1080, 1080x1920).",
        id="14-turbo-4k",
    ),
    pytest.param(
        "atlascloud/kling-v3-0-turbo",
        {"size": "1280x720", "seconds": 5, "audio": False},
        f"{NOT_FOR} atlascloud/kling-v3-0-turbo. atlascloud: {SILENT_NO}.",
        id="15-turbo-silent",
    ),
    pytest.param(
        "atlascloud/kling-v3-0",
        {"size": "1280x720", "seconds": 5, "reference_images": (IMG,), "reference_videos": VID},
        f"{NOT_FOR} atlascloud/kling-v3-0. atlascloud: reference inputs are unsupported on "
        "AtlasCloud KLING v3.0 models.",
        id="16-atlascloud-references",
    ),
    pytest.param(
        "atlascloud/kling-v3-0-turbo",
        {"size": "1280x720", "seconds": 5, "reference_audios": AUD},
        f"{NOT_FOR} atlascloud/kling-v3-0-turbo. atlascloud: reference inputs are unsupported "
        "on AtlasCloud KLING v3.0 models.",
        id="17-turbo-reference-audio",
    ),
    pytest.param(
        "atlascloud/kling-v3-0",
        {"size": "1280x720", "seconds": 6, "image": IMG},
        f"{NOT_FOR} atlascloud/kling-v3-0. atlascloud: duration 6s is unsupported (supported "
        "durations: 5s, 10s); duration is unsupported because AtlasCloud KLING v3.0 only "
        "supports 5s and 10s outputs.",
        id="atlascloud-frames-duration",
    ),
    pytest.param(
        "bytedance/seedance-1-5-pro",
        {"size": "1280x720", "seconds": 5, "reference_videos": VID},
        f"{NOT_FOR} bytedance/seedance-1-5-pro. bytedance: reference inputs are currently only "
        f"supported on bytedance Seedance 2.x ({S2}).",
        id="19-seedance-1-5-reference-videos",
    ),
    pytest.param(
        "bytedance/seedance-2-5",
        {"size": "3840x2160", "seconds": 5},
        f"{NOT_FOR} bytedance/seedance-2-5. bytedance: size 3840x2160 is unsupported (supported "
        "sizes: 848x480, 854x480, 480x854, 1280x720, 720x1280, 1920x1080, 1080x1920).",
        id="22-seedance-2-5-4k",
    ),
    pytest.param(
        "bytedance/seedance-1-5-pro",
        {"size": "1280x720", "seconds": 5, "image": IMG},
        f"{NOT_FOR} bytedance/seedance-1-5-pro. bytedance: frame inputs are currently only "
        f"supported on bytedance Seedance 2.x ({S2}).",
        id="38-seedance-1-5-frames",
    ),
    pytest.param(
        "google-vertex/veo-3.1-generate-preview",
        {"reference_images": (IMG,) * 4},
        f"{NOT_FOR} google-vertex/veo-3.1-generate-preview. google-vertex: this provider mapping "
        "supports at most 3 reference images.",
        id="24-vertex-4-reference-images",
    ),
    pytest.param(
        "google-vertex/veo-3.1-fast-generate-preview",
        {"seconds": 6, "reference_images": (IMG,)},
        f"{NOT_FOR} google-vertex/veo-3.1-fast-generate-preview. google-vertex: reference images "
        "are currently only supported on google-vertex/veo-3.1-generate-preview; reference "
        "images are currently only supported for 8 second outputs.",
        id="vertex-fast-reference",
    ),
    # The reason ends in "." and the summary adds one: the gateway's text really ends in "..".
    pytest.param(
        "sora-2",
        {"seconds": 4, "image": IMG},
        f"{NOT_FOR} openai/sora-2. openai: Sora models do not support image/last_frame inputs. "
        "Use input_reference or reference_images with exactly one image..",
        id="sora-frames",
    ),
    pytest.param(
        "openai/sora-2-pro",
        {"seconds": 4, "reference_images": (IMG, IMG), "reference_videos": VID},
        f"{NOT_FOR} openai/sora-2-pro. openai: Sora models do not support reference videos. Use "
        "reference_images with exactly one image.; Sora reference-image video generation "
        "supports exactly 1 input image.",
        id="sora-references",
    ),
    pytest.param(
        "wan-2-5",
        {"seconds": 5, "image": IMG},
        f"{NOT_FOR} alibaba/wan-2-5. alibaba: frame inputs are currently only supported through "
        "google-vertex, minimax, xai, or bytedance.",
        id="alibaba-frames",
    ),
    pytest.param(
        "xai/grok-imagine-video-1-5-preview",
        {"size": "848x480", "seconds": 6, "reference_images": (IMG,)},
        f"{NOT_FOR} xai/grok-imagine-video-1-5-preview. xai: reference images are currently only "
        "supported through google-vertex; reference images are currently only supported for "
        "8 second outputs.",
        id="xai-reference-images",
    ),
]


@pytest.mark.parametrize(("model", "kw", "message"), REJECTIONS)
def test_constraint_summary_texts(model: str, kw: dict[str, Any], message: str) -> None:
    err = rejected(model, **kw)
    assert (err.status, err.message) == (400, message)


def test_1_mentions_what_s1_checks() -> None:
    message = rejected(AVA_FAST, size="1280x720", seconds=6).message
    for part in ["size 1280x720", "duration 6s", "aspect_ratio", "fixed 8s clips"]:
        assert part in message


ACCEPTED = [
    pytest.param(
        AVA_VEO, {"size": "1920x1080", "image": IMG, "last_frame": IMG}, ["avalanche"], id="35-avalanche-frames"
    ),
    pytest.param(
        AVA_FAST, {"size": "3840x2160", "reference_images": (IMG, IMG)}, ["avalanche"], id="40-avalanche-fast-reference"
    ),
    pytest.param(
        "veo-3.1-generate-preview", {"size": "1920x1080"}, ["google-vertex", "avalanche"], id="25-two-eligible"
    ),
    pytest.param(
        "veo-3.1-fast-generate-preview",
        {"size": "1920x1080", "audio": False},
        ["google-vertex"],
        id="42-silent-fast-to-vertex",
    ),
    pytest.param(
        "atlascloud/kling-v3-0",
        {"size": "1280x720", "seconds": 5, "audio": False},
        ["atlascloud"],
        id="11-kling-silent",
    ),
    pytest.param(
        "atlascloud/kling-v3-0-turbo",
        {"size": "720x1280", "seconds": 10, "image": IMG, "last_frame": IMG},
        ["atlascloud"],
        id="12-turbo-frames",
    ),
    pytest.param("atlascloud/kling-v3-0", {"size": "3840x2160", "seconds": 5}, ["atlascloud"], id="13-kling-4k"),
    pytest.param(
        "seedance-2-0-fast",
        {"size": "1280x720", "seconds": 5, "reference_images": (IMG,) * 9},
        ["bytedance"],
        id="20-nine-reference-images",
    ),
    pytest.param(
        "seedance-2-5",
        {"size": "848x480", "seconds": 30, "audio": False, "reference_videos": VID},
        ["bytedance"],
        id="21-seedance-2-5-30s",
    ),
    pytest.param(
        "seedance-2-0",
        {"size": "1280x720", "seconds": 5, "image": IMG, "last_frame": IMG},
        ["bytedance"],
        id="36-seedance-frames",
    ),
    pytest.param("seedance-2-0", {"size": "1080x1920", "seconds": 15}, ["bytedance"], id="37-portrait-15s"),
    pytest.param(
        "google-vertex/veo-3.1-generate-preview", {"seconds": 10}, ["google-vertex"], id="33-vertex-10s-no-size"
    ),
    pytest.param(
        "google-vertex/veo-3.1-generate-preview",
        {"seconds": 4, "image": IMG, "last_frame": IMG},
        ["google-vertex"],
        id="34-vertex-frames",
    ),
    pytest.param(
        "google-vertex/veo-3.1-generate-preview",
        {"reference_images": (IMG, IMG)},
        ["google-vertex"],
        id="39-vertex-reference",
    ),
    pytest.param("sora-2", {"seconds": 4, "reference_images": (IMG,)}, ["openai"], id="sora-one-reference"),
]


@pytest.mark.parametrize(("model", "kw", "providers"), ACCEPTED)
def test_accepted_requests(model: str, kw: dict[str, Any], providers: list[str]) -> None:
    assert eligible(model, **kw) == providers


def test_seedance_2_caps_reference_images_at_nine() -> None:
    # The schema stops 10 images first (#23); the mapping rule is checked directly.
    model = CAT.resolve("seedance-2-0").model
    req = make(size="1280x720", seconds=5, reference_images=(IMG,) * 10)
    assert constraint_reasons(model.mappings[0], model, req) == ["Seedance 2.x supports at most 9 reference images"]


def test_audio_output_unsupported_text() -> None:
    silent_only = replace(mapping("wan-2-5", "alibaba"), supports_audio=False)
    assert constraint_reasons(silent_only, CAT.resolve("wan-2-5").model, make(seconds=5)) == [
        "audio output is unsupported for this provider mapping"
    ]


def test_summary_form_depends_on_candidate_count() -> None:
    m = mapping("sora-2", "openai")
    assert constraint_summary("sora-2", [(m, ["a", "b"])]) == f"{NOT_FOR} openai/sora-2. openai: a; b."
    assert constraint_summary("sora-2", [(m, ["a"]), (m, ["b"])], pinned=True) == (
        f"{NOT_FOR} model sora-2. openai: a. openai: b."
    )


# --- pricing ----------------------------------------------------------------------------------

COSTS = [
    pytest.param(
        "veo-3.1-generate-preview", "google-vertex", {"size": "3840x2160"}, (4.80, 0.0, 4.80), id="32-veo-4k-8s"
    ),
    pytest.param(
        "veo-3.1-generate-preview", "google-vertex", {"size": "1920x1080"}, (3.20, 0.0, 3.20), id="CG-veo-1080p-8s"
    ),
    pytest.param(
        "veo-3.1-fast-generate-preview", "google-vertex", {"seconds": 4}, (0.60, 0.0, 0.60), id="fast-audio-4s"
    ),
    pytest.param(
        "veo-3.1-fast-generate-preview",
        "google-vertex",
        {"seconds": 4, "audio": False},
        (0.40, 0.0, 0.40),
        id="44-fast-silent-4s",
    ),
    pytest.param(
        "veo-3.1-fast-generate-preview",
        "google-vertex",
        {"size": "1920x1080", "seconds": 4},
        (0.60, 0.0, 0.60),
        id="41-fast-1080p-audio-4s",
    ),
    pytest.param(
        "kling-v3-0", "atlascloud", {"size": "3840x2160", "seconds": 5}, (2.10, 0.0, 2.10), id="18-kling-4k-audio"
    ),
    pytest.param(
        "kling-v3-0",
        "atlascloud",
        {"size": "3840x2160", "seconds": 5, "audio": False},
        (2.10, 0.0, 2.10),
        id="18-kling-4k-silent",
    ),
    pytest.param(
        "grok-imagine-video-1-5-preview",
        "xai",
        {"size": "848x480", "seconds": 6, "image": IMG},
        (0.48, 0.01, 0.49),
        id="30-grok-480p",
    ),
    pytest.param(
        "grok-imagine-video-1-5-preview",
        "xai",
        {"size": "1280x720", "seconds": 6, "image": IMG},
        (0.84, 0.01, 0.85),
        id="31-grok-720p",
    ),
    pytest.param("sora-2", "openai", {"seconds": 4}, (0.40, 0.0, 0.40), id="59-sora-2-4s"),
    pytest.param(
        "sora-2-pro", "openai", {"size": "1920x1080", "seconds": 4}, (2.80, 0.0, 2.80), id="60-sora-2-pro-1080p"
    ),
    pytest.param(
        "veo-3.1-fast-generate-preview",
        "avalanche",
        {"size": "3840x2160"},
        (2.80, 0.0, 2.80),
        id="28-avalanche-fast-4k",
    ),
]


@pytest.mark.parametrize(("model", "provider", "kw", "expected"), COSTS)
def test_reference_cost_figures(
    model: str, provider: str, kw: dict[str, Any], expected: tuple[float, float, float]
) -> None:
    cost = estimate_cost(mapping(model, provider), make(**kw))
    assert (cost.video_output_cost, cost.image_input_cost, cost.total) == expected


def test_credit_estimate_uses_the_audio_rate() -> None:
    fast = mapping("veo-3.1-fast-generate-preview", "google-vertex")
    assert credit_estimate(fast, make(seconds=4, audio=False)) == 0.60
    veo = mapping("veo-3.1-generate-preview", "google-vertex")
    assert credit_estimate(veo, make(size="1920x1080")) == 3.20  # CG


def test_image_input_cost_counts_reference_images() -> None:
    cost = estimate_cost(
        mapping("grok-imagine-video-1-5-preview", "xai"),
        make(size="848x480", seconds=6, reference_images=(IMG, IMG, IMG)),
    )
    assert (cost.image_input_cost, cost.total) == (0.03, 0.51)


def test_rate_lookup_follows_w1_order() -> None:
    fast = mapping("veo-3.1-fast-generate-preview", "google-vertex")
    assert per_second_rate(fast, "4k", True) == 0.35
    assert per_second_rate(fast, "720p", False) == 0.10
    assert per_second_rate(fast, "720p", None) is None  # only suffixed keys: W1 would bill 0


# --- catalogue integrity ----------------------------------------------------------------------


def test_every_offered_size_has_a_rate_in_each_audio_mode_offered() -> None:
    for model in CAT.models():
        for m in model.mappings:
            modes = [a for a, ok in ((True, m.supports_audio), (False, m.supports_silent)) if ok]
            assert modes, (model.id, m.provider)
            for size in m.sizes:
                assert size in SIZES, (model.id, size)
                for audio in modes:
                    assert per_second_rate(m, RESOLUTION[size], audio) is not None, (model.id, size, audio)


def test_durations_fit_the_model_maximum() -> None:
    for model in CAT.models():
        assert model.max_duration_seconds is not None
        for m in model.mappings:
            assert m.durations and max(m.durations) <= model.max_duration_seconds, model.id


def test_only_avalanche_is_stealth() -> None:
    assert {m.provider for model in CAT.models() for m in model.mappings if m.stealth} == {"avalanche"}


def test_mappings_are_hashable_and_prices_read_only() -> None:
    m = mapping("sora-2", "openai")
    assert isinstance(m.per_second_price, MappingProxyType)
    assert len({m, mapping("sora-2", "openai")}) == 1
    with pytest.raises(TypeError):
        m.per_second_price["default"] = 1.0  # type: ignore[index]


def test_duplicate_model_ids_are_refused() -> None:
    with pytest.raises(ValueError):
        Catalogue([*CAT.models(), CAT.models()[0]])


# --- the catalogue files (issue 14): validated on load, errors name the file and the key -------------

GOOD = """
release: test
models:
  - id: m
    family: f
    max_duration_seconds: 10
    mappings:
      - provider: google-vertex
        external_id: x
        sizes: [1280x720]
        durations: [4, 8]
        audio: true
        silent: true
        per_second_price: {default: 0.4}
"""


def test_every_release_file_loads() -> None:
    from vidmock.gateway.domain.releases import RELEASES

    for name, release in RELEASES.items():
        assert release.catalogue().models(), name


def test_a_good_file_loads_with_dates(tmp_path: Any) -> None:
    from vidmock.gateway.domain.catalogue_data import load_catalogue_file

    path = tmp_path / "good.yaml"
    path.write_text(GOOD.replace("default: 0.4}", "default: 0.4}\n        deactivated_at: 2026-03-24"))
    model = load_catalogue_file(path, release="test").get("m")
    assert model is not None and model.mappings[0].deactivated_at == 1774310400.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("per_second_price: {default: 0.4}", "per_second_price: {default: cheap}"),
            "broken.yaml: models[0].mappings[0].per_second_price.default: expected a number >= 0, got 'cheap'",
        ),
        (
            ("per_second_price: {default: 0.4}", "per_second_price: {8k: 0.4}"),
            "broken.yaml: models[0].mappings[0].per_second_price.8k: expected a key <resolution>[_audio|_video]",
        ),
        (
            ("sizes: [1280x720]", "sizes: [1280x721]"),
            "broken.yaml: models[0].mappings[0].sizes[0]: expected one of the gateway's sizes (gateway.md §2), got '1280x721'",
        ),
        (
            ("        external_id: x\n", ""),
            "broken.yaml: models[0].mappings[0].external_id: expected a value (required)",
        ),
        (
            ("durations: [4, 8]", "durations: [4, 12]"),
            "broken.yaml: models[0].mappings[0].durations: expected durations up to max_duration_seconds (10), got 12",
        ),
        (
            ("durations: [4, 8]", "durations: {min: 8, max: 4}"),
            "broken.yaml: models[0].mappings[0].durations.max: expected an integer >= min (8), got 4",
        ),
        (("silent: true", "silent: yes please"), "broken.yaml: models[0].mappings[0].silent: expected true or false"),
        (
            ("audio: true", "audio: false\n        deactivated_at: someday"),
            "broken.yaml: models[0].mappings[0].deactivated_at: expected a date such as 2026-03-24, got 'someday'",
        ),
        (("family: f", "family: f\n    colour: red"), "broken.yaml: models[0].colour: expected one of the keys"),
        (
            ("release: test", "release: other"),
            "broken.yaml: release: expected 'test' (the release this file is for), got 'other'",
        ),
        (("models:", "modles:"), "broken.yaml: (top level).modles: expected one of the keys models, release"),
        (("id: m", "id: [m"), "broken.yaml: not valid YAML"),
    ],
)
def test_a_broken_file_names_the_file_and_the_key(tmp_path: Any, change: tuple[str, str], message: str) -> None:
    from vidmock.gateway.domain.catalogue_data import CatalogueDataError, load_catalogue_file

    path = tmp_path / "broken.yaml"
    assert change[0] in GOOD
    path.write_text(GOOD.replace(change[0], change[1], 1))
    with pytest.raises(CatalogueDataError) as info:
        load_catalogue_file(path, release="test")
    assert str(info.value).startswith(message), str(info.value)


def test_a_duplicate_model_id_names_both_entries(tmp_path: Any) -> None:
    from vidmock.gateway.domain.catalogue_data import CatalogueDataError, load_catalogue_file

    path = tmp_path / "twice.yaml"
    models = GOOD.split("models:\n", 1)[1]
    path.write_text(GOOD + models)
    with pytest.raises(
        CatalogueDataError, match=r"twice.yaml: models\[1\].id: expected an id not already used by models\[0\], got 'm'"
    ):
        load_catalogue_file(path)
