"""Provider-side callbacks: the webhooks an upstream provider sends its own caller.

Built on the gateway outbox's pattern (``gateway/application/delivery.py``) without importing it: providers sit
below the gateway application layer (ARCHITECTURE.md), and the gateway's outbox is shaped by
gateway.md §4.2 (body rebuilt from the job on every attempt, the job's ``callback_status``), which a
provider does not have. What is shared is the shape: store rows, one clock timer, due rows, an
httpx client a test can replace.

Two kinds of rows per provider, both in the store so a restart with SQLite loses nothing:

* ``<service>.callback_watch``: a tracked job and the last status notified for it. A job's status is
  a function of time (its plan), so nothing "happens" when it changes: the timer looks at every
  active watch, compares the status now with the last one notified, and turns a change into events
  (``emit``). Terminal watches drop out of ``due``. Polls never trigger anything.
* ``<service>.callback``: one row per delivery attempt (request, response, error), like the
  gateway's ``webhook_delivery_log``; the body is fixed when the event is created, so every attempt
  of an event carries the same bytes (signing, if any, is redone per attempt with a fresh timestamp).

The timer runs only while something is pending, so an emulator nobody registered a callback with
costs nothing per tick.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from ..clock import Clock, TimerHandle
from ..ids import IdFactory
from ..masking import mask_text
from ..store import Store, StoreUnavailable
from .base import EmulatorContext

INTERVAL = 1.0  # seconds between timer ticks: status changes are noticed within a second
BATCH = 25  # deliveries attempted per tick
RESPONSE_LIMIT = 4000
ATTR = "vidmock_callbacks"
log = logging.getLogger("vidmock.callbacks")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``first_delay`` doubling, capped at ``max_delay``; no attempt after
    ``max_attempts``, nor one due more than ``give_up_after`` seconds after the first attempt."""

    max_attempts: int
    first_delay: float
    max_delay: float
    timeout: float
    give_up_after: float | None = None

    def delay(self, attempt: int) -> float:
        """Delay after failed attempt ``attempt`` (1-based)."""
        return min(self.max_delay, self.first_delay * 2.0 ** (attempt - 1))


@dataclass(frozen=True)
class Event:
    """One notification to send: to one URL, with a body fixed for all its attempts."""

    event_id: str
    event_type: str
    url: str
    body: str
    endpoint: str | None = None  # the registration it goes to, for ``sign`` to find the secret


@dataclass
class Attempt:
    id: str
    job_id: str
    event_id: str
    event_type: str
    target_url: str
    body: str
    attempt: int
    seq: int
    endpoint: str | None = None
    first_tried_at: float | None = None
    status: str = "pending"  # pending | retrying | delivered | failed
    next_retry_at: float | None = None
    last_tried_at: float | None = None
    delivered_at: float | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    response_status: int | None = None
    response_body: str | None = None
    error: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)


# job id, now → the provider's status, or None when the job no longer exists.
Observe = Callable[[str, float], "str | None"]
# job id, status before (None: first look), status now, now → events to send.
Emit = Callable[[str, "str | None", str, float], list[Event]]
# attempt, timestamp, body → signature headers, or None when the endpoint no longer exists.
Sign = Callable[[Attempt, int, bytes], "dict[str, str] | None"]


class CallbackDispatcher:
    def __init__(
        self,
        service: str,
        clock: Clock,
        store: Store,
        ids: IdFactory,
        policy: RetryPolicy,
        *,
        observe: Observe,
        emit: Emit,
        terminal: frozenset[str],
        sign: Sign | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.service, self.clock, self.store, self.ids, self.policy = service, clock, store, ids, policy
        self.observe, self.emit, self.terminal, self.sign = observe, emit, terminal, sign
        self.watch_kind, self.kind = f"{service}.callback_watch", f"{service}.callback"
        self._http = http
        self._timer: TimerHandle | None = None
        # url → None, or the error of an attempt refused before sending (a callback aimed at this
        # server's own control plane: ``netaddr.SelfCallGuard``, set by the server).
        self.refuse: Callable[[str], str | None] | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        # Made on the first callback sent: a client loads the CA bundle, and most apps send none.
        # Redirects are not followed: a 3xx is a failed attempt, as for every webhook sender cited.
        if self._http is None:
            self._http = httpx.AsyncClient(follow_redirects=False)
        return self._http

    @http.setter
    def http(self, client: httpx.AsyncClient) -> None:
        # Tests swap this for ``httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app))``.
        self._http = client

    async def aclose(self) -> None:
        """Close the client made for sending, if any: its pooled connections are sockets that would
        otherwise be left to the garbage collector (``Runtime.aclose`` calls this)."""
        if self._http is not None:
            await self._http.aclose()

    # -- scheduling --------------------------------------------------------------------------------
    def start(self) -> None:
        """Resume after a restart: run the timer if the store holds pending work."""
        if self._pending():
            self._run()

    def watch(self, job_id: str, notified: str | None = None) -> None:
        """Track ``job_id`` from now on; ``notified`` is a status already reported (none by default)."""
        self.store.put(self.watch_kind, job_id, {"job_id": job_id, "notified": notified}, due=self.clock.now())
        self._run()

    def watching(self, job_id: str) -> bool:
        return self.store.get(self.watch_kind, job_id) is not None

    def _run(self) -> None:
        if self._timer is None:
            # First tick right away (at the next clock step), then every INTERVAL.
            self._timer = self.clock.call_every(INTERVAL, self.tick, first=self.clock.now())

    def _pending(self) -> bool:
        return bool(self.store.due(self.watch_kind, math.inf, 1) or self.store.due(self.kind, math.inf, 1))

    async def tick(self) -> None:
        now = self.clock.now()
        # Claimed, not just read, so server processes sharing a store (--workers) never emit or send
        # the same callback twice (issue 12.2); attempts one at a time, each with a lease longer than
        # the send can take (and never under 5 wall seconds), as the gateway's dispatcher does.
        # Each watch and each attempt is contained: one that raises must not stop the others, nor
        # the clock (issue 12).
        lease = max(self.policy.timeout + 30.0, 5.0 * self.clock.speed)
        try:
            for doc in self.store.claim_due(self.watch_kind, now, None, lease):
                try:
                    self._check(doc, now)
                except StoreUnavailable:
                    raise
                except Exception as exc:
                    log.exception("vidmock: %s callback watch %s raised; it stops", self.service, doc.get("job_id"))
                    self.store.put(self.watch_kind, doc["job_id"], {**doc, "error": _describe(exc)}, due=None)
            for _ in range(BATCH):
                docs = self.store.claim_due(self.kind, now, 1, lease)
                if not docs:
                    break
                try:
                    await self.deliver(Attempt(**docs[0]))
                except StoreUnavailable:
                    raise
                except Exception as exc:
                    log.exception(
                        "vidmock: %s callback attempt %s raised; a failed attempt", self.service, docs[0].get("id")
                    )
                    self._failed(Attempt(**docs[0]), _describe(exc))
        except StoreUnavailable:  # the database is restarting: claimed work comes back with its lease
            return
        if not self._pending() and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self, doc: dict[str, Any], now: float) -> None:
        job_id, before = doc["job_id"], doc["notified"]
        status = self.observe(job_id, now)
        if status is None:  # deleted: nothing left to report on
            self.store.delete(self.watch_kind, job_id)
            return
        if status != before:
            for event in self.emit(job_id, before, status, now):
                self._save(
                    Attempt(
                        id=self._new_id(),
                        job_id=job_id,
                        event_id=event.event_id,
                        event_type=event.event_type,
                        target_url=event.url,
                        body=event.body,
                        attempt=1,
                        seq=self.store.next_counter(f"{self.kind}.seq"),
                        endpoint=event.endpoint,
                        next_retry_at=now,
                    )
                )
            doc["notified"] = status
        # Still active: look again next tick. Terminal statuses are absorbing, so stop looking.
        self.store.put(self.watch_kind, job_id, doc, due=None if status in self.terminal else now)

    # -- delivering --------------------------------------------------------------------------------
    async def deliver(self, row: Attempt) -> None:
        now = self.clock.now()
        body = row.body.encode()
        headers = {"Content-Type": "application/json"}
        if self.sign is not None:
            # Signed at the real send time, as a receiver judges freshness (issue 16; the gateway does the same).
            signed = self.sign(row, int(self.clock.wall_time()), body)
            if signed is None:
                row.status, row.next_retry_at, row.last_tried_at = "failed", None, now
                row.error = "The webhook endpoint no longer exists"
                self._save(row)
                return
            headers.update(signed)
        row.request_headers, row.last_tried_at = headers, now
        row.first_tried_at = row.first_tried_at if row.first_tried_at is not None else now
        refused = self.refuse(row.target_url) if self.refuse is not None else None
        if refused is not None:
            self._failed(row, refused)
            return
        try:
            response = await self.http.post(
                row.target_url, content=body, headers=headers, timeout=self.policy.timeout / self.clock.speed
            )
        except httpx.HTTPError as exc:
            self._failed(row, str(exc) or type(exc).__name__)
            return
        except Exception as exc:
            # A URL the client cannot build a request for (``http://☃..com/``: httpx.InvalidURL,
            # UnicodeError, ValueError): a failed attempt, retried by the provider's rules (issue 12).
            self._failed(row, _describe(exc))
            return
        row.response_status, row.response_body = response.status_code, response.text[:RESPONSE_LIMIT]
        if response.is_success:
            row.status, row.delivered_at, row.next_retry_at = "delivered", now, None
            self._save(row)
            return
        self._failed(row, f"Unexpected webhook response status {response.status_code}")

    def _failed(self, row: Attempt, error: str) -> None:
        now = self.clock.now()
        row.error, row.next_retry_at = error, None
        due = now + self.policy.delay(row.attempt)
        limit = self.policy.give_up_after
        first = row.first_tried_at if row.first_tried_at is not None else now
        if row.attempt >= self.policy.max_attempts or (limit is not None and due - first > limit):
            row.status = "failed"
            self._save(row)
            return
        row.status = "retrying"
        self._save(row)
        nxt = Attempt(
            id=self._new_id(),
            job_id=row.job_id,
            event_id=row.event_id,
            event_type=row.event_type,
            target_url=row.target_url,
            body=row.body,
            attempt=row.attempt + 1,
            seq=self.store.next_counter(f"{self.kind}.seq"),
            endpoint=row.endpoint,
            first_tried_at=first,
            next_retry_at=due,
        )
        self._save(nxt)

    def _new_id(self) -> str:
        return self.ids.new(self.kind, 16)

    def _save(self, row: Attempt) -> None:
        self.store.put(self.kind, row.id, row.to_doc(), due=row.next_retry_at if row.status == "pending" else None)

    def rows(self, job_id: str | None = None) -> list[dict[str, Any]]:
        """Every attempt in the order it was (or will be) made, optionally for one job."""
        rows = [d for d in self.store.all(self.kind) if job_id is None or d["job_id"] == job_id]
        return sorted(
            rows,
            key=lambda d: (
                d["last_tried_at"] if d["last_tried_at"] is not None else d["next_retry_at"] or 0.0,
                d["seq"],
            ),
        )


def _describe(exc: BaseException) -> str:
    """An attempt's error: the exception, with any credential in a URL it quotes masked."""
    return mask_text(f"{type(exc).__name__}: {exc}")[:RESPONSE_LIMIT] if str(exc) else type(exc).__name__


def attach(app: Any, dispatcher: CallbackDispatcher) -> None:
    """Hang the dispatcher on the emulator app, where ``dispatcher_of`` finds it (tests swap its
    http client; ``runtime.emulators[name]`` is the app)."""
    setattr(app, ATTR, dispatcher)


def dispatcher_of(app: Any) -> CallbackDispatcher:
    dispatcher = getattr(app, ATTR, None)
    if not isinstance(dispatcher, CallbackDispatcher):
        raise LookupError("this emulator sends no callbacks")
    return dispatcher


def object_callbacks(
    service: str,
    ctx: EmulatorContext,
    policy: RetryPolicy,
    *,
    kind: str,
    record: Callable[[dict[str, Any]], Any],
    terminal: frozenset[str],
    state: Callable[[Any, float], str],
    render: Callable[[Any, float], Any],
    notified: frozenset[str] | None = None,
) -> CallbackDispatcher:
    """The common provider callback: on each state a job enters (all, or those in ``notified``), POST
    the job object exactly as its GET renders it then (compact JSON, unsigned) to the job's
    ``callback_url`` (Seedance, Kling and Luma all do this). Jobs are the ``kind`` documents of the
    emulator's store, read with ``record`` (a record class's ``from_doc``)."""

    def load(job_id: str) -> Any | None:
        doc = ctx.store.get(kind, job_id)
        return None if doc is None else record(doc)

    def observe(job_id: str, now: float) -> str | None:
        job = load(job_id)
        return None if job is None else state(job, now)

    def emit(job_id: str, before: str | None, status: str, now: float) -> list[Event]:
        job = load(job_id)
        if job is None or not job.callback_url or (notified is not None and status not in notified):
            return []
        body = json.dumps(render(job, now), separators=(",", ":"), ensure_ascii=False)
        return [Event(f"{job_id}:{status}", status, job.callback_url, body)]

    return CallbackDispatcher(
        service, ctx.clock, ctx.store, ctx.ids, policy, observe=observe, emit=emit, terminal=terminal
    )
