"""Webhook signers: one plain function per scheme, registered in ``SCHEMES``.

Every scheme is HMAC-SHA256; they differ only in three places, which are exactly where
integrations go wrong (webhooks.md §2.2), so each is a separate, named primitive here:

* key bytes: ``llmgateway``/``stripe``/``github`` use the secret's UTF-8 bytes as given;
  ``standard`` (Standard Webhooks / Svix) base64-decodes the part after ``whsec_``;
* signed bytes: ``{id}.{ts}.{body}`` / ``{ts}.{body}`` / ``{body}``;
* output encoding: base64 (padded, standard alphabet) or lowercase hex.

The verifier and the diagnoser reuse these primitives rather than re-deriving them, so signing and
checking cannot drift apart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Literal

Encoding = Literal["base64", "hex"]
Secrets = str | Sequence[str]
Signer = Callable[[Sequence[str], str, int, bytes], dict[str, str]]

WHSEC_PREFIX = "whsec_"

# Header names as senders spell them; lookups on the receiving side are case-insensitive.
WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"
STRIPE_SIGNATURE = "Stripe-Signature"
GITHUB_SIGNATURE = "X-Hub-Signature-256"
GITHUB_DELIVERY = "X-GitHub-Delivery"

ENCODING: dict[str, Encoding] = {
    "llmgateway": "base64",
    "standard": "base64",
    "stripe": "hex",
    "github": "hex",
}


def mask_secret(secret: str) -> str:
    """A secret safe for messages: at most 4 leading chars, never more than half of it."""
    return secret[: min(4, len(secret) // 2)] + "…"


def raw_key(secret: str) -> bytes:
    """LLMGateway / Stripe / GitHub: the secret's UTF-8 bytes, ``whsec_`` prefix and all."""
    return secret.encode("utf-8")


def standard_key(secret: str) -> bytes:
    """Standard Webhooks: strip ``whsec_`` and base64-decode the rest (strictly).

    ``validate=True`` matters: the lenient decoder silently drops non-alphabet characters, so a
    secret like ``whsec_your_secret_here`` would "decode" to garbage instead of failing loudly.
    """
    body = secret[len(WHSEC_PREFIX) :] if secret.startswith(WHSEC_PREFIX) else secret
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            f"secret {mask_secret(secret)} is not whsec_ + base64, as the standard scheme requires"
        ) from None


KEY_DERIVATION: dict[str, Callable[[str], bytes]] = {
    "llmgateway": raw_key,
    "standard": standard_key,
    "stripe": raw_key,
    "github": raw_key,
}


def signed_content(scheme: str, msg_id: str, timestamp: int | str, body: bytes) -> bytes:
    """The exact bytes each scheme MACs. ``timestamp`` may be the header string as received."""
    if scheme in ("llmgateway", "standard"):
        return f"{msg_id}.{timestamp}.".encode() + body
    if scheme == "stripe":
        return f"{timestamp}.".encode() + body
    if scheme == "github":
        return body
    raise ValueError(f"unknown webhook scheme {scheme!r}; known: {sorted(SCHEMES)}")


def encode_digest(digest: bytes, encoding: Encoding) -> str:
    if encoding == "base64":
        return base64.b64encode(digest).decode("ascii")
    return digest.hex()


def mac(key: bytes, content: bytes) -> bytes:
    return hmac.new(key, content, hashlib.sha256).digest()


def signature_token(scheme: str, secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The bare signature (no ``v1,`` / ``v1=`` / ``sha256=``) for one secret."""
    content = signed_content(scheme, msg_id, timestamp, body)
    return encode_digest(mac(KEY_DERIVATION[scheme](secret), content), ENCODING[scheme])


def _tokens(scheme: str, secrets: Sequence[str], msg_id: str, ts: int, body: bytes) -> list[str]:
    if not secrets:
        raise ValueError("at least one secret is required")
    if any(not s for s in secrets):
        raise ValueError("secrets must be non-empty strings")
    return [signature_token(scheme, s, msg_id, ts, body) for s in secrets]


def _sign_webhook_headers(scheme: str, secrets: Sequence[str], msg_id: str, ts: int, body: bytes) -> dict[str, str]:
    # Rotation: one space-separated ``v1,<b64>`` entry per key, so receivers holding either the
    # old or the new secret verify during the overlap (Standard Webhooks "zero downtime").
    sigs = " ".join(f"v1,{t}" for t in _tokens(scheme, secrets, msg_id, ts, body))
    return {WEBHOOK_ID: msg_id, WEBHOOK_TIMESTAMP: str(ts), WEBHOOK_SIGNATURE: sigs}


def sign_llmgateway(secrets: Sequence[str], msg_id: str, ts: int, body: bytes) -> dict[str, str]:
    """LLMGateway video webhooks (gateway.md §4.3): raw UTF-8 key, base64 output."""
    return _sign_webhook_headers("llmgateway", secrets, msg_id, ts, body)


def sign_standard(secrets: Sequence[str], msg_id: str, ts: int, body: bytes) -> dict[str, str]:
    """Standard Webhooks v1 / Svix: base64-decoded ``whsec_`` key, base64 output."""
    return _sign_webhook_headers("standard", secrets, msg_id, ts, body)


def sign_stripe(secrets: Sequence[str], msg_id: str, ts: int, body: bytes) -> dict[str, str]:
    """Stripe: ``t=<ts>,v1=<hex>[,v1=<hex>]``; the event id lives in the body, not a header."""
    sigs = ",".join(f"v1={t}" for t in _tokens("stripe", secrets, msg_id, ts, body))
    return {STRIPE_SIGNATURE: f"t={ts},{sigs}"}


def sign_github(secrets: Sequence[str], msg_id: str, ts: int, body: bytes) -> dict[str, str]:
    """GitHub: ``sha256=<hex>`` over the body alone; no timestamp, no rotation."""
    if len(secrets) != 1:
        raise ValueError("github carries exactly one signature; pass a single secret")
    (token,) = _tokens("github", secrets, msg_id, ts, body)
    headers = {GITHUB_SIGNATURE: f"sha256={token}"}
    if msg_id:
        headers[GITHUB_DELIVERY] = msg_id
    return headers


SCHEMES: dict[str, Signer] = {
    "llmgateway": sign_llmgateway,
    "standard": sign_standard,
    "stripe": sign_stripe,
    "github": sign_github,
}


def as_secret_list(secret: Secrets) -> list[str]:
    # A str is itself a Sequence[str]; without this check "abc" would become three secrets.
    return [secret] if isinstance(secret, str) else list(secret)


def sign(scheme: str, secret: Secrets, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Headers carrying the signature(s) for ``body`` (Content-Type is the caller's business)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown webhook scheme {scheme!r}; known: {sorted(SCHEMES)}")
    if not isinstance(body, bytes):
        raise TypeError("body must be the exact bytes sent, not a str or a parsed object")
    return SCHEMES[scheme](as_secret_list(secret), msg_id, timestamp, body)


def llmgateway_signature(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``webhook-signature`` value LLMGateway sends: ``v1,<base64 HMAC-SHA256>``."""
    return "v1," + signature_token("llmgateway", secret, msg_id, timestamp, body)
