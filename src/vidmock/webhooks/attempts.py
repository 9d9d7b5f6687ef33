"""Diagnose the attempts of one event together (webhooks.md §1.3): the id is stable, the timestamp is
recomputed and the body rebuilt on every attempt. A reused timestamp, a replayed body or a new id per
attempt is invisible in any single attempt (each one verifies), so these are judged across them; then
each attempt goes through ``diagnose`` alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .diagnose import Diagnosis, diagnose
from .schemes import Secrets

Attempt = tuple[bytes, Mapping[str, str], float]  # raw body, headers, the receiver's clock at receipt


def diagnose_attempts(scheme: str, attempts: Sequence[Attempt], secret: Secrets, tolerance: int = 300) -> Diagnosis:
    """Judge the attempts of one event together: what no single attempt shows (webhooks.md §1.3: the id
    is stable, the timestamp recomputed and the body rebuilt on every attempt), then each one alone."""
    first_body, first_headers, first_at = attempts[0] if attempts else (b"", {}, 0.0)
    h0 = {k.lower(): v for k, v in first_headers.items()}
    for n, (body, headers, at) in enumerate(attempts[1:], start=2):
        h = {k.lower(): v for k, v in headers.items()}
        if h.get("webhook-id") != h0.get("webhook-id"):
            return Diagnosis(
                False,
                "id_changed",
                "new_id_per_attempt",
                f"Attempt {n} carries a new event id: retries of one event keep its webhook-id (the receiver's "
                "idempotency key), so a new one per attempt makes every retry look like another event.",
                str(h0.get("webhook-id")),
                str(h.get("webhook-id")),
            )
        if h.get("webhook-timestamp") == h0.get("webhook-timestamp") and at - first_at >= 1:
            replayed = " and the body is byte-identical" if body == first_body else ""
            return Diagnosis(
                False,
                "timestamp_reused",
                "reused_timestamp" + ("+replayed_body" if replayed else ""),
                f"Attempt {n}, {at - first_at:.0f} s after the first, reuses its webhook-timestamp{replayed}: "
                "each attempt is rebuilt and signed at its own time.",
                f"a timestamp near {at:.0f}",
                str(h.get("webhook-timestamp")),
            )
    for body, headers, at in attempts:
        found = diagnose(scheme, body, headers, secret, at, tolerance)
        if not found.ok:
            return found
    return Diagnosis(True, "ok", None, "Every attempt is valid and rebuilt at its own time.")
