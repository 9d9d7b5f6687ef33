"""vidmock.webhooks: vectors (webhooks.md §1.9, §4), verification rules (§3), diagnoses (§5)."""

from __future__ import annotations

import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidmock.webhooks import (
    SCHEMES,
    Diagnosis,
    VerificationError,
    Verified,
    diagnose,
    diagnose_attempts,
    llmgateway_signature,
    sign,
    verify,
)

# §1.9 vector 1 (LLMGateway, docs-style secret used raw).
LG_SECRET = "whsec_your_secret_here"
LG_ID = "evt_v_123"
LG_TS = 1773600190
LG_BODY = (
    b'{"object":"event","id":"evt_v_123","type":"video.completed","created_at":1773600190,'
    b'"data":{"id":"v_123","object":"video","status":"completed"}}'
)
LG_SIG = "v1,r+11RWezTvQXnH3g220wEGXYp5IBpF1MYNBZM8xeK6g="

# §4 vector 1 / §1.9 vector 2 (Standard Webhooks inputs).
SW_KEY = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TS = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIG_STANDARD = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
SW_SIG_RAW = "v1,TcxlhK9b6UD6iVI1ZU2tTqp8PEVfYRseNNfa6b+LcUg="

SECRET_FOR = {
    "llmgateway": LG_SECRET,
    "standard": SW_KEY,
    "stripe": "whsec_test_secret",
    "github": "It's a Secret to Everybody",
}


def _fail(
    scheme: str, body: bytes, headers: dict[str, str], secret: Any, now: float, tolerance: int | None = 300
) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        verify(scheme, body, headers, secret, now, tolerance)
    return info.value


# --- test vectors ---------------------------------------------------------------------------


def test_llmgateway_vector_1_9_1() -> None:
    assert llmgateway_signature(LG_SECRET, LG_ID, LG_TS, LG_BODY) == LG_SIG
    assert sign("llmgateway", LG_SECRET, LG_ID, LG_TS, LG_BODY) == {
        "webhook-id": LG_ID,
        "webhook-timestamp": str(LG_TS),
        "webhook-signature": LG_SIG,
    }
    v = verify(
        "llmgateway",
        LG_BODY,
        {"webhook-id": LG_ID, "webhook-timestamp": str(LG_TS), "webhook-signature": LG_SIG},
        LG_SECRET,
        now=LG_TS,
    )
    assert v == Verified("llmgateway", LG_ID, LG_TS, json.loads(LG_BODY), 0)


def test_key_derivation_discriminator_1_9_2_and_standard_vector_4_1() -> None:
    assert sign("standard", SW_KEY, SW_ID, SW_TS, SW_BODY)["webhook-signature"] == SW_SIG_STANDARD
    assert sign("llmgateway", SW_KEY, SW_ID, SW_TS, SW_BODY)["webhook-signature"] == SW_SIG_RAW
    assert llmgateway_signature(SW_KEY, SW_ID, SW_TS, SW_BODY) == SW_SIG_RAW
    std = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TS), "webhook-signature": SW_SIG_STANDARD}
    assert verify("standard", SW_BODY, std, SW_KEY, now=SW_TS).payload == {"test": 2432232314}
    # Each derivation rejects the other's signature: that is the whole point of the vector.
    assert _fail("llmgateway", SW_BODY, std, SW_KEY, SW_TS).reason == "no_matching_signature"
    raw = {**std, "webhook-signature": SW_SIG_RAW}
    assert _fail("standard", SW_BODY, raw, SW_KEY, SW_TS).reason == "no_matching_signature"


def test_github_vector_4_2() -> None:
    headers = sign("github", "It's a Secret to Everybody", "", 0, b"Hello, World!")
    assert headers == {"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}
    v = verify("github", b"Hello, World!", headers, "It's a Secret to Everybody", now=0)
    assert (v.msg_id, v.timestamp, v.payload) == (None, None, None)


def test_stripe_vector_4_3() -> None:
    body = b'{"id":"evt_1","object":"event"}'
    headers = sign("stripe", "whsec_test_secret", "", 1614265330, body)
    assert headers == {
        "Stripe-Signature": "t=1614265330,v1=42b3d2b2181207b6b299df380bf37599bb895dc182467ba12e046b1916c4cd19"
    }
    assert verify("stripe", body, headers, "whsec_test_secret", now=1614265330).timestamp == SW_TS


# --- verification rules ---------------------------------------------------------------------


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_round_trip_and_tampered_body(scheme: str) -> None:
    secret = SECRET_FOR[scheme]
    headers = sign(scheme, secret, "evt_abc", 1_700_000_000, LG_BODY)
    v = verify(scheme, LG_BODY, headers, secret, now=1_700_000_000)
    assert v.secret_index == 0
    assert v.payload == (json.loads(LG_BODY) if scheme in ("llmgateway", "standard") else None)
    tampered = LG_BODY.replace(b"completed", b"failed")
    assert _fail(scheme, tampered, headers, secret, 1_700_000_000).reason == "no_matching_signature"
    other = "whsec_b3RoZXIta2V5LWJ5dGVzLTI0LWxvbmc=" if scheme == "standard" else "other"
    assert _fail(scheme, LG_BODY, headers, other, 1_700_000_000).reason == ("no_matching_signature")


@pytest.mark.parametrize("scheme", ["llmgateway", "standard", "stripe"])
def test_rotation_two_secrets_either_verifies(scheme: str) -> None:
    old, new = (
        (SW_KEY, "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY")
        if scheme == "standard"
        else ("old-secret", "new-secret")
    )
    headers = sign(scheme, [old, new], "evt_1", 100, b"{}")
    value = next(iter(headers.values())) if scheme == "stripe" else headers["webhook-signature"]
    assert value.count("v1") == 2
    assert verify(scheme, b"{}", headers, old, now=100).secret_index == 0
    assert verify(scheme, b"{}", headers, new, now=100).secret_index == 0
    unrelated = "whsec_dW5yZWxhdGVkLWtleS1ieXRlcy0yNC0=" if scheme == "standard" else "x"
    assert verify(scheme, b"{}", headers, [unrelated, new], now=100).secret_index == 1


def test_github_refuses_several_secrets() -> None:
    with pytest.raises(ValueError):
        sign("github", ["a", "b"], "", 0, b"x")


@pytest.mark.parametrize("scheme", ["llmgateway", "standard", "stripe"])
def test_tolerance_both_ways_edge_inclusive(scheme: str) -> None:
    secret, ts = SECRET_FOR[scheme], 1_700_000_000
    headers = sign(scheme, secret, "evt_1", ts, b"{}")
    for now in (ts - 300, ts + 300, ts - 299.5, ts + 299.5):
        verify(scheme, b"{}", headers, secret, now=now)
    assert _fail(scheme, b"{}", headers, secret, ts + 301).reason == "timestamp_too_old"
    assert _fail(scheme, b"{}", headers, secret, ts - 301).reason == "timestamp_too_new"
    verify(scheme, b"{}", headers, secret, now=ts + 10**6, tolerance=None)  # LLMGateway docs style
    assert _fail(scheme, b"{}", headers, secret, ts + 11, tolerance=10).reason == ("timestamp_too_old")


def test_several_signatures_any_matches_unknown_versions_skipped() -> None:
    good = LG_SIG.split(",", 1)[1]
    base = {"webhook-id": LG_ID, "webhook-timestamp": str(LG_TS)}
    for sig in (f"v1,AAAA v1,{good}", f"v2,{good} v1a,xyz v1,{good}", f"v1,{good} v1,AAAA"):
        verify("llmgateway", LG_BODY, {**base, "webhook-signature": sig}, LG_SECRET, LG_TS)
    err = _fail("llmgateway", LG_BODY, {**base, "webhook-signature": f"v2,{good}"}, LG_SECRET, LG_TS)
    assert err.reason == "no_matching_signature" and "skipped" in err.message
    stripe = sign("stripe", "s", "", 5, b"x")["Stripe-Signature"]
    tok = stripe.split("v1=")[1]
    verify("stripe", b"x", {"stripe-signature": f"t=5,v0=abc,v1=00,v1={tok}"}, "s", 5)


def test_case_insensitive_headers() -> None:
    upper = {"WEBHOOK-ID": LG_ID, "Webhook-Timestamp": str(LG_TS), "Webhook-Signature": LG_SIG}
    assert verify("llmgateway", LG_BODY, upper, LG_SECRET, LG_TS).msg_id == LG_ID
    gh = {"x-hub-signature-256": sign("github", "k", "", 0, b"x")["X-Hub-Signature-256"], "X-GITHUB-DELIVERY": "guid-1"}
    assert verify("github", b"x", gh, "k", 0).msg_id == "guid-1"


def test_svix_header_names_accepted_for_standard() -> None:
    svix = {"svix-id": SW_ID, "svix-timestamp": str(SW_TS), "svix-signature": SW_SIG_STANDARD}
    verify("standard", SW_BODY, svix, SW_KEY, SW_TS)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"webhook-timestamp": "1", "webhook-signature": "v1,x"}, "missing_header"),
        ({"webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": ""}, "malformed_header"),
        ({"webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": "abc"}, "malformed_header"),
        ({"webhook-id": "a", "webhook-timestamp": "12:00", "webhook-signature": "v1,x"}, "invalid_timestamp"),
        ({"webhook-id": "a", "webhook-timestamp": "-1", "webhook-signature": "v1,x"}, "invalid_timestamp"),
    ],
)
def test_header_failures(headers: dict[str, str], reason: str) -> None:
    assert _fail("llmgateway", b"{}", headers, "s", 1).reason == reason


def test_stripe_and_github_malformed() -> None:
    assert _fail("stripe", b"x", {"Stripe-Signature": "v1=ab"}, "s", 0).reason == ("malformed_header")
    assert _fail("stripe", b"x", {"Stripe-Signature": "t=1,garbage"}, "s", 1).reason == ("malformed_header")
    assert _fail("github", b"x", {"X-Hub-Signature-256": "abc"}, "s", 0).reason == ("malformed_header")
    assert _fail("github", b"x", {}, "s", 0).reason == "missing_header"


def test_raw_bytes_checked_before_json() -> None:
    headers = sign("llmgateway", "s", "evt_1", 10, b"not json")
    assert _fail("llmgateway", b"not json", headers, "s", 10).reason == "invalid_json"
    # A tampered non-JSON body fails on the signature, proving the MAC ran first.
    assert _fail("llmgateway", b"not jsoN", headers, "s", 10).reason == "no_matching_signature"
    with pytest.raises(TypeError):
        verify("llmgateway", "{}", headers, "s", 10)  # type: ignore[arg-type]


def test_compare_digest_used_for_every_candidate(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    good = LG_SIG.split(",", 1)[1]
    headers = {"webhook-id": LG_ID, "webhook-timestamp": str(LG_TS), "webhook-signature": f"v1,AAAA v1,BBBB v1,{good}"}
    verify("llmgateway", LG_BODY, headers, LG_SECRET, LG_TS)
    assert len(calls) == 3
    calls.clear()
    _fail("llmgateway", LG_BODY, headers, ["x", "y"], LG_TS)
    assert len(calls) == 6  # 2 secrets x 3 candidates, none skipped


def test_secret_never_leaks_in_errors_or_reprs() -> None:
    secret = "supersecretvalue_with_underscores"
    headers = sign("llmgateway", secret, "evt_1", 10, b"{}")
    err = _fail("standard", b"{}", headers, secret, 10)
    assert err.reason == "invalid_secret"
    assert secret not in str(err) and secret not in repr(err) and "supe…" in str(err)
    with pytest.raises(ValueError) as info:
        sign("standard", secret, "evt_1", 10, b"{}")
    assert secret not in str(info.value)
    for text in (
        repr(verify("llmgateway", b"{}", headers, secret, 10)),
        repr(diagnose("standard", b"{}", headers, secret, 10)),
    ):
        assert secret not in text


# --- diagnoses (§5) -------------------------------------------------------------------------

BODY = b'{"object":"event","id":"evt_v_9","data":{"id":"v_9","name":"caf\\u00e9","n":1.50}}'
TS = 1_773_600_000


def _diag(scheme: str, body: bytes, headers: dict[str, str], secret: str = LG_SECRET, now: float = TS) -> Diagnosis:
    d = diagnose(scheme, body, headers, secret, now)
    assert not d.ok and d.message.endswith(".")
    return d


def test_diagnose_ok() -> None:
    d = diagnose("llmgateway", LG_BODY, sign("llmgateway", LG_SECRET, LG_ID, LG_TS, LG_BODY), LG_SECRET, LG_TS)
    assert (d.ok, d.reason, d.likely_mistake) == (True, "ok", None)


@pytest.mark.parametrize("kwargs", [{}, {"sort_keys": True}, {"separators": (",", ":")}])
def test_diagnose_sender_signed_reserialised_body(kwargs: dict[str, Any]) -> None:
    signed = json.dumps(json.loads(BODY), **kwargs).encode()
    assert signed != BODY
    d = _diag("llmgateway", BODY, sign("llmgateway", LG_SECRET, "evt_v_9", TS, signed))
    assert d.likely_mistake == "body_reserialised" and "raw" in d.message


def test_diagnose_receiver_reserialised_body() -> None:
    sent = json.dumps({"b": 1, "a": [1, 2]}).encode()  # default separators on the wire
    headers = sign("standard", SW_KEY, "evt_1", TS, sent)
    received = json.dumps(json.loads(sent), separators=(",", ":")).encode()
    assert _diag("standard", received, headers, SW_KEY).likely_mistake == "body_reserialised"


def test_diagnose_secret_decoded_or_not() -> None:
    std = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TS), "webhook-signature": SW_SIG_STANDARD}
    d = _diag("llmgateway", SW_BODY, std, SW_KEY, SW_TS)
    assert d.likely_mistake == "secret_base64_decoded" and "do not decode" in d.message
    raw = {**std, "webhook-signature": SW_SIG_RAW}
    assert _diag("standard", SW_BODY, raw, SW_KEY, SW_TS).likely_mistake == ("secret_not_base64_decoded")
    # An LLMGateway-style secret cannot even be decoded; the raw key still explains the match.
    lg = sign("llmgateway", LG_SECRET, LG_ID, LG_TS, LG_BODY)
    d = _diag("standard", LG_BODY, lg, LG_SECRET, LG_TS)
    assert (d.reason, d.likely_mistake) == ("invalid_secret", "secret_not_base64_decoded")


@pytest.mark.parametrize("scheme", ["llmgateway", "stripe"])
def test_diagnose_whsec_prefix_stripped(scheme: str) -> None:
    headers = sign(scheme, LG_SECRET.removeprefix("whsec_"), "evt_v_9", TS, BODY)
    assert _diag(scheme, BODY, headers).likely_mistake == "whsec_prefix_stripped"


def test_diagnose_hex_vs_base64() -> None:
    b64 = llmgateway_signature(LG_SECRET, "evt_v_9", TS, BODY).split(",", 1)[1]
    hexsig = __import__("base64").b64decode(b64).hex()
    headers = {"webhook-id": "evt_v_9", "webhook-timestamp": str(TS), "webhook-signature": f"v1,{hexsig}"}
    assert _diag("llmgateway", BODY, headers).likely_mistake == "hex_instead_of_base64"
    hex_tok = sign("stripe", "s", "", TS, BODY)["Stripe-Signature"].split("v1=")[1]
    b64_tok = __import__("base64").b64encode(bytes.fromhex(hex_tok)).decode()
    d = _diag("stripe", BODY, {"Stripe-Signature": f"t={TS},v1={b64_tok}"}, "s")
    assert d.likely_mistake == "base64_instead_of_hex"


def test_diagnose_stale_and_future_timestamp_with_skew() -> None:
    headers = sign("llmgateway", LG_SECRET, "evt_v_9", TS, BODY)
    d = _diag("llmgateway", BODY, headers, now=TS + 412)
    assert (d.reason, d.likely_mistake) == ("timestamp_too_old", "stale_timestamp")
    assert "412 s" in d.message and "signature itself is valid" in d.message
    d = _diag("llmgateway", BODY, headers, now=TS - 3600)
    assert (d.reason, d.likely_mistake) == ("timestamp_too_new", "future_timestamp")
    assert "3600 s" in d.message
    ms = sign("llmgateway", LG_SECRET, "evt_v_9", TS * 1000, BODY)
    assert _diag("llmgateway", BODY, ms).likely_mistake == "timestamp_in_milliseconds"


def test_diagnose_wrong_id() -> None:
    headers = sign("llmgateway", LG_SECRET, "evt_v_9", TS, BODY)
    headers["webhook-id"] = "msg_12345"
    d = _diag("llmgateway", BODY, headers)
    assert d.likely_mistake == "wrong_id" and "'evt_v_9'" in d.message


def test_diagnose_trailing_newline_both_ways() -> None:
    signed_with_nl = sign("llmgateway", LG_SECRET, "evt_v_9", TS, BODY + b"\n")
    assert _diag("llmgateway", BODY, signed_with_nl).likely_mistake == "trailing_newline"
    signed_without = sign("llmgateway", LG_SECRET, "evt_v_9", TS, BODY)
    d = _diag("llmgateway", BODY + b"\n", signed_without)
    assert d.likely_mistake == "trailing_newline" and "without" in d.message


def test_diagnose_two_slips_and_unexplained() -> None:
    headers = sign("standard", SW_KEY, "evt_v_9", TS, json.dumps(json.loads(BODY)).encode())
    d = _diag("llmgateway", BODY, headers, SW_KEY)
    assert d.likely_mistake is not None
    assert set(d.likely_mistake.split("+")) == {"secret_base64_decoded", "body_reserialised"}
    d = _diag("llmgateway", BODY, sign("llmgateway", "other-jobs-secret", "evt_v_9", TS, BODY))
    assert d.likely_mistake is None and "right secret" in d.message


def test_diagnose_missing_headers_on_retry_and_other_failures() -> None:
    d = _diag("llmgateway", BODY, {"webhook-id": "evt_v_9", "Content-Type": "application/json"})
    assert d.likely_mistake == "missing_signature_headers" and "webhook-signature" in d.message
    only_v2 = {"webhook-id": "e", "webhook-timestamp": str(TS), "webhook-signature": "v2,abc"}
    assert _diag("llmgateway", BODY, only_v2).likely_mistake == "no_supported_signature"
    bad_json = sign("llmgateway", LG_SECRET, "e", TS, b"<xml/>")
    assert _diag("llmgateway", b"<xml/>", bad_json).likely_mistake == "body_not_json"


# --- diagnoses of issue 15: every signature defect the harness can tell apart ---------------------


def _hmac_b64(key: bytes, content: bytes) -> str:
    import base64
    import hashlib

    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def _headers(sig: str, msg_id: str = "evt_v_9", ts: int = TS) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sig}


def _signed(content: bytes) -> str:
    return "v1," + _hmac_b64(LG_SECRET.encode(), content)


def test_diagnose_lenient_and_urlsafe_base64_of_the_secret() -> None:
    import base64

    content = f"evt_v_9.{TS}.".encode() + BODY
    # atob("your_secret_here") drops the underscores: "yoursecrethere" padded, then decoded.
    lenient = base64.b64decode("yoursecrethere==")
    d = _diag("llmgateway", BODY, _headers("v1," + _hmac_b64(lenient, content)))
    assert d.likely_mistake == "secret_base64_decoded_lenient" and "do not decode it" in d.message
    urlsafe = base64.urlsafe_b64decode("your_secret_here")
    d = _diag("llmgateway", BODY, _headers("v1," + _hmac_b64(urlsafe, content)))
    assert d.likely_mistake == "secret_base64_decoded_lenient" and "url-safe" in d.message


def test_diagnose_missing_and_wrong_version_prefix_say_expected_and_got() -> None:
    right = llmgateway_signature(LG_SECRET, "evt_v_9", TS, BODY)
    token = right.removeprefix("v1,")
    d = _diag("llmgateway", BODY, _headers(token))
    assert d.likely_mistake == "missing_version_prefix" and (d.expected, d.got) == (right, token)
    for wrong in (f"v2,{token}", f"v1={token}", f"sha256={token}"):
        d = _diag("llmgateway", BODY, _headers(wrong))
        assert d.likely_mistake == "wrong_version_prefix" and "'v1,'" in d.message and d.got == wrong


def test_diagnose_body_only_and_reordered_signed_string() -> None:
    assert _diag("llmgateway", BODY, _headers(_signed(BODY))).likely_mistake == "body_only_signed"
    reordered = _signed(f"{TS}.evt_v_9.".encode() + BODY)
    d = _diag("llmgateway", BODY, _headers(reordered))
    assert d.likely_mistake == "signed_string_reordered" and "<timestamp>.<id>.<body>" in d.message
    no_dots = _signed(f"evt_v_9{TS}".encode() + BODY)
    assert _diag("llmgateway", BODY, _headers(no_dots)).likely_mistake == "signed_string_reordered"


def test_diagnose_timestamp_signed_in_milliseconds() -> None:
    sig = _signed(f"evt_v_9.{TS * 1000 + 417}.".encode() + BODY)  # Date.now() signed, seconds sent
    d = _diag("llmgateway", BODY, _headers(sig))
    assert d.likely_mistake == "timestamp_signed_in_milliseconds" and "milliseconds" in d.message


def test_diagnose_attempts_reused_timestamp_and_new_id() -> None:
    first = sign("llmgateway", LG_SECRET, "evt_v_9", TS, BODY)
    replay = diagnose_attempts("llmgateway", [(BODY, first, TS), (BODY, first, TS + 30)], LG_SECRET)
    assert replay.likely_mistake == "reused_timestamp+replayed_body" and "30 s after the first" in replay.message
    assert replay.got == str(TS)
    retry = sign("llmgateway", LG_SECRET, "evt_v_9_r2", TS + 30, BODY)
    new_id = diagnose_attempts("llmgateway", [(BODY, first, TS), (BODY, retry, TS + 30)], LG_SECRET)
    assert new_id.likely_mistake == "new_id_per_attempt"
    assert (new_id.expected, new_id.got) == ("evt_v_9", "evt_v_9_r2")
    good = sign("llmgateway", LG_SECRET, "evt_v_9", TS + 30, BODY)
    assert diagnose_attempts("llmgateway", [(BODY, first, TS), (BODY, good, TS + 30)], LG_SECRET).ok


# --- property -------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_property_sign_verify_and_single_byte_change(data: st.DataObject) -> None:
    scheme = data.draw(st.sampled_from(sorted(SCHEMES)))
    if scheme in ("llmgateway", "standard"):
        compact = data.draw(st.booleans())
        body = json.dumps(data.draw(_json_values), separators=(",", ":") if compact else None).encode()
    else:
        body = data.draw(st.binary(max_size=200))
    if scheme == "standard":
        secret = "whsec_" + __import__("base64").b64encode(data.draw(st.binary(min_size=24, max_size=64))).decode()
    else:
        secret = data.draw(st.text(min_size=1, max_size=40))
    msg_id = data.draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30))
    ts = data.draw(st.integers(min_value=0, max_value=2**33))
    now = ts + data.draw(st.integers(min_value=-300, max_value=300))
    headers = sign(scheme, secret, msg_id, ts, body)
    assert verify(scheme, body, headers, secret, now).secret_index == 0
    if body:
        i = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
        flip = data.draw(st.integers(min_value=1, max_value=255))
        changed = body[:i] + bytes([body[i] ^ flip]) + body[i + 1 :]
        with pytest.raises(VerificationError) as info:
            verify(scheme, changed, headers, secret, now)
        assert info.value.reason == "no_matching_signature"


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_property_changing_the_id_timestamp_or_secret_fails(data: st.DataObject) -> None:
    """The signature covers the id and the timestamp, and only the right secret verifies."""
    scheme = data.draw(st.sampled_from(["llmgateway", "standard"]))
    body = json.dumps(data.draw(_json_values), separators=(",", ":")).encode()
    if scheme == "standard":
        raw = data.draw(st.binary(min_size=24, max_size=64))
        secret = "whsec_" + __import__("base64").b64encode(raw).decode()
        other = "whsec_" + __import__("base64").b64encode(bytes([raw[0] ^ 1]) + raw[1:]).decode()
    else:
        secret = data.draw(st.text(min_size=1, max_size=40))
        # Not NUL: HMAC zero-pads its key, so "k" and "k\x00" are the same key by design.
        other = secret + data.draw(st.text(st.characters(min_codepoint=1), min_size=1, max_size=3))
    msg_id = data.draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30))
    ts = data.draw(st.integers(min_value=10, max_value=2**33))
    headers = sign(scheme, secret, msg_id, ts, body)
    changed_id = {**headers, "webhook-id": msg_id + data.draw(st.sampled_from(["x", "0", "_"]))}
    shift = data.draw(st.integers(min_value=1, max_value=5))
    changed_ts = {**headers, "webhook-timestamp": str(ts + shift)}
    for bad_headers, key in ((changed_id, secret), (changed_ts, secret), (headers, other)):
        with pytest.raises(VerificationError) as info:
            verify(scheme, body, bad_headers, key, now=ts)
        assert info.value.reason == "no_matching_signature"
