"""The signed content-URL token (gateway.md §1.6, VA): an HS256 JWT-like string.

``base64url({"alg":"HS256"}).base64url({"l":logId,"exp":secs}).base64url(hmac)``; 7-day TTL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

DEV_SECRET = "llmgateway-dev-video-content-secret"
TTL_SECONDS = 7 * 24 * 3600
_HEADER = '{"alg":"HS256"}'


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(log_id: str, now: float, secret: str = DEV_SECRET, ttl: int = TTL_SECONDS) -> str:
    payload = json.dumps({"l": log_id, "exp": int(now) + ttl}, separators=(",", ":"))
    signing_input = f"{_b64(_HEADER.encode())}.{_b64(payload.encode())}"
    sig = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(sig)}"


def verify(token: str | None, log_id: str, now: float, secret: str = DEV_SECRET) -> bool:
    """True only for a well-formed, correctly signed, unexpired token for this log id."""
    if not token or token.count(".") != 2:
        return False
    header, payload, sig = token.split(".")
    # Compare the signature *strings* as issued (VA re-signs and compares base64url text), so a
    # padded or bit-twiddled encoding of the same bytes is refused.
    expected = _b64(hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode(), sig.encode("utf-8", "replace")):
        return False
    try:
        claims = json.loads(_unb64(payload))
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(claims, dict) or claims.get("l") != log_id:
        return False
    exp = claims.get("exp")
    return isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp > now
