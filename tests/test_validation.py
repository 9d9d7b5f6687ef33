"""parse_create / check_images against gateway.md §2 and G1's zod schema (zod v4 wording)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidmock.errors import GatewayError
from vidmock.gateway.domain.request import DEFAULT_MODEL, SIZES, CreateRequest, ImageInput
from vidmock.gateway.domain.validation import check_images, image_problem, is_url, parse_create

P = "Invalid request parameters: "
BASE: dict[str, Any] = {"prompt": "a cat", "seconds": 8}
PNG = "data:image/png;base64,iVBORw0KGgo="


def body(**fields: Any) -> bytes:
    return json.dumps({**BASE, **fields}).encode()


def error(raw: bytes) -> str:
    with pytest.raises(GatewayError) as info:
        parse_create(raw)
    assert info.value.status == 400
    return info.value.message


def image_error(**fields: Any) -> str:
    req = parse_create(body(**fields))
    with pytest.raises(GatewayError) as info:
        check_images(req)
    assert info.value.status == 400
    return info.value.message


# ---- invalid JSON


@pytest.mark.parametrize(
    "raw",
    [
        b"garbage",
        b"{",
        b"",
        b"   ",
        b"\xff\xfe{}",
        b'{"prompt": "\xc3\x28", "seconds": 8}',
        b'{"prompt": "a", "seconds": NaN}',
        b'{"prompt": "a", "seconds": Infinity}',
        b"-Infinity",
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000,
        '{"prompt": "a", "seconds": 8}'.encode("utf-16"),  # JSON.parse never sniffs UTF-16
    ],
)
def test_invalid_json(raw: bytes) -> None:
    assert error(raw) == "Invalid JSON in request body"


def test_utf8_bom_is_accepted() -> None:
    assert parse_create(b"\xef\xbb\xbf" + body()).prompt == "a cat"


@pytest.mark.parametrize(
    ("raw", "received"),
    [
        (b"[]", "array"),
        (b"null", "null"),
        (b"8", "number"),
        (b'"x"', "string"),
        (b"true", "boolean"),
    ],
)
def test_root_must_be_an_object(raw: bytes, received: str) -> None:
    assert error(raw) == f"{P}: Invalid input: expected object, received {received}"


# ---- field-level issues


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        (0, "seconds: Too small: expected number to be >=1"),
        (-3, "seconds: Too small: expected number to be >=1"),
        (1.5, "seconds: Invalid input: expected int, received number"),
        ("8", "seconds: Invalid input: expected number, received string"),
        (True, "seconds: Invalid input: expected number, received boolean"),
        (None, "seconds: Invalid input: expected number, received null"),
        (2**60, "seconds: Too big: expected int to be <=9007199254740991"),
        (
            -(2**60),
            "seconds: Too small: expected int to be >=-9007199254740991, seconds: Too small: expected number to be >=1",
        ),
    ],
)
def test_seconds(seconds: object, message: str) -> None:
    assert error(body(seconds=seconds)) == P + message


def test_missing_seconds() -> None:
    assert error(b'{"prompt": "a"}') == P + "seconds: Invalid input: expected number, received undefined"


def test_seconds_out_of_double_range_is_infinity() -> None:
    for literal in (b"1e400", b"1" + b"0" * 400):
        assert (
            error(b'{"prompt": "a", "seconds": ' + literal + b"}")
            == P + "seconds: Invalid input: expected number, received number"
        )


def test_integral_float_counts_as_integer() -> None:
    assert parse_create(body(seconds=8.0)).seconds == 8


def test_empty_prompt() -> None:
    assert error(body(prompt="")) == P + "prompt: Too small: expected string to have >=1 characters"


def test_length_checks_also_run_after_a_type_failure() -> None:
    # zod's length checks are guarded by `when`, not by the abort rule.
    assert error(body(prompt=[])) == P + (
        "prompt: Invalid input: expected string, received array, prompt: Too small: expected array to have >=1 items"
    )
    assert error(body(reference_images="")) == P + (
        "reference_images: Invalid input: expected array, received string, "
        "reference_images: Too small: expected string to have >=1 characters"
    )


def test_null_is_not_undefined_for_optional_fields() -> None:
    assert error(body(size=None)) == P + "size: Invalid input: expected string, received null"
    assert error(body(audio=None)) == P + "audio: Invalid input: expected boolean, received null"
    assert error(body(model=None)) == P + "model: Invalid input: expected string, received null"


def test_all_field_issues_in_schema_order() -> None:
    raw = json.dumps(
        {
            "reference_audios": [],
            "n": "1",
            "audio": "yes",
            "seconds": "8",
            "image": 5,
            "callback_secret": "",
            "size": 720,
            "prompt": 1,
            "model": 2,
            "last_frame": {"image_url": 1},
        }
    ).encode()
    assert error(raw) == P + ", ".join(
        [
            "model: Invalid input: expected string, received number",
            "prompt: Invalid input: expected string, received number",
            "size: Invalid input: expected string, received number",
            "callback_secret: Too small: expected string to have >=1 characters",
            "last_frame: Invalid input",
            "seconds: Invalid input: expected number, received string",
            "audio: Invalid input: expected boolean, received string",
            "n: Invalid input: expected number, received string",
            "image: Invalid input",
            "reference_audios: Too small: expected array to have >=1 items",
        ]
    )


def test_http_reference_video() -> None:
    assert (
        error(body(reference_videos=["http://example.com/a.mp4"]))
        == P + "reference_videos.0: Reference video URL must be an HTTPS URL"
    )


def test_reference_media_issues() -> None:
    assert (
        error(body(reference_audios=[{"audio_url": "http://x.com/a.mp3"}]))
        == P + "reference_audios.0.audio_url: Reference audio URL must be an HTTPS URL"
    )
    assert (
        error(body(reference_videos=["nope"]))
        == P + "reference_videos.0: Invalid URL, reference_videos.0: Reference video URL must be an HTTPS URL"
    )
    assert error(body(reference_videos=["https://"])) == P + "reference_videos.0: Invalid URL"
    assert (
        error(body(reference_videos=[{"url": "https://x.com/v.mp4"}, 3]))
        == P + "reference_videos.0: Invalid input, reference_videos.1: Invalid input"
    )
    assert (
        error(body(reference_videos=["https://x.com/v.mp4"] * 4))
        == P + "reference_videos: Too big: expected array to have <=3 items"
    )


def test_ten_reference_images() -> None:
    assert error(body(reference_images=[PNG] * 10)) == P + "reference_images: Too big: expected array to have <=9 items"
    assert len(parse_create(body(reference_images=[PNG] * 9)).reference_images) == 9


def test_input_reference_union() -> None:
    # Only the array option can fail without aborting, so its length issue is reported as is.
    assert error(body(input_reference=[])) == P + "input_reference: Too small: expected array to have >=1 items"
    assert error(body(input_reference=[PNG] * 10)) == P + "input_reference: Too big: expected array to have <=9 items"
    assert error(body(input_reference=[5])) == P + "input_reference: Invalid input"
    assert error(body(input_reference={"image_url": None})) == P + "input_reference: Invalid input"


def test_callback_url_must_be_a_url() -> None:
    for bad in ("not a url", "http://", "http://exa mple.com", "https://x.com:99999", "//x.com"):
        assert error(body(callback_url=bad, callback_secret="s")) == P + "callback_url: Invalid URL"


def test_is_url() -> None:
    for good in (
        "https://example.com/hook",
        "http://127.0.0.1:8080/x",
        "https://[::1]/",
        "mailto:a@b.c",
        "http:example.com",
        "https://u:p@x.com/a b",
        "file:///tmp/x",
    ):
        assert is_url(good), good
    for bad in ("", "example.com", "https://", "http://a b/", "https://[::1", "http://x.com:port", "1http://x"):
        assert not is_url(bad), bad


def test_callback_url_is_trimmed_like_zod() -> None:
    req = parse_create(body(callback_url="  https://example.com/hook \n", callback_secret="s"))
    assert req.callback_url == "https://example.com/hook"


# ---- cross-field rules (superRefine)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"callback_url": "https://x.com/h"},
            "callback_secret: callback_url and callback_secret must either both be provided or both be omitted",
        ),
        (
            {"callback_secret": "s"},
            "callback_url: callback_url and callback_secret must either both be provided or both be omitted",
        ),
        ({"n": 2}, "n: Only n=1 is supported for Veo 3.1 preview models"),
        (
            {"size": "1080x1080"},
            "size: size must be one of 848x480, 854x480, 480x854, 1280x720, 1696x960, 720x1280, 1366x768, "
            "768x1366, 1920x1080, 1080x1920, 3840x2160, 2160x3840, 1792x1024, 1024x1792",
        ),
        ({"last_frame": PNG}, "last_frame: last_frame requires image to also be provided"),
        (
            {"reference_images": [PNG], "input_reference": PNG},
            "reference_images: Only one of reference_images or input_reference can be provided for a video request",
        ),
        (
            {"image": PNG, "reference_videos": ["https://x.com/v.mp4"]},
            "image: Frame inputs (image/last_frame) cannot be combined with reference image inputs",
        ),
        (
            {"last_frame": PNG, "input_reference": [PNG]},
            "last_frame: last_frame requires image to also be provided, "
            "image: Frame inputs (image/last_frame) cannot be combined with reference image inputs",
        ),
    ],
)
def test_cross_field_rules(fields: dict[str, Any], message: str) -> None:
    assert error(body(**fields)) == P + message


def test_cross_field_rules_are_skipped_after_an_aborting_issue() -> None:
    assert error(body(n=2, size="1x1", seconds="8")) == P + "seconds: Invalid input: expected number, received string"


def test_cross_field_rules_still_run_after_continuable_issues() -> None:
    # Length/min/url/refine failures do not abort the object, so zod still runs its superRefine.
    assert error(body(prompt="", n=2)) == P + (
        "prompt: Too small: expected string to have >=1 characters, n: Only n=1 is supported for Veo 3.1 preview models"
    )


def test_every_size_is_accepted() -> None:
    for size in SIZES:
        assert parse_create(body(size=size)).size == size


# ---- the parsed request


def test_defaults() -> None:
    req = parse_create(body())
    assert req == CreateRequest(prompt="a cat", seconds=8)
    assert (req.model, req.audio, req.size, req.n, req.routing_size) == (DEFAULT_MODEL, True, None, None, "1280x720")
    assert req.input_mode == "none" and req.raw == BASE


def test_unknown_keys_are_ignored() -> None:
    req = parse_create(body(quality="hd", extra={"deep": [1, None]}, image_url=5))
    assert req == CreateRequest(prompt="a cat", seconds=8)
    assert req.raw["quality"] == "hd"


def test_full_request() -> None:
    req = parse_create(
        body(
            model="bytedance/seedance-2-0",
            size="720x1280",
            audio=False,
            n=1,
            reference_images=["https://x.com/1.png", {"image_url": PNG}],
            reference_videos=[{"video_url": "https://x.com/v.mp4"}],
            reference_audios=["HTTPS://x.com/a.mp3"],
            callback_url="https://x.com/hook",
            callback_secret="whsec_1",
        )
    )
    assert req.model == "bytedance/seedance-2-0" and req.size == "720x1280" and req.audio is False and req.n == 1
    assert req.reference_images == (ImageInput("https://x.com/1.png"), ImageInput(PNG))
    assert req.reference_videos == ("https://x.com/v.mp4",) and req.reference_audios == ("HTTPS://x.com/a.mp3",)
    assert (req.callback_url, req.callback_secret) == ("https://x.com/hook", "whsec_1")
    assert req.input_mode == "reference" and req.image_count == 2


def test_input_reference_single_object_is_normalised() -> None:
    req = parse_create(body(input_reference={"image_url": PNG}))
    assert req.reference_images == (ImageInput(PNG),)
    assert parse_create(body(input_reference=PNG)).reference_images == (ImageInput(PNG),)
    assert parse_create(body(input_reference=[PNG, {"image_url": PNG}])).reference_images == (ImageInput(PNG),) * 2


def test_frames() -> None:
    req = parse_create(body(image={"image_url": PNG}, last_frame=PNG))
    assert (req.image, req.last_frame) == (ImageInput(PNG), ImageInput(PNG))
    assert req.input_mode == "frames" and req.image_count == 2


# ---- image processing


def test_empty_image_url() -> None:
    assert image_error(image={"image_url": ""}) == "image must include a non-empty image URL"
    assert image_error(reference_images=[PNG, ""]) == "image must include a non-empty image URL"


def test_bad_base64() -> None:
    assert image_error(image="data:image/png;base64,abc!") == "Invalid image input: Invalid image data URL format"
    assert image_error(image="data:image/png;base64,abcde") == "Invalid image input: Invalid image data URL format"
    assert image_error(image="data:image/png;base64,ab=c") == "Invalid image input: Invalid image data URL format"
    check_images(parse_create(body(image="data:image/png;base64,iVBO\r\nRw0K GgoA\n")))  # whitespace is skipped


def test_data_url_over_20mb() -> None:
    big = "data:image/png;base64," + "A" * (28 * 1024 * 1024)  # S1's oversized reference image
    message = image_error(model="seedance-2-0", reference_images=[{"image_url": big}])
    assert message == "Invalid image input: Image size (21.0MB) exceeds the 20MB limit for image inputs."


def test_data_url_size_limit_is_inclusive() -> None:
    # 20 MiB = 20971520 bytes encodes to 27962028 chars with one "=": estimated exactly at the limit.
    assert image_problem("data:image/png;base64," + "A" * 27962027 + "=") is None
    assert (
        image_problem("data:image/png;base64," + "A" * 27962028)
        == "Image size (20.1MB) exceeds the 20MB limit for image inputs."
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("data:text/plain;base64,aGk=", "Data URL must contain an image"),
        ("data:image/png;base64", "Invalid image data URL format"),
        ("data:image/svg+xml,%3Csvg%3E", None),
        ("data:image/svg+xml,%zz", "Invalid image data URL format"),
        ("data:image/svg+xml,%ff", "Invalid image data URL format"),
        ("http://example.com/a.png", "Image URLs must use HTTPS protocol in production"),
        ("ftp://example.com/a.png", "Image URLs must use HTTPS protocol in production"),
        ("https://example.com/a.png", None),
        (PNG, None),
    ],
)
def test_image_problem(url: str, reason: str | None) -> None:
    assert image_problem(url) == reason


def test_image_problem_outside_production() -> None:
    assert image_problem("http://example.com/a.png", production=False) is None
    assert image_problem("ftp://example.com/a.png", production=False) == "Failed to process image from URL"


def test_images_are_checked_in_handler_order() -> None:
    req = CreateRequest(prompt="p", seconds=8, image=ImageInput("data:text/plain,x"), last_frame=ImageInput(""))
    with pytest.raises(GatewayError, match="Data URL must contain an image"):
        check_images(req)
    check_images(parse_create(body(image=PNG, last_frame={"image_url": "https://x.com/l.png"})))


# ---- property: never anything but a CreateRequest or a 400 "Invalid …"

FIELDS = [
    "model",
    "prompt",
    "seconds",
    "size",
    "audio",
    "n",
    "image",
    "last_frame",
    "input_reference",
    "reference_images",
    "reference_videos",
    "reference_audios",
    "callback_url",
    "callback_secret",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from([PNG, "https://x.com/a", "http://x.com", "", *SIZES[:3]])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=11)
        | st.dictionaries(
            st.sampled_from(["image_url", "video_url", "audio_url"]) | st.text(max_size=5), inner, max_size=3
        )
    ),
    max_leaves=25,
)
requests = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, json_values)) | json_values


@settings(max_examples=400, deadline=None)
@given(requests)
def test_property_parse_create_only_raises_400_invalid(value: object) -> None:
    try:
        result = parse_create(json.dumps(value).encode())
    except GatewayError as exc:
        assert exc.status == 400
        assert exc.message.startswith("Invalid")
    else:
        assert isinstance(result, CreateRequest)
