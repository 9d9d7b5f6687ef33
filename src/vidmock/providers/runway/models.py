"""Runway tasks: what was asked, and what the task looks like at a given time (providers.md §9.3).

The lifecycle is a pure function of the clock: a ``JobPlan`` from the scenarios engine, mapped to
Runway's enum. ``queued`` reads ``PENDING``, ``in_progress`` ``RUNNING`` with ``progress`` as a
fraction from 0 to 1, ``completed`` ``SUCCEEDED`` with ``output: [url]``, ``failed`` ``FAILED`` with
``failure`` and ``failureCode`` (the scenario's error message and code), ``canceled`` ``CANCELLED``.
Shapes follow the SDK's task types and live captures: ``id``, ``createdAt`` (ISO, milliseconds),
``status``; ``estimatedCost: {credits}`` while active, ``cost: {credits}`` once terminal (0 when
refunded: failed, or cancelled before it ran).

Choices where the reference is open (each marked (chosen) where it is made):

- ``THROTTLED`` appears when ``RunwayOptions.concurrency`` is set and an API key already has that
  many unfinished tasks of the same model: the new task waits, THROTTLED, until a slot frees (the
  earliest finish among them, first come first served), then follows its plan. A slot freed early by
  a cancel does not pull tasks already waiting forward.
- an ``expired`` scenario outcome (Runway has no such status) reads ``FAILED`` / ``INTERNAL.TIMEOUT``;
  a Veo-style safety block (success without a video) reads ``FAILED`` / ``SAFETY.OUTPUT.VIDEO``.
- output URLs are ``/files/{id}.mp4?_jwt=<HS256 token>``, minted afresh on every GET and valid for
  ``url_ttl`` (24 h, the short end of "24-48 hours"); a scenario's ``content.expires_after`` ends the
  output's retention, after which no URL works.
- ``DELETE`` cancels an active task and deletes a finished one; either way the task then answers 404
  (the SDK's docs and a captured DELETE → 204 → GET 404), unless ``keep_cancelled`` is set, when a
  cancelled task reads ``CANCELLED`` (with cost 0, or the estimate if it was already RUNNING, as the
  SDK documents refunds).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..base import PlannedRecord

KIND = "runway.task"
SLOTS = "runway.slots"
VERSION = "2024-11-06"
ACTIVE = ("PENDING", "THROTTLED", "RUNNING")
DEFAULT_FAILURE = ("INTERNAL", "An unexpected error occurred while generating the output.")


@dataclass(frozen=True)
class RunwayOptions:
    versions: tuple[str, ...] = (VERSION,)  # accepted X-Runway-Version values; () stops checking it
    api_keys: tuple[str, ...] = ()  # when set, only these bearer keys authenticate
    concurrency: int | None = None  # unfinished tasks per API key and model before THROTTLED
    url_ttl: float = 24 * 3600.0  # lifetime of an output URL from the GET that minted it
    keep_cancelled: bool = False  # a cancelled task reads CANCELLED instead of 404
    strict_fields: bool = True  # unknown body keys are a validation issue (the schema is strict)


@dataclass
class Task(PlannedRecord):
    id: str
    endpoint: str
    model: str
    created_at: float
    prompt: str
    width: int
    height: int
    duration: int
    audio: bool
    seed: int
    estimate: int
    cost: int
    plan: dict[str, Any]
    owner: str  # a digest of the API key: throttling is per organisation
    start_at: float  # created_at, or when a throttled task gets its slot
    cancelled_at: float | None = None
    cancelled_running: bool = False
    deleted_at: float | None = None

    def finishes_at(self) -> float | None:
        """When the plan reaches a terminal status, or None if it never does."""
        end = self.job_plan().finishes_at
        return None if end is None else self.start_at + end

    def status_at(self, now: float) -> tuple[str, float | None]:
        """(Runway status, progress 0..1 while RUNNING)."""
        if self.cancelled_at is not None and now >= self.cancelled_at:
            return "CANCELLED", None
        if now < self.start_at:
            return "THROTTLED", None
        plan = self.job_plan()
        generic, percent = plan.state_at(now - self.start_at)
        if generic == "queued":
            return "PENDING", None
        if generic == "in_progress":
            return "RUNNING", round(percent / 100, 2)
        if generic == "completed":
            return ("FAILED" if plan.safety_block else "SUCCEEDED"), None
        if generic == "canceled":
            return "CANCELLED", None
        return "FAILED", None  # failed, expired

    def available_until(self) -> float | None:
        """End of the output's retention (a scenario's content expiry), or None: kept."""
        ttl, end = self.job_plan().content_expires_after, self.finishes_at()
        return None if ttl is None or end is None else end + ttl

    def output_available(self, now: float) -> bool:
        if self.deleted_at is not None or self.status_at(now)[0] != "SUCCEEDED":
            return False
        until = self.available_until()
        return until is None or now < until

    def failure(self) -> tuple[str, str]:
        plan = self.job_plan()
        if plan.safety_block:
            reasons = plan.safety_block.get("reasons") or []
            return "SAFETY.OUTPUT.VIDEO", str(
                reasons[0]
            ) if reasons else "The output was flagged by content moderation."
        if plan.outcome == "expired":
            return "INTERNAL.TIMEOUT", "The task did not run before it timed out."
        error = plan.error or {}
        return str(error.get("code") or DEFAULT_FAILURE[0]), str(error.get("message") or DEFAULT_FAILURE[1])

    def render(self, now: float, output_url: str | None) -> dict[str, Any]:
        """``GET /v1/tasks/{id}`` at ``now``; ``output_url`` is a freshly minted URL for SUCCEEDED."""
        status, progress = self.status_at(now)
        body: dict[str, Any] = {"id": self.id, "createdAt": iso(self.created_at), "status": status}
        if status in ACTIVE:
            if progress is not None:
                body["progress"] = progress
            body["estimatedCost"] = {"credits": self.estimate}
            return body
        if status == "SUCCEEDED":
            body["output"] = [output_url] if output_url else []
            body["cost"] = {"credits": self.cost}
        elif status == "FAILED":
            code, message = self.failure()
            body["failure"], body["failureCode"] = message, code
            body["cost"] = {"credits": 0}
        else:  # CANCELLED: refunded unless it was already running (the SDK's refund rule)
            body["cost"] = {"credits": self.estimate if self.cancelled_running else 0}
        return body


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- THROTTLED: per key and model slots ----------------------------------------------------------------


def slot_start(slots: list[list[Any]], now: float, concurrency: int | None) -> tuple[float, list[list[Any]]]:
    """When a new task may start, and the slot list without finished entries.

    ``slots`` holds ``[task_id, finishes_at]`` for the key's unfinished tasks of one model (``None``:
    never finishes). The new task starts once at most ``concurrency - 1`` of them are unfinished.
    """
    live = [s for s in slots if s[1] is None or s[1] > now]
    if concurrency is None or len(live) < concurrency:
        return now, live
    ends = sorted(float("inf") if s[1] is None else float(s[1]) for s in live)
    return ends[len(live) - concurrency], live


# -- output URLs: an HS256 token in ``_jwt``, like Runway's CDN links ------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_url_token(secret: bytes, task_id: str, expires: float) -> str:
    head = _b64(b'{"alg":"HS256","typ":"JWT"}')
    payload = _b64(json.dumps({"sub": task_id, "exp": int(expires)}, separators=(",", ":")).encode())
    sig = hmac.new(secret, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{_b64(sig)}"


def check_url_token(secret: bytes, token: str, task_id: str, now: float) -> str | None:
    """None when ``token`` opens ``task_id`` at ``now``; otherwise why not."""
    parts = token.split(".")
    if len(parts) != 3:
        return "The URL signature is invalid."
    expected = hmac.new(secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    try:
        valid = hmac.compare_digest(_b64(expected), parts[2])
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return "The URL signature is invalid."
    if not valid or not isinstance(claims, dict) or claims.get("sub") != task_id:
        return "The URL signature is invalid."
    exp = claims.get("exp")
    if not isinstance(exp, int) or now >= exp:
        return "The URL has expired. Fetch the task again to get a fresh URL."
    return None
