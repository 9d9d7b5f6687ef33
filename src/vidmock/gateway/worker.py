"""The job worker (gateway.md §4.1–§4.2, W1): polls upstreams on the clock and finalizes jobs.

One ``tick`` is one run of ``processPendingVideoJobs``: it claims the jobs whose ``nextPollAt`` has
come, polls each upstream, writes the normalised status, fails jobs that time out or keep erroring,
and finalizes terminal ones (log id, cost). ``tick`` is registered with the clock every
``poll_interval`` seconds, so the same code runs in real, scaled and virtual time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ..clock import Clock
from ..config import ServerConfig
from ..ids import IdFactory
from ..providers.base import PollFailure, PollResult
from ..store import Store
from .catalogue import Catalogue, Mapping
from .constraints import cost_for
from .jobs import JOB_KIND, LOG_KIND, Job
from .releases import GatewayRelease, get_release
from .request import RESOLUTION
from .service import FILTER_KEY, FILTER_KIND, ProviderLink
from .status import TERMINAL, check_transition, normalize

POLL_ERROR_LIMIT = 5
MAX_BACKOFF = 300.0  # min(5 min, 10 s × 2^(n−1))
CLAIM_TTL = 30.0
STEALTH_ERROR = {"message": "Upstream provider error (502 Bad Gateway)"}
CONCURRENCY = 64  # polls in flight per tick

FinalizedHook = Callable[[Job], Awaitable[None]]


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
        # Claim (nextPollAt = now + 30 s, as in W1): a crashed poll is retried after the claim TTL, and
        # server processes sharing a store never poll the same job twice.
        docs = self.store.claim_due(JOB_KIND, now, self.config.worker_batch, CLAIM_TTL)
        # At most CONCURRENCY polls in flight: that many runners share one iterator, each taking the
        # next job when its poll is done. (A task per job behind a semaphore cost more than the poll
        # itself with 10,000 jobs due.) One job's error does not stop the others; the first is raised.
        pending = iter(docs)
        errors: list[BaseException] = []

        async def runner() -> None:
            for doc in pending:
                try:
                    await self.process(Job.from_doc(doc), now)
                except Exception as exc:
                    errors.append(exc)

        await asyncio.gather(*(runner() for _ in range(min(CONCURRENCY, len(docs)))))
        if errors:
            raise errors[0]

    async def process(self, job: Job, tick: float | None = None) -> None:
        """Poll (and finalize) one job. The next poll is due ``delay`` after the *tick* that claimed
        it, not after the poll returned, so on a real clock it is ready for the very next loop."""
        delay = self.config.poll_interval
        if job.content_filter_pending:
            self._merge_filter_record(job)
        if job.status not in TERMINAL:
            delay = await self._poll(job)
        if job.status in TERMINAL:
            await self._finalize(job)
        now = self.clock.now()
        job.record(now)
        start = now if tick is None else tick
        self.store.put(JOB_KIND, job.id, job.to_doc(), due=None if job.status in TERMINAL else start + delay)

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
    async def _finalize(self, job: Job) -> None:
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
        self.store.put(LOG_KIND, job.log_id, {"job_id": job.id})
        for hook in self.on_finalized:
            await hook(job)

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
