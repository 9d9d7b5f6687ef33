"""Verify a received webhook against its raw bytes, for any scheme in ``SCHEMES``.

Order matters: headers, then the timestamp window, then the MAC over the *raw* body, and only then
JSON. Parsing first invites the most common bug there is (webhooks.md §5 item 1): re-serialising the
payload and MACing bytes the sender never sent. ``now`` is an argument, so tests (and vidmock's
virtual clock) decide what time it is.

Failure reasons (``VerificationError.reason``): ``missing_header``, ``malformed_header``,
``invalid_timestamp``, ``timestamp_too_old``, ``timestamp_too_new``, ``invalid_secret``,
``no_matching_signature``, ``invalid_json``.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .schemes import (
    GITHUB_DELIVERY,
    GITHUB_SIGNATURE,
    SCHEMES,
    STRIPE_SIGNATURE,
    WEBHOOK_ID,
    WEBHOOK_SIGNATURE,
    WEBHOOK_TIMESTAMP,
    Secrets,
    as_secret_list,
    mask_secret,
    signature_token,
)

# ASCII digits only: str.isdigit() also accepts e.g. Arabic-Indic digits, which int() would take.
_TIMESTAMP = re.compile(r"[0-9]{1,15}")
# Schemes whose contract says the body is a JSON event (the others are only checked as bytes).
JSON_SCHEMES = frozenset({"llmgateway", "standard"})


class VerificationError(Exception):
    """A webhook failed verification. ``reason`` is a stable code; ``str()`` is for humans.

    Messages never carry a secret in full (see ``mask_secret``).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __repr__(self) -> str:
        return f"VerificationError(reason={self.reason!r}, message={self.message!r})"


@dataclass(frozen=True)
class Verified:
    """A webhook that passed; ``secret_index`` says which rotated secret matched."""

    scheme: str
    msg_id: str | None
    timestamp: int | None
    payload: Any
    secret_index: int


@dataclass(frozen=True)
class SignedHeaders:
    """What the headers claim, before anything is trusted."""

    msg_id: str | None
    timestamp: str | None  # kept as received: the MAC covers the header text, not int(text)
    candidates: tuple[str, ...]  # bare signatures with the one version we understand
    ignored: int  # entries with other version prefixes, skipped rather than fatal (§3)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _require(h: dict[str, str], *names: str) -> list[str]:
    missing = [n for n in names if n.lower() not in h]
    if missing:
        raise VerificationError("missing_header", f"missing header(s): {', '.join(missing)}")
    return [h[n.lower()] for n in names]


def _parse_webhook(scheme: str, h: dict[str, str]) -> SignedHeaders:
    names = (WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE)
    if scheme == "standard" and WEBHOOK_ID not in h and "svix-id" in h:
        names = ("svix-id", "svix-timestamp", "svix-signature")  # Svix's unbranded spelling
    msg_id, ts, sig = _require(h, *names)
    entries = sig.split()
    if not entries or any("," not in e for e in entries):
        raise VerificationError("malformed_header", f"{names[2]} must be space-separated '<version>,<sig>' entries")
    pairs = [e.split(",", 1) for e in entries]
    cands = tuple(s for v, s in pairs if v == "v1")
    return SignedHeaders(msg_id, ts, cands, len(pairs) - len(cands))


def _parse_stripe(h: dict[str, str]) -> SignedHeaders:
    (value,) = _require(h, STRIPE_SIGNATURE)
    items = [i.strip().split("=", 1) for i in value.split(",")]
    if any(len(i) != 2 for i in items):
        raise VerificationError("malformed_header", "Stripe-Signature must be 'k=v' pairs")
    stamps = [v for k, v in items if k == "t"]
    if len(stamps) != 1:
        raise VerificationError("malformed_header", "Stripe-Signature needs exactly one t=")
    cands = tuple(v for k, v in items if k == "v1")
    return SignedHeaders(None, stamps[0], cands, len(items) - 1 - len(cands))


def _parse_github(h: dict[str, str]) -> SignedHeaders:
    (value,) = _require(h, GITHUB_SIGNATURE)
    algo, sep, token = value.partition("=")
    if not sep:
        raise VerificationError("malformed_header", "X-Hub-Signature-256 must be 'sha256=<hex>'")
    cands = (token,) if algo == "sha256" else ()
    return SignedHeaders(h.get(GITHUB_DELIVERY.lower()), None, cands, 1 - len(cands))


def parse_headers(scheme: str, headers: Mapping[str, str]) -> SignedHeaders:
    """Extract id, timestamp and candidate signatures; header names are case-insensitive."""
    h = _lower(headers)
    if scheme in ("llmgateway", "standard"):
        return _parse_webhook(scheme, h)
    if scheme == "stripe":
        return _parse_stripe(h)
    if scheme == "github":
        return _parse_github(h)
    raise ValueError(f"unknown webhook scheme {scheme!r}; known: {sorted(SCHEMES)}")


def check_timestamp(raw: str, now: float, tolerance: int | None) -> int:
    """Both directions (§5 item 4): a far-future timestamp is as suspect as a stale one."""
    if not _TIMESTAMP.fullmatch(raw):
        raise VerificationError("invalid_timestamp", f"timestamp {raw[:32]!r} is not unix seconds")
    ts = int(raw)
    if tolerance is not None:
        skew = now - ts
        if skew > tolerance:
            raise VerificationError("timestamp_too_old", f"timestamp is {skew:.0f} s old (tolerance {tolerance} s)")
        if -skew > tolerance:
            raise VerificationError(
                "timestamp_too_new",
                f"timestamp is {-skew:.0f} s in the future (tolerance {tolerance} s)",
            )
    return ts


def matching_secret(scheme: str, secrets: list[str], signed: SignedHeaders, body: bytes) -> int | None:
    """Index of the first secret whose signature is among the candidates, else None.

    Every comparison goes through ``hmac.compare_digest`` (looked up on the module at call time,
    so tests can observe it): ``==`` leaks how many leading characters matched (§5 item 5).
    """
    for index, secret in enumerate(secrets):
        if not secret:
            raise VerificationError("invalid_secret", "secrets must be non-empty strings")
        try:
            expected = signature_token(scheme, secret, signed.msg_id or "", signed.timestamp or "", body).encode()
        except ValueError:
            raise VerificationError(
                "invalid_secret", f"secret {mask_secret(secret)} is not usable for {scheme}"
            ) from None
        for candidate in signed.candidates:
            if hmac.compare_digest(expected, candidate.encode("utf-8", "replace")):
                return index
    return None


def verify(
    scheme: str,
    body: bytes,
    headers: Mapping[str, str],
    secret: Secrets,
    now: float,
    tolerance: int | None = 300,
) -> Verified:
    """Check ``body`` (the exact bytes received) against ``headers``; raise or return ``Verified``.

    ``secret`` may be a list (rotation): any one matching passes. ``tolerance=None`` disables the
    window, as LLMGateway's own docs example does (webhooks.md §1.4); the default is ±300 s.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown webhook scheme {scheme!r}; known: {sorted(SCHEMES)}")
    if not isinstance(body, bytes):
        raise TypeError("body must be the raw bytes received, not a str or a parsed object")
    secrets = as_secret_list(secret)
    if not secrets:
        raise VerificationError("invalid_secret", "no secret given")
    signed = parse_headers(scheme, headers)
    ts = None if signed.timestamp is None else check_timestamp(signed.timestamp, now, tolerance)
    index = matching_secret(scheme, secrets, signed, body)
    if index is None:
        extra = f" ({signed.ignored} entries with other versions skipped)" if signed.ignored else ""
        raise VerificationError(
            "no_matching_signature",
            f"no {scheme} signature matches the raw body under the given secret(s){extra}",
        )
    payload: Any = None
    if scheme in JSON_SCHEMES:
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise VerificationError("invalid_json", "signature valid, body not JSON") from None
    return Verified(scheme, signed.msg_id, ts, payload, index)
