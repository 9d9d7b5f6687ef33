"""fal's ``?fal_webhook=URL`` deliveries, signed with ED25519 (providers.md §11.3, webhooks.md §2.1).

- **When.** One POST when the request completes (§11.3 "On completion"), success or not; a cancelled
  request counts as completed with an error (chosen: the receiver then learns it will get no result).
- **Body.** ``{"request_id", "gateway_request_id", "status": "OK", "payload": <the result JSON>}``, or
  ``"status": "ERROR"`` with ``"error": "Invalid status code: <n>"`` and the model's error body as
  ``payload`` (the reference's error example), as compact JSON fixed for every attempt.
- **Signature.** Headers ``X-Fal-Webhook-Request-Id``, ``X-Fal-Webhook-User-Id``,
  ``X-Fal-Webhook-Timestamp`` (unix seconds) and ``X-Fal-Webhook-Signature``: the hex ED25519
  signature of ``"{request_id}\\n{user_id}\\n{timestamp}\\n{sha256_hex(body)}"``, redone with a fresh
  timestamp on every attempt (unverified for fal; what every other scheme does). The user id is the
  submitting key's (``user_id_for``).
- **Key.** One ED25519 key derived from the server seed (``config.seed``), so a restarted server signs
  with the same key and tests can pin it; its public half is served as a JWKS (``jwks``) at
  ``/.well-known/jwks.json`` on the emulator, standing in for ``rest.alpha.fal.ai``'s.
- **Delivery.** 15 s timeout; up to 10 retries within 2 h (§11.3): 10 s doubling, capped at 30 min
  (10, 20, 40 … 1280, 1800, 1800 s: about 1.7 h), none due more than 2 h after the first attempt.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ..base import EmulatorContext
from ..callbacks import Attempt, CallbackDispatcher, Event, RetryPolicy
from .models import KIND, FalRequest

SERVICE = "fal"
POLICY = RetryPolicy(max_attempts=11, first_delay=10.0, max_delay=1800.0, timeout=15.0, give_up_after=7200.0)
TERMINAL = frozenset({"COMPLETED"})
TOLERANCE = 300  # receivers reject timestamps outside ±300 s (§11.3)
# request, now → (HTTP status of the result route, its body): what the webhook's payload carries.
ResultBody = Callable[[FalRequest, float], "tuple[int, dict[str, object]]"]


def signing_key(seed: int) -> Ed25519PrivateKey:
    """The emulator's webhook key: the same seed gives the same key in any process."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"vidmock:fal:webhook:{seed}".encode()).digest())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def jwks(key: Ed25519PrivateKey) -> dict[str, list[dict[str, str]]]:
    """The public key as an RFC 8037 OKP JWK set."""
    raw = public_bytes(key)
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": _b64url(raw),
                "kid": hashlib.sha256(raw).hexdigest()[:16],
                "use": "sig",
                "alg": "EdDSA",
            }
        ]
    }


def message(request_id: str, user_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{request_id}\n{user_id}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()


def sign(key: Ed25519PrivateKey, request_id: str, user_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "X-Fal-Webhook-Request-Id": request_id,
        "X-Fal-Webhook-User-Id": user_id,
        "X-Fal-Webhook-Timestamp": str(timestamp),
        "X-Fal-Webhook-Signature": key.sign(message(request_id, user_id, timestamp, body)).hex(),
    }


def verify(
    public_keys: list[Ed25519PublicKey], headers: dict[str, str], body: bytes, now: float, tolerance: int = TOLERANCE
) -> bool:
    """What a receiver does (for tests and users of the emulator): any key of the JWKS may match."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lower["x-fal-webhook-timestamp"])
        signature = bytes.fromhex(lower["x-fal-webhook-signature"])
        signed = message(lower["x-fal-webhook-request-id"], lower["x-fal-webhook-user-id"], timestamp, body)
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    for public in public_keys:
        try:
            public.verify(signature, signed)
            return True
        except Exception:  # cryptography raises InvalidSignature; any failure is a non-match
            continue
    return False


def keys_from_jwks(document: dict[str, list[dict[str, str]]]) -> list[Ed25519PublicKey]:
    out = []
    for jwk in document.get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            x = jwk["x"]
            out.append(Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))))
    return out


def build_dispatcher(ctx: EmulatorContext, key: Ed25519PrivateKey, result_body: ResultBody) -> CallbackDispatcher:
    def load(request_id: str) -> FalRequest | None:
        doc = ctx.store.get(KIND, request_id)
        return None if doc is None else FalRequest.from_doc(doc)

    def observe(request_id: str, now: float) -> str | None:
        req = load(request_id)
        return None if req is None else req.phase(now)[0]

    def emit(request_id: str, before: str | None, status: str, now: float) -> list[Event]:
        req = load(request_id)
        if req is None or not req.webhook_url or status != "COMPLETED":
            return []
        code, payload = result_body(req, now)
        body: dict[str, object] = {
            "request_id": req.id,
            "gateway_request_id": req.id,
            "status": "OK" if code < 400 else "ERROR",
            "payload": payload,
        }
        if code >= 400:
            body["error"] = f"Invalid status code: {code}"
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        return [Event(req.id, str(body["status"]), req.webhook_url, text)]

    def signer(row: Attempt, timestamp: int, body: bytes) -> dict[str, str] | None:
        req = load(row.job_id)
        user_id = req.user_id if req is not None else ""
        return sign(key, row.job_id, user_id, timestamp, body)

    return CallbackDispatcher(
        SERVICE, ctx.clock, ctx.store, ctx.ids, POLICY, observe=observe, emit=emit, terminal=TERMINAL, sign=signer
    )
