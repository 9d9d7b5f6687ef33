"""Kling's API token: an HS256 JWT made from an AccessKey/SecretKey pair (providers.md §5.1).

The caller signs ``{"iss": AccessKey, "exp": now + 1800, "nbf": now - 5}`` with the SecretKey and sends
``Authorization: Bearer <token>``. There is no official Python SDK (the docs use PyJWT), so both sides
are written here with the standard library: ``encode`` for clients and tests, ``verify`` for the
emulator.

How a bad token is answered (the table in §5.4 gives the codes, the mapping is chosen):

* no ``Authorization`` header, or an empty one → 1001 "Authorization is empty";
* not ``Bearer <three base64url parts>``, header or payload not JSON objects, ``alg`` other than HS256,
  ``iss`` not a string, ``exp`` missing or not a number → 1002 "Authorization is invalid";
* unknown AccessKey or a signature that does not match → 1000 "Authentication failed" (the same
  answer for both, and the same work: an unknown key is checked against a dummy secret, so timing does
  not tell a caller which AccessKeys exist); signatures are compared with ``hmac.compare_digest``;
* a valid signature with ``nbf`` in the future → 1003; ``exp`` reached → 1004. Times are checked only
  after the signature, against the emulator's clock. ``nbf`` is optional (RFC 7519).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from typing import Any, cast

from .errors import KlingError

TOKEN_TTL = 1800  # seconds, as the official example
NOT_BEFORE_SKEW = 5
_DUMMY_SECRET = b"vidmock-kling-no-such-access-key"
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(part: str) -> bytes:
    if not part or not set(part) <= _B64URL or len(part) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _sign(secret: bytes, signing_input: bytes) -> bytes:
    return hmac.new(secret, signing_input, hashlib.sha256).digest()


def encode(
    access_key: str,
    secret_key: str,
    now: float,
    ttl: float = TOKEN_TTL,
    not_before: float = NOT_BEFORE_SKEW,
    **claims: Any,
) -> str:
    """The token the official example builds at ``now`` (whole seconds, like ``int(time.time())``)."""
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"iss": access_key, "exp": int(now + ttl), "nbf": int(now - not_before), **claims}
    signing_input = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload))
    signature = _sign(secret_key.encode(), signing_input.encode("ascii"))
    return f"{signing_input}.{_b64url(signature)}"


def _json_object(part: str) -> dict[str, Any]:
    try:
        value = json.loads(_unb64url(part))
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError):
        raise KlingError(1002) from None
    if not isinstance(value, dict):
        raise KlingError(1002)
    return value


def _number(value: Any) -> bool:
    """A JSON number usable as a NumericDate: Python's json accepts NaN and Infinity, which are not."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def verify(authorization: str | None, keys: Mapping[str, str], now: float, leeway: float = 0.0) -> str:
    """The AccessKey of a valid ``Authorization`` header at ``now``; KlingError(401) otherwise."""
    if authorization is None or not authorization.strip():
        raise KlingError(1001)
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise KlingError(1002)
    parts = token.split(".")
    if len(parts) != 3 or not token.isascii():
        raise KlingError(1002)
    header, payload = _json_object(parts[0]), _json_object(parts[1])
    try:
        signature = _unb64url(parts[2])
    except (ValueError, binascii.Error):
        raise KlingError(1002) from None
    issuer, expires, not_before = payload.get("iss"), payload.get("exp"), payload.get("nbf")
    if (
        header.get("alg") != "HS256"
        or not isinstance(issuer, str)
        or not _number(expires)
        or (not_before is not None and not _number(not_before))
    ):
        raise KlingError(1002)
    expires = cast(float, expires)  # checked just above (an int may be too large for a float)
    secret = keys.get(issuer)
    expected = _sign(secret.encode() if secret is not None else _DUMMY_SECRET, f"{parts[0]}.{parts[1]}".encode("ascii"))
    if not hmac.compare_digest(expected, signature) or secret is None:
        raise KlingError(1000)
    if not_before is not None and now + leeway < not_before:
        raise KlingError(1003)
    if now - leeway >= expires:
        raise KlingError(1004)
    return issuer
