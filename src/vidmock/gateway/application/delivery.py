"""Signed webhook delivery, as the gateway's worker does it (gateway.md §4.2–§4.3, webhooks.md §1).

A durable outbox: each attempt is a row in the store (``gateway.webhook``), so a restart, even a
kill, loses no pending delivery. A clock timer runs the delivery loop every 5 s; it posts due rows,
signs each attempt afresh (new timestamp, body rebuilt from the current job), and schedules retries
30 s, 60 s, … capped at 1 h, up to 8 attempts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ...clock import Clock
from ...ids import IdFactory, token_chars
from ...masking import mask_text
from ...providers.faults import UpstreamClient
from ...store import Store, StoreUnavailable
from ...store.base import record_doc
from ...webhooks import sign
from ..domain.jobs import JOB_KIND, Job, SerializeOptions, serialize
from .worker import lease_for

KIND = "gateway.webhook"
MAX_ATTEMPTS = 8
FIRST_DELAY = 30.0
MAX_DELAY = 3600.0
TIMEOUT = 30.0
LOOP_INTERVAL = 5.0  # VIDEO_WEBHOOK_POLL_INTERVAL_SECONDS
BATCH = 25
RESPONSE_LIMIT = 4000
log = logging.getLogger("vidmock.webhooks")


@dataclass
class Delivery:
    """A ``webhook_delivery_log`` row."""

    id: str
    video_job_id: str
    event_id: str
    event_type: str
    target_url: str
    attempt: int
    status: str = "pending"  # pending | retrying | delivered | failed
    next_retry_at: float | None = None
    last_tried_at: float | None = None
    delivered_at: float | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str | None = None
    response_status: int | None = None
    response_body: str | None = None
    error: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return record_doc(self)


def _describe(exc: BaseException) -> str:
    """An attempt's error: the exception, with any credential in a URL it quotes masked."""
    return mask_text(f"{type(exc).__name__}: {exc}")[:RESPONSE_LIMIT] if str(exc) else type(exc).__name__


def retry_delay(attempt: int) -> float:
    """Delay after failed attempt ``attempt`` (1-based): 30 s, 60 s, … 1920 s, capped at 1 h."""
    return min(MAX_DELAY, FIRST_DELAY * 2.0 ** (attempt - 1))


class WebhookDispatcher:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        ids: IdFactory,
        options: SerializeOptions,
        scheme: str = "llmgateway",
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.store, self.clock, self.ids = store, clock, ids
        self.options = options
        self.scheme = scheme
        # Redirects are not followed: a 3xx is a failed attempt (fetch ``redirect: "manual"``). No
        # cookie jar either: a receiver's Set-Cookie must not ride along on the next delivery.
        self.http = http or UpstreamClient(follow_redirects=False)
        # url → None, or the error of an attempt refused before sending (a callback aimed at this
        # server's own control plane: ``netaddr.SelfCallGuard``, set by the server).
        self.refuse: Callable[[str], str | None] | None = None

    def start(self) -> None:
        self.clock.call_every(LOOP_INTERVAL, self.tick)

    def attempt_id(self, event_id: str, attempt: int) -> str:
        """Attempt n of an event has one id whichever process makes it, so making it twice (a
        finalization re-run after a crash, a retry scheduled by two processes) writes one row."""
        return token_chars(self.ids.seed, f"whd:{event_id}", attempt, 16)

    def lease(self) -> float:
        # Longer than one attempt can take (TIMEOUT), and never under a few wall seconds.
        return lease_for(self.clock, TIMEOUT + 30.0)

    async def enqueue(self, job: Job) -> None:
        """Called at finalization: the first attempt is due now. Idempotent."""
        if not (job.callback_url and job.callback_secret) or job.callback_status != "pending":
            return
        event_id = f"evt_{job.id}"
        if self.store.get(KIND, self.attempt_id(event_id, 1)) is not None:
            return
        event_type = "video.completed" if job.status == "completed" else "video.failed"
        first = Delivery(
            id=self.attempt_id(event_id, 1),
            video_job_id=job.id,
            event_id=event_id,
            event_type=event_type,
            target_url=job.callback_url,
            attempt=1,
            next_retry_at=self.clock.now(),
        )
        self._save(first)

    async def tick(self) -> None:
        now = self.clock.now()
        # Up to BATCH attempts per loop, each claimed just before it is sent (a batch claimed at
        # once let the last leases run out behind slow receivers, and another process sent them
        # again: issue 12.2), with a lease longer than one attempt can take.
        for _ in range(BATCH):
            try:
                claims = self.store.claim(KIND, now, 1, self.lease())
                if not claims:
                    return
                claim = claims[0]
                # Contained per attempt: one that raises must not stop the others (issue 12).
                try:
                    await self.deliver(Delivery(**claim.doc), claim.token)
                except StoreUnavailable:
                    raise
                except Exception as exc:
                    log.exception(
                        "vidmock: webhook attempt %s raised; recorded as a failed attempt", claim.doc.get("id")
                    )
                    self._contain(claim.doc, exc, claim.token)
            except StoreUnavailable as exc:  # the database is restarting: the lease brings the row back
                log.warning("webhook dispatcher: %s", exc)
                return

    def _contain(self, doc: dict[str, Any], exc: Exception, token: int | None = None) -> None:
        """An attempt that raised outside the send itself: a failed attempt, retried by the rules."""
        try:
            row = Delivery(**doc)
            job_doc = self.store.get(JOB_KIND, row.video_job_id)
            if job_doc is None:
                row.status, row.next_retry_at, row.error = "failed", None, _describe(exc)
                self._record(row, token)
                return
            self._failed(row, Job.from_doc(job_doc), _describe(exc), token)
        except Exception:
            log.exception("vidmock: could not record the failed webhook attempt %s", doc.get("id"))

    async def deliver(self, row: Delivery, token: int | None = None) -> None:
        """Send one attempt. With the claim's ``token``, the send and every write happen only while
        the lease is held: a process that lost it sends nothing and records nothing."""
        now = self.clock.now()
        if token is not None and not self.store.renew(KIND, row.id, token, now, self.lease()):
            return
        job_doc = self.store.get(JOB_KIND, row.video_job_id)
        job = Job.from_doc(job_doc) if job_doc else None
        if job is None or not job.callback_url or not job.callback_secret:
            row.status, row.error, row.next_retry_at = (
                "failed",
                "Video job or callback configuration no longer exists",
                None,
            )
            self._record(row, token)
            return
        timestamp = int(now)
        event = {
            "object": "event",
            "id": row.event_id,
            "type": row.event_type,
            "created_at": timestamp,
            "data": serialize(job, now, self.options),
        }
        # JSON.stringify: compact, non-ASCII kept as is. The signature covers these exact bytes.
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        # Signed with the real send time a receiver's clock agrees with; the payload keeps emulated time.
        signed_at = int(self.clock.wall_time())  # webhooks.md §1.3 and §3
        headers = {
            "Content-Type": "application/json",
            **sign(self.scheme, job.callback_secret, row.event_id, signed_at, body),
        }
        row.request_headers, row.request_body, row.last_tried_at = headers, body.decode(), now
        refused = self.refuse(job.callback_url) if self.refuse is not None else None
        if refused is not None:
            self._failed(row, job, refused)
            return
        try:
            response = await self.http.post(
                job.callback_url, content=body, headers=headers, timeout=TIMEOUT / self.clock.speed
            )
        except httpx.HTTPError as exc:
            self._failed(row, job, str(exc) or type(exc).__name__, token)
            return
        except Exception as exc:
            # A URL the client cannot build a request for (``http://☃..com/``: httpx.InvalidURL,
            # UnicodeError, ValueError) is a network error to fetch too: a failed attempt, retried
            # by gateway.md §4.3's rules, never an exception that stops the dispatcher (issue 12).
            self._failed(row, job, _describe(exc))
            return
        row.response_status = response.status_code
        row.response_body = response.text[:RESPONSE_LIMIT]
        if response.is_success:
            row.status, row.delivered_at, row.next_retry_at = "delivered", now, None
            if self._record(row, token):
                self._set_job_status(job, "delivered", now)
            return
        self._failed(row, job, f"Unexpected webhook response status {response.status_code}", token)

    def _failed(self, row: Delivery, job: Job, error: str, token: int | None = None) -> None:
        now = self.clock.now()
        row.error = error
        if row.attempt >= MAX_ATTEMPTS:
            row.status, row.next_retry_at = "failed", None
            if self._record(row, token):
                self._set_job_status(job, "failed", None)
            return
        row.status, row.next_retry_at = "retrying", None
        # The next attempt first, then this one's outcome: a process killed in between leaves this
        # attempt to be sent again (at-least-once) rather than the retry lost. Its id is the same
        # whoever makes it, so it exists once.
        nxt_id = self.attempt_id(row.event_id, row.attempt + 1)
        if self.store.get(KIND, nxt_id) is not None:
            self._record(row, token)
            return
        nxt = Delivery(
            id=nxt_id,
            video_job_id=row.video_job_id,
            event_id=row.event_id,
            event_type=row.event_type,
            target_url=row.target_url,
            attempt=row.attempt + 1,
            next_retry_at=now + retry_delay(row.attempt),
        )
        if token is None or self.store.renew(KIND, row.id, token, now, self.lease()):
            self._save(nxt)
        self._record(row, token)

    def _set_job_status(self, job: Job, status: str, delivered_at: float | None) -> None:
        doc = self.store.get(JOB_KIND, job.id)
        if doc is None:
            return
        doc["callback_status"] = status
        doc["callback_delivered_at"] = delivered_at
        self.store.put(JOB_KIND, job.id, doc)  # terminal jobs are not due for polling

    def _record(self, row: Delivery, token: int | None) -> bool:
        """Save an attempt's outcome; under a claim only while its lease is held."""
        if token is None:
            self._save(row)
            return True
        due = row.next_retry_at if row.status == "pending" else None
        return self.store.commit(KIND, row.id, token, self.clock.now(), row.to_doc(), due=due)

    def _save(self, row: Delivery) -> None:
        due = row.next_retry_at if row.status == "pending" else None
        self.store.put(KIND, row.id, row.to_doc(), due=due)

    def rows(self, job_id: str | None = None) -> list[dict[str, Any]]:
        rows = [d for d in self.store.all(KIND) if job_id is None or d["video_job_id"] == job_id]
        return sorted(rows, key=lambda d: (d["video_job_id"], d["attempt"]))
