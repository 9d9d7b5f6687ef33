"""Retention (issue 17.2): what a long-running server forgets, so its memory stays flat.

A terminal job is forgotten ``retention_seconds`` of clock time after it ended, with its log link
and its webhook attempts: the default, 7 days, is the life of the signed content URL (gateway.md
§1.6), after which the job's video cannot be fetched through it anyway. Each finalized job gets an
expiry document due at that time, so a sweep touches only what expires (and several server
processes share the sweep through ``Store.claim``). An attempt still pending postpones its job.

Provider records and other documents (callback outboxes, uploads, bucket objects) are forgotten when
nothing has written them for ``retention_seconds + job_timeout``: the gateway polls a provider for at
most ``job_timeout``, and those records are not rewritten while they are read. The store's write
marks, sampled at each sweep, tell which documents that is. Documents with pending work (a due time)
and the kinds in ``keep`` (configuration, such as a registered webhook endpoint) are never swept.
Journal entries older than the retention go too. Everything is timed on the injected clock.
"""

from __future__ import annotations

import json
import logging

from ...clock import Clock
from ...journal import Journal
from ...store import Store, StoreUnavailable
from ..domain.jobs import JOB_KIND, LOG_KIND, Job
from .delivery import KIND as WEBHOOK_KIND
from .delivery import MAX_ATTEMPTS, WebhookDispatcher
from .worker import lease_for

EXPIRY_KIND = "gateway.expiry"
MARKS_META = "retention.marks"
MAX_INTERVAL = 3600.0  # sweep at least hourly (clock seconds)
BATCH = 256
OWN_KINDS = (JOB_KIND, LOG_KIND, WEBHOOK_KIND, EXPIRY_KIND)
log = logging.getLogger("vidmock.retention")


class Retention:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        journal: Journal,
        webhooks: WebhookDispatcher,
        seconds: float,
        job_timeout: float,
        keep: tuple[str, ...] = (),
    ) -> None:
        self.store, self.clock, self.journal, self.webhooks = store, clock, journal, webhooks
        self.seconds, self.job_timeout = seconds, job_timeout
        self.keep = OWN_KINDS + keep
        self.interval = min(MAX_INTERVAL, max(1.0, seconds / 4))
        self.forgotten = 0  # documents removed so far (for the soak benchmark)

    def start(self) -> None:
        if self.seconds > 0:
            self.clock.call_every(self.interval, self.sweep)

    async def schedule(self, job: Job) -> None:
        """A finalization hook: the job expires ``seconds`` after it ended. Idempotent."""
        if self.seconds <= 0:
            return
        ended = job.completed_at if job.completed_at is not None else self.clock.now()
        doc = {"job_id": job.id, "log_id": job.log_id}
        self.store.put(EXPIRY_KIND, job.id, doc, due=ended + self.seconds)

    async def sweep(self) -> None:
        now = self.clock.now()
        try:
            self._expire_jobs(now)
            self._forget_idle(now)
        except StoreUnavailable as exc:  # the database is down: the next sweep catches up
            log.warning("retention: %s", exc)
        self._trim_journal(now)

    def _expire_jobs(self, now: float) -> None:
        lease = lease_for(self.clock, 60.0)
        while True:
            claims = self.store.claim(EXPIRY_KIND, now, BATCH, lease)
            for claim in claims:
                job_id, log_id = claim.doc["job_id"], claim.doc.get("log_id")
                event = f"evt_{job_id}"
                attempts = [self.webhooks.attempt_id(event, n) for n in range(1, MAX_ATTEMPTS + 1)]
                rows = [(a, self.store.get(WEBHOOK_KIND, a)) for a in attempts]
                if any(row is not None and row.get("status") == "pending" for _, row in rows):
                    # Still being delivered: look again later.
                    self.store.commit(EXPIRY_KIND, claim.id, claim.token, now, claim.doc, due=now + self.interval)
                    continue
                for attempt, row in rows:
                    if row is not None:
                        self.store.delete(WEBHOOK_KIND, attempt)
                        self.forgotten += 1
                if log_id:
                    self.store.delete(LOG_KIND, log_id)
                self.store.delete(JOB_KIND, job_id)
                self.store.delete(EXPIRY_KIND, claim.id)
                self.forgotten += 2
            if len(claims) < BATCH:
                return

    def _forget_idle(self, now: float) -> None:
        """Sample the store's write mark; forget what was last written before the mark taken
        ``seconds + job_timeout`` ago."""
        raw = self.store.get_meta(MARKS_META)
        marks: list[list[float]] = json.loads(raw) if raw else []
        marks.append([now, float(self.store.mark())])
        cutoff = now - self.seconds - self.job_timeout
        old = [m for m in marks if m[0] <= cutoff]
        marks = [m for m in marks if m[0] > cutoff]
        if old:
            self.forgotten += self.store.forget_before(int(old[-1][1]), self.keep)
        self.store.set_meta(MARKS_META, json.dumps(marks))

    def _trim_journal(self, now: float) -> None:
        entries = self.journal.entries
        while entries and entries[0].at <= now - self.seconds:
            entries.popleft()
