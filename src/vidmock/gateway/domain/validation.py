"""Create-request validation: G1's ``parseJsonBody`` and zod ``createVideoRequestSchema`` (gateway.md §2).

``parse_create`` reports what zod v4 reports for that schema, issue for issue and in the same order.
``check_images`` is G1's ``processVideoImageInput``; the real handler runs it much later (after the
model and constraint checks), hence a separate call.
"""

from __future__ import annotations

import binascii
import ipaddress
import math
import re
from collections.abc import Callable
from typing import Final, TypeVar
from urllib.parse import unquote_to_bytes

from vidmock import jsonutil
from vidmock.errors import GatewayError
from vidmock.gateway.domain.request import DEFAULT_MODEL, SIZES, CreateRequest, ImageInput

# ---- zod's built-in wording (v4 "en" locale). Which zod G1 runs is unverified (gateway.md §8), so
# every version-dependent string is produced here and nowhere else.

_JS_TYPES: Final[dict[type, str]] = {
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
    type(None): "null",
}
_UNITS: Final[dict[str, str]] = {"string": "characters", "array": "items"}
INVALID_URL: Final = "Invalid URL"
INVALID_UNION: Final = "Invalid input"


def invalid_type(expected: str, value: object) -> str:
    received = "undefined" if value is _MISSING else _JS_TYPES.get(type(value), "object")
    return f"Invalid input: expected {expected}, received {received}"


def too_small(origin: str, minimum: int) -> str:
    unit = _UNITS.get(origin)
    return f"Too small: expected {origin} " + (f"to have >={minimum} {unit}" if unit else f"to be >={minimum}")


def too_big(origin: str, maximum: int) -> str:
    unit = _UNITS.get(origin)
    return f"Too big: expected {origin} " + (f"to have <={maximum} {unit}" if unit else f"to be <={maximum}")


# ---- G1's own messages, verbatim.

INVALID_JSON: Final = "Invalid JSON in request body"
VIDEO_NOT_HTTPS: Final = "Reference video URL must be an HTTPS URL"
AUDIO_NOT_HTTPS: Final = "Reference audio URL must be an HTTPS URL"
CALLBACK_PAIR: Final = "callback_url and callback_secret must either both be provided or both be omitted"
N_NOT_ONE: Final = "Only n=1 is supported for Veo 3.1 preview models"
BAD_SIZE: Final = "size must be one of " + ", ".join(SIZES)
LAST_FRAME_ALONE: Final = "last_frame requires image to also be provided"
BOTH_REFERENCE_FIELDS: Final = "Only one of reference_images or input_reference can be provided for a video request"
FRAMES_WITH_REFERENCES: Final = "Frame inputs (image/last_frame) cannot be combined with reference image inputs"
EMPTY_IMAGE_URL: Final = "image must include a non-empty image URL"
BAD_DATA_URL: Final = "Invalid image data URL format"

_MISSING: Final = object()  # JS `undefined`: the key is absent
_SIZE_SET: Final = frozenset(SIZES)
_MAX_SAFE: Final = 2**53 - 1  # Number.MAX_SAFE_INTEGER: zod's .int() is the "safeint" format

# An issue is (path, message, continues). `continues` is zod's `continue: true`: a failed check
# (length, min, url, refine) lets later checks and the object's superRefine run; a type or union
# failure aborts them. On failure a validator records its issue and returns a placeholder:
# parse_create raises before any placeholder is read, which keeps the success path free of checks.
Issues = list[tuple[str, str, bool]]
Validator = Callable[[Issues, str, object], str]
_T = TypeVar("_T")


def _string(out: Issues, path: str, value: object) -> str:
    if type(value) is str:
        return value
    out.append((path, invalid_type("string", value), False))
    return ""


def _length(out: Issues, path: str, value: object, lo: int, hi: int | None) -> None:
    """zod's min/max length checks. They are guarded by ``when`` (the value has a length) instead of
    the abort rule, so they also run after a type failure: a string sent where an array belongs (or
    the reverse) gets both issues."""
    if type(value) is str:
        origin, n = "string", len(value)
        if hi is not None and n <= hi:  # JS counts UTF-16 code units (cheap: n is small here)
            n += sum(c > "\uffff" for c in value)
    elif type(value) is list:
        origin, n = "array", len(value)
    else:
        return
    if n < lo:
        out.append((path, too_small(origin, lo), True))
    elif hi is not None and n > hi:
        out.append((path, too_big(origin, hi), True))


def _nonempty_string(out: Issues, path: str, value: object) -> str:
    result = _string(out, path, value)
    _length(out, path, value, 1, None)
    return result


def _int(out: Issues, path: str, value: object, minimum: int | None = None) -> int:
    """``z.number().int()`` (and ``.min``) on a JSON number, which JS holds as a double."""
    x = math.nan
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            x = float(value)
        except OverflowError:  # an integer literal beyond double range is Infinity in JS
            x = math.inf
    if not math.isfinite(x):  # not a number, or Infinity (1e400), which z.number() rejects too
        out.append((path, invalid_type("number", value), False))
        return 0
    if not x.is_integer():
        out.append((path, invalid_type("int", value), False))
        return 0
    if abs(x) > _MAX_SAFE:
        out.append((path, too_big("int", _MAX_SAFE) if x > 0 else too_small("int", -_MAX_SAFE), True))
    if minimum is not None and x < minimum:
        out.append((path, too_small("number", minimum), True))
    return int(x)


def _boolean(out: Issues, path: str, value: object) -> bool:
    if type(value) is bool:
        return value
    out.append((path, invalid_type("boolean", value), False))
    return True


# ---- URLs. zod's url() is `new URL(value.trim())` and keeps the trimmed value. is_url is the WHATWG
# parser reduced to what decides success: a scheme, and for the special schemes a non-empty host free
# of forbidden code points with a valid port. Other schemes (mailto:, urn:, file:) take nearly anything.

_JS_WHITESPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_C0_OR_SPACE: Final = "".join(map(chr, range(0x21)))
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SPECIAL: Final = frozenset({"http", "https", "ws", "wss", "ftp"})
_AUTHORITY_END: Final = re.compile(r"[/\\?#]")
_FORBIDDEN_HOST: Final = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
_HTTPS: Final = re.compile(r"https://", re.IGNORECASE)


def is_url(value: str) -> bool:
    s = value.strip(_C0_OR_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    m = _SCHEME.match(s)
    if m is None:
        return False
    if s[: m.end() - 1].lower() not in _SPECIAL:
        return True
    hostport = _AUTHORITY_END.split(s[m.end() :].lstrip("/\\"), 1)[0].rpartition("@")[2]
    if hostport.startswith("["):
        host, closed, port = hostport[1:].partition("]")
        if not closed or "%" in host or port[:1] not in ("", ":"):
            return False
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        port = port[1:]
    else:
        host, _, port = hostport.partition(":")
        if not host or _FORBIDDEN_HOST.search(host):
            return False
    return not port or (port.isascii() and port.isdigit() and int(port) <= 65535)


def _url(out: Issues, path: str, value: object) -> str:
    """``z.string().url()``: the url check runs only once the value is a string."""
    if type(value) is not str:
        return _string(out, path, value)
    trimmed = value.strip(_JS_WHITESPACE)
    if is_url(trimmed):
        return trimmed
    out.append((path, INVALID_URL, True))
    return value


# ---- Unions. zod v4 takes the first option without issues; failing that, if exactly one option
# failed without aborting it reports that option's issues unchanged, otherwise one "Invalid input".


def _image_input(out: Issues, path: str, value: object) -> str:
    """``string | {image_url: string}``: both options can only fail by type, i.e. abort."""
    if type(value) is str:
        return value
    if type(value) is dict and type(url := value.get("image_url")) is str:
        return url
    out.append((path, INVALID_UNION, False))
    return ""


def _media_input(key: str, message: str) -> Validator:
    """``url | {<key>: url}`` with url = ``z.string().url().refine(/^https:\\/\\//i)``. The other
    option always fails by type, so URL issues surface unchanged (under ``<i>.<key>`` for the object
    form); the refine runs even when url() failed, as both checks continue."""

    def check(out: Issues, path: str, value: object) -> str:
        if type(value) is dict and type(inner := value.get(key)) is str:
            path, value = f"{path}.{key}", inner
        if type(value) is not str:
            out.append((path, INVALID_UNION, False))
            return ""
        url = _url(out, path, value)
        if not _HTTPS.match(url):
            out.append((path, message, True))
        return url

    return check


_video_input: Final = _media_input("video_url", VIDEO_NOT_HTTPS)
_audio_input: Final = _media_input("audio_url", AUDIO_NOT_HTTPS)


def _array(item: Validator, hi: int) -> Callable[[Issues, str, object], list[str]]:
    """``z.array(item).min(1).max(hi)``: items first, then the length checks."""

    def check(out: Issues, path: str, value: object) -> list[str]:
        items = [item(out, f"{path}.{i}", v) for i, v in enumerate(value)] if type(value) is list else []
        if type(value) is not list:
            out.append((path, invalid_type("array", value), False))
        _length(out, path, value, 1, hi)
        return items

    return check


_image_array: Final = _array(_image_input, 9)


def _input_reference(out: Issues, path: str, value: object) -> list[str]:
    """``image input | array(image input).min(1).max(9)``, normalised to a list."""
    if type(value) is not list:
        return [_image_input(out, path, value)]
    # The single-image option aborts on a list, so the array option's issues are reported when none
    # of them aborts (only its length is wrong); otherwise the union fails as a whole.
    tried: Issues = []
    urls = _image_array(tried, path, value)
    if all(issue[2] for issue in tried):
        out.extend(tried)
        return urls
    out.append((path, INVALID_UNION, False))
    return []


# ---- The request.


def _invalid(issues: Issues) -> GatewayError:
    return GatewayError(400, "Invalid request parameters: " + ", ".join(f"{p}: {m}" for p, m, _ in issues))


def parse_create(body: bytes) -> CreateRequest:
    """Parse and validate a ``POST /v1/videos`` body; raise ``GatewayError(400, …)`` as G1 does."""
    try:  # strict UTF-8 minus one BOM, as Request.json() decodes: no UTF-16/32 sniffing
        # jsonutil: a lone surrogate is invalid JSON here, a 5,000-digit number is JSON.parse's
        # Infinity (refused by the number checks), never a 500 later (issue 12).
        data = jsonutil.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise GatewayError(400, INVALID_JSON) from None
    if type(data) is not dict:
        raise _invalid([("", invalid_type("object", data), False)])
    out: Issues = []

    def opt(key: str, check: Callable[[Issues, str, object], _T]) -> _T | None:
        value = data.get(key, _MISSING)
        return None if value is _MISSING else check(out, key, value)

    # G1's schema key order, which is the order zod reports issues in.
    model = opt("model", _string)
    prompt = _nonempty_string(out, "prompt", data.get("prompt", _MISSING))
    size = opt("size", _string)
    callback_url = opt("callback_url", _url)
    callback_secret = opt("callback_secret", _nonempty_string)
    input_reference = opt("input_reference", _input_reference)
    last_frame = opt("last_frame", _image_input)
    seconds = _int(out, "seconds", data.get("seconds", _MISSING), 1)
    audio = opt("audio", _boolean)
    n = opt("n", _int)
    image = opt("image", _image_input)
    reference_images = opt("reference_images", _image_array)
    reference_videos = opt("reference_videos", _array(_video_input, 3))
    reference_audios = opt("reference_audios", _array(_audio_input, 3))

    if all(issue[2] for issue in out):  # zod runs superRefine only while nothing has aborted
        if (callback_url is None) != (callback_secret is None):
            out.append(("callback_secret" if callback_secret is None else "callback_url", CALLBACK_PAIR, True))
        if n is not None and n != 1:
            out.append(("n", N_NOT_ONE, True))
        if size is not None and size not in _SIZE_SET:
            out.append(("size", BAD_SIZE, True))
        if last_frame is not None and image is None:
            out.append(("last_frame", LAST_FRAME_ALONE, True))
        if reference_images is not None and input_reference is not None:
            out.append(("reference_images", BOTH_REFERENCE_FIELDS, True))
        references = (reference_images, input_reference, reference_videos, reference_audios)
        if (image is not None or last_frame is not None) and any(r is not None for r in references):
            out.append(("image", FRAMES_WITH_REFERENCES, True))
    if out:
        raise _invalid(out)

    refs = reference_images if reference_images is not None else input_reference or ()
    return CreateRequest(
        prompt=prompt,
        seconds=seconds,
        model=DEFAULT_MODEL if model is None else model,
        size=size,
        audio=True if audio is None else audio,
        n=n,
        image=None if image is None else ImageInput(image),
        last_frame=None if last_frame is None else ImageInput(last_frame),
        reference_images=tuple(ImageInput(url) for url in refs),
        reference_videos=tuple(reference_videos or ()),
        reference_audios=tuple(reference_audios or ()),
        callback_url=callback_url,
        callback_secret=callback_secret,
        raw=data,
    )


# ---- Image inputs: processVideoImageInput -> @llmgateway/actions processImageUrl(url, isProd, 20, null).

_MAX_IMAGE_MB: Final = 20
_BAD_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _too_large(size: float) -> str | None:
    if size <= _MAX_IMAGE_MB * 1024 * 1024:
        return None
    # processImageUrl rounds the size up to 0.1 MB so that it never prints the limit it exceeds.
    return f"Image size ({math.ceil(size / 1048576 * 10) / 10:.1f}MB) exceeds the {_MAX_IMAGE_MB}MB limit for image inputs."


def image_problem(url: str, *, production: bool = True) -> str | None:
    """Why processImageUrl would reject this non-empty image URL, or None. Remote URLs are never
    fetched (no network); a production gateway takes only ``https://`` ones. Undecodable base64,
    which the gateway hands on to the provider, is rejected here so no later stage meets it."""
    if not url.startswith("data:"):
        if production:
            return None if url.startswith("https://") else "Image URLs must use HTTPS protocol in production"
        return None if url[:8].lower().startswith(("http://", "https://")) else "Failed to process image from URL"
    comma = url.find(",")  # slices, not partition: data can be 28 MB and is copied once
    if comma < 0:
        return BAD_DATA_URL
    header, data = url[5:comma], url[comma + 1 :]
    is_base64 = header[-7:].lower() == ";base64"
    if not header.partition(";")[0].startswith("image/"):
        return "Data URL must contain an image"
    if not is_base64:  # percent-encoded text: decodeURIComponent, then measured as UTF-8
        try:
            if _BAD_PERCENT.search(data):
                raise ValueError(data)
            decoded = unquote_to_bytes(data)
            decoded.decode("utf-8")
        except ValueError:  # also UnicodeError: escapes that are not UTF-8, lone surrogates
            return BAD_DATA_URL
        return _too_large(len(decoded))
    # Size is estimated from the encoded length before anything is decoded, as the gateway does.
    reason = _too_large(len(data) * 3 / 4 - (2 if data.endswith("==") else 1 if data.endswith("=") else 0))
    return reason if reason is not None or _decodes(data) else BAD_DATA_URL


def _decodes(data: str) -> bool:
    """Strict base64, except that whitespace is skipped as Node's Buffer.from does (MIME line breaks)."""
    try:
        binascii.a2b_base64(data, strict_mode=True)
        return True
    except ValueError:  # binascii.Error, or non-ASCII text
        pass
    try:  # the whitespace-free copy is made only on this rare path
        binascii.a2b_base64("".join(data.split()), strict_mode=True)
        return True
    except ValueError:
        return False


def check_images(req: CreateRequest, *, production: bool = True) -> None:
    """Raise G1's 400 for the first bad image: first frame, last frame, then reference images."""
    for image in (req.image, req.last_frame, *req.reference_images):
        if image is None:
            continue
        if not image.url:
            raise GatewayError(400, EMPTY_IMAGE_URL)
        reason = image_problem(image.url, production=production)
        if reason is not None:
            raise GatewayError(400, f"Invalid image input: {reason}")
