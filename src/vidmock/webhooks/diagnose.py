"""Explain a failed verification by naming the likely mistake (webhooks.md §1.4, §2.2, §5).

A bare "signature mismatch" sends integrators on a hunt. Most mismatches come from a handful of
known slips, and each is cheap to test: recompute the MAC with one slip applied (secret decoded or
not, prefix stripped, body re-serialised, newline added, hex vs base64, id taken from the payload)
and see whether a received signature then matches. Fewest slips wins; at most two are combined,
since anything deeper is more likely a wrong secret than a coincidence of mistakes.

Axes searched: the key (as given, base64-decoded strictly or leniently, url-safe, prefix stripped), the
body (raw, re-serialised, newline), the id, the signed string's layout (``id.ts.body``, body only,
``ts.id.body``, no dots) and the encoding (base64 or hex). Outside the search: the version prefix
(missing, or another one) and a timestamp signed in milliseconds. Across the attempts of one event:
``attempts.diagnose_attempts``. Every diagnosis says what was expected and what came back.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import json
import re
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
    "secret_base64_decoded_lenient": "the signature matches with the secret base64-decoded leniently "
    "({note}: a decoder that drops characters outside the alphabet or fixes the padding); {scheme} keys "
    "the HMAC with the secret's raw UTF-8 bytes as given: do not decode it",
    "secret_not_base64_decoded": "the signature matches with the secret used as raw UTF-8 bytes "
    "({note}); Standard Webhooks base64-decodes the part after whsec_ (or use scheme 'llmgateway')",
    "whsec_prefix_stripped": "the signature matches with the whsec_ prefix stripped from the "
    "secret; {scheme} uses the whole secret, prefix included",
    "hex_instead_of_base64": "the signature matches when encoded as lowercase hex; {scheme} "
    "sends base64 (standard alphabet, padded)",
    "base64_instead_of_hex": "the signature matches when encoded as base64; {scheme} sends lowercase hex",
    "wrong_id": "the signature matches if the id is {note} instead of the id header {msg_id!r}: "
    "sign with the exact id sent in the header",
    "body_only_signed": "the signature matches an HMAC of the body alone: {scheme} signs "
    "'<webhook-id>.<webhook-timestamp>.<raw body>'",
    "signed_string_reordered": "the signature matches the signed string laid out as {note}: {scheme} signs "
    "'<webhook-id>.<webhook-timestamp>.<raw body>', in that order, joined by dots",
}
LENIENT_ALPHABET = re.compile(r"[^A-Za-z0-9+/]")
# The signed string's layout: None is the scheme's own; the others are the slips seen in the wild.
_LAYOUTS: list[tuple[str | None, str]] = [
    (None, ""),
    ("body_only_signed", "the body alone"),
    ("signed_string_reordered", "'<timestamp>.<id>.<body>'"),
    ("signed_string_reordered", "'<id><timestamp><body>' (no dots)"),
]

# One slip along one axis: (mistake code or None for the scheme's correct behaviour, note, value).
_Option = tuple[str | None, str, Any]
_Derive = Callable[[str], bytes]


@dataclass(frozen=True)
class Diagnosis:
    ok: bool
    reason: str  # "ok" or the VerificationError reason
    likely_mistake: str | None  # codes joined with "+" when two slips are needed
    message: str  # one actionable sentence
    expected: str = ""  # what a correct sender sends (the signature, the timestamp, the id)
    got: str = ""  # what came back


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
            for text in dict.fromkeys([stripped or secret, secret]):
                tries.append(("secret_base64_decoded_lenient", "atob / b64decode without validation", text, _lenient))
                tries.append(("secret_base64_decoded_lenient", "url-safe alphabet", text, _urlsafe))
            if stripped:
                tries.append(("whsec_prefix_stripped", "", stripped, raw_key))
        seen: set[bytes] = set()
        for mistake, note, text, derive in tries:
            try:
                key = derive(text)
            except ValueError:
                continue  # e.g. whsec_your_secret_here is not base64: that slip is impossible
            if key not in seen:  # a lenient decode equal to a strict one explains nothing new
                seen.add(key)
                out.append((mistake, note, key))
    return out


def _lenient(text: str) -> bytes:
    """What ``atob`` or ``b64decode(validate=False)`` makes of a non-base64 secret: alphabet only, padded."""
    cleaned = LENIENT_ALPHABET.sub("", text)
    cleaned = cleaned[: len(cleaned) - len(cleaned) % 4 if len(cleaned) % 4 == 1 else len(cleaned)]
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not decodable even leniently") from None


def _urlsafe(text: str) -> bytes:
    body = text[len(WHSEC_PREFIX) :] if text.startswith(WHSEC_PREFIX) else text
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not url-safe base64") from None


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


def _layout(scheme: str, note: str, msg_id: str, ts: str, raw: bytes) -> bytes:
    if note == "" or scheme not in ("llmgateway", "standard"):
        return signed_content(scheme, msg_id, ts, raw)
    if note == "the body alone":
        return raw
    if note.startswith("'<timestamp>"):
        return f"{ts}.{msg_id}.".encode() + raw
    return f"{msg_id}{ts}".encode() + raw


def _search(scheme: str, secrets: list[str], signed: SignedHeaders, body: bytes) -> list[_Option]:
    layouts: list[_Option] = (
        [(m, n, n) for m, n in _LAYOUTS] if scheme in ("llmgateway", "standard") else [(None, "", "")]
    )
    axes = [
        _keys(scheme, secrets),
        _bodies(body),
        _ids(scheme, signed.msg_id or "", body),
        _encodings(scheme),
        layouts,
    ]
    combos = sorted(itertools.product(*axes), key=lambda c: sum(o[0] is not None for o in c))
    for combo in combos:
        slips = [o for o in combo if o[0] is not None]
        if not slips or len(slips) > MAX_SLIPS:
            continue
        (_, _, key), (_, _, raw), (_, _, msg_id), (_, _, enc), (_, _, layout) = combo
        content = _layout(scheme, layout, msg_id, signed.timestamp or "", raw)
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


def _expected(scheme: str, secrets: list[str], headers: Mapping[str, str], body: bytes) -> str:
    """The signature header a correct sender would have sent for these id, timestamp and bytes."""
    if scheme not in ("llmgateway", "standard") or not secrets:
        return ""
    h = {k.lower(): v for k, v in headers.items()}
    try:
        key = KEY_DERIVATION[scheme](secrets[0])
    except ValueError:
        return ""
    content = signed_content(scheme, h.get("webhook-id", ""), h.get("webhook-timestamp", ""), body)
    return "v1," + encode_digest(mac(key, content), ENCODING[scheme])


def _prefix(scheme: str, expected: str, got: str) -> Diagnosis | None:
    """A right signature under a missing or wrong version prefix (`v1,` is the only one, webhooks.md §1.4)."""
    if not expected:
        return None
    token = expected.split(",", 1)[1]
    for entry in got.split():
        for sep in (",", "="):
            version, _, sig = entry.partition(sep) if sep in entry else ("", "", entry)
            if sig == token and (version, sep) != ("v1", ","):
                if version == "":
                    return Diagnosis(
                        False,
                        "malformed_header",
                        "missing_version_prefix",
                        f"The signature is right but lacks its version prefix: send 'v1,{token[:8]}…', not "
                        f"the bare '{token[:8]}…'.",
                        expected,
                        got,
                    )
                return Diagnosis(
                    False,
                    "no_matching_signature",
                    "wrong_version_prefix",
                    f"The signature is right but prefixed '{version}{sep}': {scheme} sends exactly 'v1,' "
                    "before it (a verifier skips every other version).",
                    expected,
                    got,
                )
    return None


def _signed_in_ms(scheme: str, secrets: list[str], signed: SignedHeaders, body: bytes) -> bool:
    """The MAC covers the timestamp in milliseconds while the header says seconds (``Date.now()``)."""
    if scheme not in ("llmgateway", "standard") or not (signed.timestamp or "").isdigit() or not secrets:
        return False
    try:
        key = KEY_DERIVATION[scheme](secrets[0])
    except ValueError:
        return False
    base = int(signed.timestamp or 0) * 1000
    wanted = {c.encode() for c in signed.candidates}
    for ms in range(base, base + 1000):
        token = encode_digest(mac(key, signed_content(scheme, signed.msg_id or "", ms, body)), ENCODING[scheme])
        if token.encode() in wanted:
            return True
    return False


def diagnose(
    scheme: str, body: bytes, headers: Mapping[str, str], secret: Secrets, now: float, tolerance: int = 300
) -> Diagnosis:
    """Verify, and on failure name the likely mistake with an actionable message (expected vs got)."""
    secrets = as_secret_list(secret)
    try:
        verify(scheme, body, headers, secrets, now, tolerance)
        return Diagnosis(True, "ok", None, "The signature is valid for the raw body.")
    except VerificationError as err:
        failure = err
    reason = failure.reason
    expected = _expected(scheme, secrets, headers, body)
    got = {k.lower(): v for k, v in headers.items()}.get("webhook-signature", "")
    if reason in ("timestamp_too_old", "timestamp_too_new"):
        return _timestamp(failure, scheme, body, headers, secrets, now, tolerance)
    if reason == "missing_header":
        return Diagnosis(
            False,
            reason,
            "missing_signature_headers",
            f"{failure.message}: every attempt, retries included, must carry them.",
            "webhook-id, webhook-timestamp and webhook-signature",
            ", ".join(sorted(k for k in (k.lower() for k in headers) if k.startswith("webhook-"))) or "none",
        )
    if reason in ("malformed_header", "no_matching_signature") and (found := _prefix(scheme, expected, got)):
        return found
    if reason in ("malformed_header", "invalid_timestamp"):
        return Diagnosis(False, reason, reason, f"{failure.message}.", expected, got)
    if reason == "invalid_json":
        return Diagnosis(False, reason, "body_not_json", f"{failure.message}.")
    signed = parse_headers(scheme, headers)
    if not signed.candidates:
        return Diagnosis(
            False,
            reason,
            "no_supported_signature",
            "No signature with the scheme's version prefix: send at least one.",
            expected,
            got,
        )
    slips = _search(scheme, secrets, signed, body)
    if not slips and _signed_in_ms(scheme, secrets, signed, body):
        return Diagnosis(
            False,
            reason,
            "timestamp_signed_in_milliseconds",
            f"Mismatch: the signature covers the timestamp in milliseconds ({signed.timestamp}xxx) while the "
            "webhook-timestamp header says seconds: sign the exact header text.",
            expected,
            got,
        )
    if not slips:
        return Diagnosis(
            False,
            reason,
            None,
            f"{failure.message}; no known mistake explains it: check that this is "
            "the right secret and that the body was not altered after signing.",
            expected,
            got,
        )
    parts = [_MESSAGES[m or ""].format(note=n, scheme=scheme, msg_id=signed.msg_id) for m, n, _ in slips]
    mistake = "+".join(m or "" for m, _, _ in slips)
    return Diagnosis(False, reason, mistake, "Mismatch: " + "; and ".join(parts) + ".", expected, got)
