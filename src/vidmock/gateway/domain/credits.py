"""The credit gate for credits-billed jobs (gateway.md §2.1, G1 and CG)."""

from __future__ import annotations

from ...errors import GatewayError
from .jobs import Job

RESERVATION_WINDOW = 2 * 3600  # reservations of the last 2 h count as pending


def pending_reservations(jobs: list[Job], now: float) -> float:
    """Credits-mode jobs not yet finalized (no log id) created in the last 2 h."""
    return sum(
        j.reserved_spend
        for j in jobs
        if j.credits_mode and j.log_id is None and now - j.created_at < RESERVATION_WINDOW
    )


def check(credits: float, estimate: float, pending: float) -> float:
    """Raise the 402 when the organisation cannot cover ``max($1, estimate)``; return the amount reserved."""
    required = max(1.0, estimate)
    available = max(0.0, credits - pending)
    if available < required:
        reserved = f" after ${max(0.0, pending):.2f} reserved for videos still in progress" if pending > 0 else ""
        raise GatewayError(
            402,
            f"Video generation requires an estimated ${required:.2f} in available credits for this request "
            f"(minimum $1.00), but your organization has ${available:.2f} available{reserved}. "
            "Please add credits and try again.",
        )
    return estimate
