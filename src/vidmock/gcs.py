"""Google Cloud Storage V4 signed URLs with an HMAC key (``GOOG4-HMAC-SHA256``).

The gateway serves a Vertex video written to its output bucket through "a signed GCS URL made from
``storageUri``" (gateway.md §1.5); vidmock's GCS stand-in checks those URLs. One signer serves both:
``verify`` recomputes the signature with ``sign``'s own code and compares in constant time.

The canonical request follows Google's V4 signing process: method, percent-encoded path, sorted
query (without ``X-Goog-Signature``), the signed ``host`` header, ``UNSIGNED-PAYLOAD``; the string to
sign carries the timestamp and the ``<date>/<location>/storage/goog4_request`` scope; the key is the
HMAC chain ``GOOG4<secret>`` → date → location → ``storage`` → ``goog4_request``.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

ALGORITHM = "GOOG4-HMAC-SHA256"
LOCATION = "auto"
MAX_EXPIRES = 7 * 24 * 3600  # GCS refuses longer-lived V4 signatures


@dataclass(frozen=True)
class HmacKey:
    access_id: str
    secret: str


class SignedUrlError(Exception):
    """A signed URL GCS would refuse; ``code`` is GCS's XML error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def parse_gs_uri(uri: str) -> tuple[str, str]:
    """``gs://bucket/path/to/object`` → (bucket, object name)."""
    if not uri.startswith("gs://"):
        raise ValueError(f"not a gs:// URI: {uri!r}")
    bucket, _, name = uri[5:].partition("/")
    if not bucket or not name:
        raise ValueError(f"gs:// URI without a bucket or an object name: {uri!r}")
    return bucket, name


def _encode(value: str, safe: str = "-_.~") -> str:
    return quote(value, safe=safe)


def _stamp(now: float) -> tuple[str, str]:
    t = time.gmtime(int(now))
    return time.strftime("%Y%m%dT%H%M%SZ", t), time.strftime("%Y%m%d", t)


def _signature(
    key: HmacKey, method: str, host: str, path: str, query: Iterable[tuple[str, str]], stamp: str, date: str
) -> str:
    canonical_query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(query))
    canonical = "\n".join([method, path, canonical_query, f"host:{host.lower()}", "", "host", "UNSIGNED-PAYLOAD"])
    scope = f"{date}/{LOCATION}/storage/goog4_request"
    to_sign = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = hmac.new(f"GOOG4{key.secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (LOCATION, "storage", "goog4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()


def sign_url(
    endpoint: str, bucket: str, name: str, key: HmacKey, now: float, expires: int = 900, method: str = "GET"
) -> str:
    """A path-style signed URL for ``bucket/name`` on ``endpoint`` (``https://storage.googleapis.com``,
    or a stand-in whose base URL carries a path prefix)."""
    if not 1 <= expires <= MAX_EXPIRES:
        raise ValueError(f"expires must be 1..{MAX_EXPIRES} seconds")
    parts = urlsplit(endpoint.rstrip("/"))
    path = f"{parts.path}/{_encode(bucket)}/{_encode(name, safe='/-_.~')}"
    stamp, date = _stamp(now)
    query = [
        ("X-Goog-Algorithm", ALGORITHM),
        ("X-Goog-Credential", f"{key.access_id}/{date}/{LOCATION}/storage/goog4_request"),
        ("X-Goog-Date", stamp),
        ("X-Goog-Expires", str(expires)),
        ("X-Goog-SignedHeaders", "host"),
    ]
    signature = _signature(key, method, parts.netloc, path, query, stamp, date)
    encoded = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in query)
    return f"{parts.scheme}://{parts.netloc}{path}?{encoded}&X-Goog-Signature={signature}"


def verify(
    method: str, host: str, raw_path: str, query: list[tuple[str, str]], keys: dict[str, HmacKey], now: float
) -> None:
    """Raise SignedUrlError unless the request carries a valid, unexpired V4 signature by one of
    ``keys`` (access id → key). ``raw_path`` is the path exactly as sent (still percent-encoded)."""
    params = dict(query)
    missing = [
        p
        for p in (
            "X-Goog-Algorithm",
            "X-Goog-Credential",
            "X-Goog-Date",
            "X-Goog-Expires",
            "X-Goog-SignedHeaders",
            "X-Goog-Signature",
        )
        if p not in params
    ]
    if missing:
        raise SignedUrlError(
            400,
            "AuthenticationRequired" if len(missing) == 6 else "MissingSecurityHeader",
            f"Missing query parameter(s): {', '.join(missing)}",
        )
    if params["X-Goog-Algorithm"] != ALGORITHM:
        raise SignedUrlError(400, "InvalidArgument", f"Unsupported algorithm {params['X-Goog-Algorithm']!r}")
    access_id, _, scope = params["X-Goog-Credential"].partition("/")
    key = keys.get(access_id)
    if key is None:
        raise SignedUrlError(403, "InvalidAccessKeyId", "The GCS HMAC key in the credential does not exist.")
    stamp = params["X-Goog-Date"]
    try:
        signed_at = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        expires = int(params["X-Goog-Expires"])
    except ValueError:
        raise SignedUrlError(400, "InvalidArgument", "X-Goog-Date or X-Goog-Expires is malformed.") from None
    if scope != f"{stamp[:8]}/{LOCATION}/storage/goog4_request" or params["X-Goog-SignedHeaders"] != "host":
        raise SignedUrlError(400, "InvalidArgument", "The credential scope or signed headers are not supported.")
    if not 1 <= expires <= MAX_EXPIRES:
        raise SignedUrlError(400, "InvalidArgument", f"X-Goog-Expires must be 1..{MAX_EXPIRES}.")
    expected = _signature(
        key, method, host, raw_path, [(k, v) for k, v in query if k != "X-Goog-Signature"], stamp, stamp[:8]
    )
    if not hmac.compare_digest(expected, params["X-Goog-Signature"]):
        raise SignedUrlError(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    if now > signed_at + expires:
        raise SignedUrlError(400, "ExpiredToken", "The provided token has expired.")
