"""Explain a failed verification by naming the likely mistake (webhooks.md §2.2, §5).

A bare "signature mismatch" sends integrators on a hunt. Most mismatches come from a handful of
known slips, and each is cheap to test: recompute the MAC with one slip applied (secret decoded or
not, prefix stripped, body re-serialised, newline added, hex vs base64, id taken from the payload)
and see whether a received signature then matches. Fewest slips wins; at most two are combined,
since anything deeper is more likely a wrong secret than a coincidence of mistakes.
"""

from __future__ import annotations

import hmac
import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .schemes import (
    ENCODING,
    KEY_DERIVATION,
    WHSEC_PREFIX,
    Encoding,
    Secrets,
    as_secret_list,
    encode_digest,
    mac,
    raw_key,
    signed_content,
    standard_key,
)
from .verify import SignedHeaders, VerificationError, parse_headers, verify

MAX_SLIPS = 2

_MESSAGES = {
    "body_reserialised": "the signature matches the body re-serialised ({note}), not the raw "
    "bytes: sign and verify the exact bytes on the wire, never json.loads/json.dumps first",
    "trailing_newline": "the signature matches the body {note}: a newline was added or removed "
    "between signing and sending; MAC the exact bytes sent",
    "secret_base64_decoded": "the signature matches with the secret base64-decoded ({note}); "
    "{scheme} keys the HMAC with the secret's raw UTF-8 bytes as given: do not decode it",
    "secret_not_base64_decoded": "the signature matches with the secret used as raw UTF-8 bytes "
    "({note}); Standard Webhooks base64-decodes the part after whsec_ (or use scheme 'llmgateway')",
    "whsec_prefix_stripped": "the signature matches with the whsec_ prefix stripped from the "
    "secret; {scheme} uses the whole secret, prefix included",
    "hex_instead_of_base64": "the signature matches when encoded as lowercase hex; {scheme} "
    "sends base64 (standard alphabet, padded)",
    "base64_instead_of_hex": "the signature matches when encoded as base64; {scheme} sends lowercase hex",
    "wrong_id": "the signature matches if the id is {note} instead of the id header {msg_id!r}: "
    "sign with the exact id sent in the header",
}

# One slip along one axis: (mistake code or None for the scheme's correct behaviour, note, value).
_Option = tuple[str | None, str, Any]
_Derive = Callable[[str], bytes]


@dataclass(frozen=True)
class Diagnosis:
    ok: bool
    reason: str  # "ok" or the VerificationError reason
    likely_mistake: str | None  # codes joined with "+" when two slips are needed
    message: str  # one actionable sentence


def _keys(scheme: str, secrets: list[str]) -> list[_Option]:
    out: list[_Option] = []
    for secret in secrets:
        stripped = secret[len(WHSEC_PREFIX) :] if secret.startswith(WHSEC_PREFIX) else None
        tries: list[tuple[str | None, str, str, _Derive]] = [(None, "", secret, KEY_DERIVATION[scheme])]
        if scheme == "standard":
            tries.append(("secret_not_base64_decoded", "whole secret", secret, raw_key))
            if stripped:
                tries.append(("secret_not_base64_decoded", "prefix stripped", stripped, raw_key))
        else:
            tries.append(("secret_base64_decoded", "Standard Webhooks style", secret, standard_key))
            if stripped:
                tries.append(("whsec_prefix_stripped", "", stripped, raw_key))
        for mistake, note, text, derive in tries:
            try:
                out.append((mistake, note, derive(text)))
            except ValueError:
                continue  # e.g. whsec_your_secret_here is not base64: that slip is impossible
    return out


def _bodies(body: bytes) -> list[_Option]:
    # Newline slips come before re-serialisation: json.dumps(json.loads(b)) also drops a trailing
    # newline, and the simpler explanation should win the tie.
    out: list[_Option] = [(None, "", body), ("trailing_newline", "with a trailing newline added", body + b"\n")]
    if body.endswith(b"\n"):
        out.append(("trailing_newline", "without its trailing newline", body.rstrip(b"\r\n")))
    try:
        obj = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return out
    forms: dict[str, dict[str, Any]] = {
        "json.dumps defaults": {},
        "sorted keys": {"sort_keys": True},
        "compact separators": {"separators": (",", ":")},
        "compact, sorted keys": {"separators": (",", ":"), "sort_keys": True},
        "ensure_ascii=False": {"ensure_ascii": False},
        "compact, ensure_ascii=False (JSON.stringify)": {"separators": (",", ":"), "ensure_ascii": False},
    }
    seen = {v for _, _, v in out}
    for note, kwargs in forms.items():
        candidate = json.dumps(obj, **kwargs).encode()
        if candidate not in seen:
            seen.add(candidate)
            out.append(("body_reserialised", note, candidate))
    return out


def _ids(scheme: str, msg_id: str, body: bytes) -> list[_Option]:
    out: list[_Option] = [(None, "", msg_id)]
    if scheme not in ("llmgateway", "standard"):
        return out  # the id is not signed
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return out
    if not isinstance(payload, dict):
        return out
    data = payload.get("data")
    guesses = [f"evt_{data['id']}"] if isinstance(data, dict) and "id" in data else []
    guesses += [str(payload["id"])] if "id" in payload else []
    for guess in dict.fromkeys(guesses):
        if guess != msg_id:
            out.append(("wrong_id", repr(guess), guess))
    return out


def _encodings(scheme: str) -> list[_Option]:
    right: Encoding = ENCODING[scheme]
    wrong: Encoding = "hex" if right == "base64" else "base64"
    return [(None, "", right), (f"{wrong}_instead_of_{right}", "", wrong)]


def _search(scheme: str, secrets: list[str], signed: SignedHeaders, body: bytes) -> list[_Option]:
    axes = [_keys(scheme, secrets), _bodies(body), _ids(scheme, signed.msg_id or "", body), _encodings(scheme)]
    combos = sorted(itertools.product(*axes), key=lambda c: sum(o[0] is not None for o in c))
    for combo in combos:
        slips = [o for o in combo if o[0] is not None]
        if not slips or len(slips) > MAX_SLIPS:
            continue
        (_, _, key), (_, _, raw), (_, _, msg_id), (_, _, enc) = combo
        content = signed_content(scheme, msg_id, signed.timestamp or "", raw)
        token = encode_digest(mac(key, content), enc).encode()
        if any(hmac.compare_digest(token, c.encode("utf-8", "replace")) for c in signed.candidates):
            return slips
    return []


def _timestamp(
    err: VerificationError,
    scheme: str,
    body: bytes,
    headers: Mapping[str, str],
    secrets: list[str],
    now: float,
    tolerance: int,
) -> Diagnosis:
    ts = int(parse_headers(scheme, headers).timestamp or 0)
    if ts > 10**11 and abs(ts / 1000 - now) <= tolerance:
        return Diagnosis(
            False, err.reason, "timestamp_in_milliseconds", f"The timestamp {ts} is in milliseconds: send unix seconds."
        )
    skew = now - ts
    try:
        verify(scheme, body, headers, secrets, now, tolerance=None)
        sig = "the signature itself is valid"
    except VerificationError:
        sig = "the signature does not match either"
    if err.reason == "timestamp_too_old":
        return Diagnosis(
            False,
            err.reason,
            "stale_timestamp",
            f"The timestamp is {skew:.0f} s old (tolerance {tolerance} s; {sig}): "
            "re-sign every attempt with a fresh timestamp, or fix the clock.",
        )
    return Diagnosis(
        False,
        err.reason,
        "future_timestamp",
        f"The timestamp is {-skew:.0f} s in the future (tolerance {tolerance} s; "
        f"{sig}): the sender's clock is ahead; reject, never accept, such messages.",
    )


def diagnose(
    scheme: str, body: bytes, headers: Mapping[str, str], secret: Secrets, now: float, tolerance: int = 300
) -> Diagnosis:
    """Verify, and on failure name the likely mistake with an actionable message."""
    secrets = as_secret_list(secret)
    try:
        verify(scheme, body, headers, secrets, now, tolerance)
        return Diagnosis(True, "ok", None, "The signature is valid for the raw body.")
    except VerificationError as err:
        failure = err
    reason = failure.reason
    if reason in ("timestamp_too_old", "timestamp_too_new"):
        return _timestamp(failure, scheme, body, headers, secrets, now, tolerance)
    if reason == "missing_header":
        return Diagnosis(
            False,
            reason,
            "missing_signature_headers",
            f"{failure.message}: every attempt, retries included, must carry them.",
        )
    if reason in ("malformed_header", "invalid_timestamp"):
        return Diagnosis(False, reason, reason, f"{failure.message}.")
    if reason == "invalid_json":
        return Diagnosis(False, reason, "body_not_json", f"{failure.message}.")
    signed = parse_headers(scheme, headers)
    if not signed.candidates:
        return Diagnosis(
            False, reason, "no_supported_signature", "No signature with the scheme's version prefix: send at least one."
        )
    slips = _search(scheme, secrets, signed, body)
    if not slips:
        return Diagnosis(
            False,
            reason,
            None,
            f"{failure.message}; no known mistake explains it: check that this is "
            "the right secret and that the body was not altered after signing.",
        )
    parts = [_MESSAGES[m or ""].format(note=n, scheme=scheme, msg_id=signed.msg_id) for m, n, _ in slips]
    mistake = "+".join(m or "" for m, _, _ in slips)
    return Diagnosis(False, reason, mistake, "Mismatch: " + "; and ".join(parts) + ".")
