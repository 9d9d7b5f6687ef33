"""The job worker (gateway.md §4.1–§4.2, W1): polls upstreams on the clock and finalizes jobs.

One ``tick`` is one run of ``processPendingVideoJobs``: it claims the jobs whose ``nextPollAt`` has
come, polls each upstream, writes the normalised status, fails jobs that time out or keep erroring,
and finalizes terminal ones (log id, cost). ``tick`` is registered with the clock every
``poll_interval`` seconds, so the same code runs in real, scaled and virtual time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from ...clock import Clock
from ...config import ServerConfig
from ...ids import IdFactory
from ...providers.base import PollFailure, PollResult
from ...store import Claim, Store, StoreUnavailable
from ..domain.catalogue import Catalogue, Mapping
from ..domain.constraints import cost_for
from ..domain.jobs import JOB_KIND, LOG_KIND, Job
from ..domain.releases import GatewayRelease, get_release
from ..domain.request import RESOLUTION
from ..domain.status import TERMINAL, check_transition, normalize
from .service import FILTER_KEY, FILTER_KIND, ProviderLink

POLL_ERROR_LIMIT = 5
MAX_BACKOFF = 300.0  # min(5 min, 10 s × 2^(n−1))
CLAIM_TTL = 30.0
# A claim lasts at least this many wall seconds: at --speed 60, CLAIM_TTL is half a wall second, less
# than one poll under load. Correctness does not rest on it (writes are fenced by the lease token);
# it only keeps claims from lapsing and being redone.
MIN_LEASE_WALL = 5.0
STEALTH_ERROR = {"message": "Upstream provider error (502 Bad Gateway)"}
CONCURRENCY = 64  # polls in flight per tick

FinalizedHook = Callable[[Job], Awaitable[None]]
log = logging.getLogger("vidmock.worker")


def lease_for(clock: Clock, clock_seconds: float) -> float:
    """A lease of ``clock_seconds``, but never shorter than MIN_LEASE_WALL of wall time."""
    return max(clock_seconds, MIN_LEASE_WALL * clock.speed)


class Worker:
    def __init__(
        self,
        config: ServerConfig,
        store: Store,
        clock: Clock,
        ids: IdFactory,
        catalogue: Catalogue,
        providers: dict[str, ProviderLink],
        release: GatewayRelease | None = None,
    ) -> None:
        self.config, self.store, self.clock, self.ids = config, store, clock, ids
        self.release = release or get_release(config.gateway_release)
        self.catalogue = catalogue
        self.providers = providers
        self.on_finalized: list[FinalizedHook] = []
        self.ticks = 0

    def start(self) -> None:
        self.clock.call_every(self.config.poll_interval, self.tick)

    async def tick(self) -> None:
        self.ticks += 1
        now = self.clock.now()
        lease = lease_for(self.clock, CLAIM_TTL)
        budget = self.config.worker_batch  # None: every job due
        # Claim only what the runners take now (nextPollAt = now + lease, as in W1), a batch of at
        # most CONCURRENCY whenever the claimed ones are all taken: claiming every due job up front
        # let the leases of the last ones run out before their poll, and another process polled and
        # finalized them too (issue 12.2). Every write is fenced by the claim's token besides.
        queue: deque[Claim] = deque()
        taken, exhausted = 0, False
        errors: list[BaseException] = []

        def next_claim() -> Claim | None:
            nonlocal taken, exhausted
            if not queue and not exhausted:
                want = CONCURRENCY if budget is None else min(CONCURRENCY, budget - taken)
                got = self.store.claim(JOB_KIND, now, want, lease) if want > 0 else []
                taken += len(got)
                exhausted = len(got) < want
                queue.extend(got)
            return queue.popleft() if queue else None

        # At most CONCURRENCY polls in flight: that many runners share the queue, each taking the
        # next job when its poll is done. (A task per job behind a semaphore cost more than the poll
        # itself with 10,000 jobs due.) One job's error does not stop the others; the first is raised.
        async def runner() -> None:
            while True:
                try:
                    claim = next_claim()
                    if claim is None:
                        return
                    await self.process(Job.from_doc(claim.doc), now, claim.token)
                except StoreUnavailable as exc:  # the database is down: the lease runs out, retried later
                    log.warning("job worker: %s", exc)
                    return
                except Exception as exc:
                    errors.append(exc)

        try:
            first = next_claim()
        except StoreUnavailable as exc:
            log.warning("job worker: %s", exc)
            return
        if first is None:
            return
        queue.appendleft(first)
        await asyncio.gather(*(runner() for _ in range(min(CONCURRENCY, len(queue)))))
        if errors:
            raise errors[0]

    async def process(self, job: Job, tick: float | None = None, token: int | None = None) -> None:
        """Poll (and finalize) one job. The next poll is due ``delay`` after the *tick* that claimed
        it, not after the poll returned, so on a real clock it is ready for the very next loop.

        With the claim's ``token``, every write is conditional on still holding the lease: a process
        that lost it (it stalled, another process took the job over) changes nothing."""
        if job.status in TERMINAL and job.log_id is not None:
            # Claimed again after a crash between finalizing and settling: run the (idempotent)
            # hooks once more so no webhook is lost, then settle.
            await self._settle(job, token)
            return
        delay = self.config.poll_interval
        if job.content_filter_pending:
            self._merge_filter_record(job)
        if job.status not in TERMINAL:
            delay = await self._poll(job)
        now = self.clock.now()
        if job.status not in TERMINAL:
            job.record(now)
            start = now if tick is None else tick
            self._write(job, token, now, start + delay)
            return
        self._stamp(job)
        job.record(now)
        # Terminal, but still due when the lease runs out: a process killed before its hooks ran
        # leaves the job to be claimed again and its hooks re-run, so no webhook is lost.
        if self._write(job, token, now, None if token is None else now + lease_for(self.clock, CLAIM_TTL)):
            await self._settle(job, token)

    def _write(self, job: Job, token: int | None, now: float, due: float | None) -> bool:
        if token is None:
            self.store.put(JOB_KIND, job.id, job.to_doc(), due=due)
            return True
        return self.store.commit(JOB_KIND, job.id, token, now, job.to_doc(), due=due)

    async def _settle(self, job: Job, token: int | None) -> None:
        assert job.log_id is not None
        self.store.put(LOG_KIND, job.log_id, {"job_id": job.id})
        for hook in self.on_finalized:
            await hook(job)
        if token is not None:
            self.store.release(JOB_KIND, job.id, token, self.clock.now())

    # -- polling ------------------------------------------------------------------------------------
    async def _poll(self, job: Job) -> float:
        """Poll once; return the delay before the next poll."""
        now = self.clock.now()
        timed_out = now - job.created_at >= self.config.job_timeout
        link = self.providers.get(job.provider)
        try:
            if link is None:
                raise PollFailure(f"No provider client is configured for {job.provider}")
            result = await link.client.poll(link.http, job.upstream_id, job.to_doc())
        except PollFailure as exc:
            if exc.status is None:
                return self._poll_error(job, str(exc), timed_out)
            moderated = self.release.poll_moderation_error(job.provider, exc.status, exc.body)
            if moderated is not None:  # changes-2026-12.md §2.1: fails at once, as a content filter
                self._fail(job, moderated)
                job.finish_reason = "content_filter"
                return self.config.poll_interval
            return self._poll_error(job, self.release.poll_error_message(exc.status, exc.body), timed_out)
        self._apply(job, result)
        if job.status not in TERMINAL and timed_out:
            self._fail(
                job,
                {
                    "code": "timeout",
                    "message": f"Video generation timed out after {_seconds(self.config.job_timeout)} seconds "
                    "without reaching a terminal state",
                    "details": {
                        "reason": "video_job_timeout",
                        "timeout_seconds": int(self.config.job_timeout),
                        "last_upstream_status": job.status,
                    },
                },
            )
        return self.config.poll_interval

    def _apply(self, job: Job, result: PollResult) -> None:
        now = self.clock.now()
        status = normalize(result.status)
        check_transition(job.status, status)
        job.status = status
        job.upstream_status = result.status
        if result.progress is not None:
            job.progress = max(0, min(100, int(result.progress)))
        if result.error is not None:
            job.error = STEALTH_ERROR if job.stealth else result.error
        if result.inline is not None:
            job.content_blob = self.store.put_blob(result.inline)
        job.content_url = result.content_url or job.content_url
        job.storage_uri = result.storage_uri or job.storage_uri
        job.content_type = result.content_type or job.content_type
        if result.expires_at is not None:
            job.expires_at = result.expires_at
        if status in TERMINAL:
            job.completed_at = result.completed_at or now
        job.poll_attempts += 1
        job.poll_error_count = 0
        job.upstream_response = {**job.upstream_response, "status": result.raw, "llmgateway_poll_error_count": 0}

    def _poll_error(self, job: Job, message: str, timed_out: bool) -> float:
        n = job.poll_error_count + 1
        job.poll_error_count = n
        job.upstream_response = {
            **job.upstream_response,
            "llmgateway_poll_error_count": n,
            "llmgateway_last_poll_error": message,
        }
        if timed_out or n >= POLL_ERROR_LIMIT:
            self._fail(
                job,
                {
                    "code": "poll_error",
                    "message": f"Video generation failed after {n} consecutive polling errors: {message}",
                    "details": {"reason": "poll_error_limit", "error_count": n, "last_error": message},
                },
            )
        return min(MAX_BACKOFF, 10.0 * 2.0 ** (n - 1))

    def _fail(self, job: Job, error: dict[str, object]) -> None:
        job.status = "failed"
        job.progress = 100
        job.error = error
        job.completed_at = self.clock.now()

    # -- finalization ---------------------------------------------------------------------------------
    def _stamp(self, job: Job) -> None:
        """The log id and the cost, stamped once when the job turns terminal (§4.2)."""
        if job.log_id is not None:
            return
        job.log_id = self.ids.new("log", 24)
        job.finish_reason = "completed" if job.status == "completed" else job.finish_reason or "upstream_error"
        if job.status == "completed":
            mapping = next((m for m in self._mappings(job) if m.external_id == job.external_id), None)
            if mapping is not None:
                cost = cost_for(
                    mapping,
                    resolution=RESOLUTION[job.size],
                    seconds=job.seconds,
                    image_count=job.image_count,
                    audio=job.audio,
                )
                job.video_output_cost, job.image_input_cost, job.cost = (
                    cost.video_output_cost,
                    cost.image_input_cost,
                    cost.total,
                )
        if job.cost is None:  # failed, canceled and expired jobs cost 0 (DOC)
            job.video_output_cost, job.image_input_cost, job.cost = 0.0, 0.0, 0.0

    def _merge_filter_record(self, job: Job) -> None:
        """A log-only content-filter evaluation that settled after the insert (changes-2026-12.md §5)."""
        record = self.store.get(FILTER_KIND, job.id)
        if record is not None:
            job.upstream_response = {**job.upstream_response, FILTER_KEY: record}
            job.content_filter_pending = False
            self.store.delete(FILTER_KIND, job.id)

    def _mappings(self, job: Job) -> tuple[Mapping, ...]:
        model = self.catalogue.get(job.model)
        return () if model is None else tuple(m for m in model.mappings if m.provider == job.provider)


def _seconds(value: float) -> str:
    """Seconds as JavaScript prints them in a template: 3600, not 3600.0 or 1e+06."""
    return str(int(value)) if float(value).is_integer() else repr(value)
