"""The gateway's request handling, in the real handler's order (gateway.md §2 business-rule table).

``GatewayService`` holds its state explicitly (store, clock, ids, catalogue, provider links) and is
driven by the HTTP adapter in ``routes``; it never sees a Request object.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ... import gcs
from ...clock import Clock
from ...config import Project, ServerConfig
from ...errors import GatewayError
from ...ids import IdFactory
from ...providers.base import REASONS, ProviderClient, SubmitContext, SubmitResult, UpstreamError
from ...providers.faults import forwarding
from ...scenarios import HEADER, SEED_HEADER, ScenarioEngine, UnknownScenario
from ...store import Store
from ..domain import credits
from ..domain.catalogue import Catalogue, Mapping
from ..domain.constraints import business_checks, credit_estimate
from ..domain.jobs import JOB_KIND, LOG_KIND, Job, SerializeOptions, serialize
from ..domain.releases import GatewayRelease, get_release
from ..domain.request import CreateRequest
from ..domain.status import normalize
from ..domain.validation import check_images, parse_create
from . import images
from .auth import KeyRing
from .moderation import BLOCK_MESSAGE, CLASSIFIER_PROVIDER, ContentFilter, moderation_inputs

NOT_FOUND = "Video not found"
NO_CONTENT = "Video content is not available"
DEVPASS = "Video generation is not available for coding plans. Coding plans only include text-based inference."
ZDR = (
    "Video generation is unavailable while zero data retention is active because video jobs require "
    "temporary output storage."
)
VERTEX_PROJECT_REQUIRED = "Google Vertex video generation requires google_vertex_project_id on the provider key"
FILTER_KIND = "gateway.content_filter"  # a log-only evaluation that settled after the job was inserted
FILTER_KEY = "llmgateway_content_filter_evaluation"
RETRYABLE = {0, 401, 403, 429}  # plus every 5xx (RWF); 400 and 404 are never retried
MAX_RETRIES = 2


@dataclass
class ProviderLink:
    """A provider as the gateway sees it: its client and the HTTP client that reaches it."""

    client: ProviderClient
    http: httpx.AsyncClient


class GatewayService:
    def __init__(
        self,
        config: ServerConfig,
        store: Store,
        clock: Clock,
        ids: IdFactory,
        catalogue: Catalogue,
        providers: dict[str, ProviderLink],
        scenarios: ScenarioEngine,
        release: GatewayRelease | None = None,
    ) -> None:
        self.config, self.store, self.clock, self.ids = config, store, clock, ids
        # The release of the real gateway emulated (changes-2026-12.md "Releases"); None: from the config.
        self.release = release or get_release(config.gateway_release)
        self.content_filter = ContentFilter(config.projects, config.seed)
        self.scenarios = scenarios
        self.catalogue = catalogue
        self.providers = providers
        self.keys = KeyRing(config.projects)
        self.serialize_options = SerializeOptions(
            config.base_url,
            config.content_secret,
            config.bare_model,
            config.include_usage,
            config.gcs_endpoint,
            gcs.HmacKey(config.gcs_hmac_access_id, config.gcs_hmac_secret),
        )

    # -- create -------------------------------------------------------------------------------------
    async def create(self, body: bytes, headers: Any, request_id: str, no_fallback: bool) -> dict[str, Any]:
        req = parse_create(body)  # the body is validated before authentication (G1 handler order)
        project = self.keys.authenticate(headers)
        if project.devpass:
            raise GatewayError(403, DEVPASS)
        if project.zero_data_retention:
            raise GatewayError(400, ZDR)
        resolved = self.catalogue.resolve(req.model, self.clock.now())  # lifecycle dates: changes-2026-12.md §1.7
        eligible = business_checks(resolved, req)
        configured = [
            m for m in eligible if m.provider in self.providers and m.provider not in self.config.disabled_providers
        ]
        if not configured:
            raise GatewayError(
                400, f"No configured provider is available for model {resolved.model.id} and size {req.routing_size}."
            )
        configured = self._vertex_storage_rule(configured, project, resolved.pinned_provider)
        # The router's weighted score, simplified: better uptime first, then the cheaper (S1 edge case 25:
        # vertex at 99.5 beats avalanche at 70).
        uptime = self.config.provider_uptime
        configured.sort(key=lambda m: (-uptime.get(m.provider, 99.5), credit_estimate(m, req), m.provider))
        can_fallback = resolved.pinned_provider is None and not no_fallback
        self._scenario_applies(headers, req, [m.provider for m in (configured if can_fallback else configured[:1])])
        self._vertex_key_rule(configured[0], project)
        check_images(req)
        # The content filter runs once, for the first provider routed to (changes-2026-12.md §5).
        filter_record, filter_task = await self._content_filter(project, configured[0], req, request_id)
        scenario, seed = self._scenario(headers, req, configured[0].provider, request_id)
        attempts: list[dict[str, Any]] = []
        for index, mapping in enumerate(configured):
            reserved = self._credit_gate(project, mapping, req)
            if self.release.vertex_without_storage == "refuse" and self._vertex_without_storage(mapping, project):
                raise GatewayError(400, self.release.vertex_without_storage_message)  # gateway.md §2 row 16
            # The scenario and seed go to the provider as headers of this submit, passed explicitly.
            forwarded = {HEADER: scenario, SEED_HEADER: str(seed)} if scenario else {SEED_HEADER: str(seed)}
            try:
                result = await self._submit(mapping, req, request_id, forwarded)
            except UpstreamError as err:
                attempts.append(_attempt(mapping, err.status, False))
                retryable = err.status in RETRYABLE or err.status >= 500
                if can_fallback and retryable and index < min(MAX_RETRIES, len(configured) - 1):
                    continue
                raise GatewayError(err.status or 500, self._public_message(mapping, err)) from err
            attempts.append(_attempt(mapping, 200, True))
            if filter_task is not None and filter_task.done():
                filter_record, filter_task = filter_task.result(), None
            job = self._new_job(
                project,
                resolved.model.id,
                mapping,
                req,
                request_id,
                result,
                reserved,
                attempts,
                scenario,
                seed,
                filter_record,
                filter_task is not None,
            )
            if filter_task is not None:  # log-only, still running: merged into the job when it settles
                filter_task.add_done_callback(self._filter_settled(job.id))
            return serialize(job, self.clock.now(), self.serialize_options)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _scenario_applies(self, headers: Any, req: CreateRequest, providers: list[str]) -> None:
        """A scenario the request names itself must be able to apply to one of the providers this job
        may go to (the first choice or a fallback); otherwise it would be dropped without a word."""
        for name in self.scenarios.requested(headers, req.prompt):
            try:
                written_for = self.scenarios.get(name).provider
            except UnknownScenario as exc:
                raise GatewayError(400, str(exc)) from None
            if written_for is not None and written_for not in providers:
                raise GatewayError(
                    400,
                    f"Scenario {name!r} is written for provider {written_for}, but this request for model "
                    f"{req.model} can only go to {', '.join(dict.fromkeys(providers))}; choose a model "
                    f"{written_for} serves or a scenario for one of these providers (vidmock scenarios list).",
                )

    def _vertex_without_storage(self, mapping: Mapping, project: Project) -> bool:
        return (
            mapping.provider == "google-vertex" and not self.config.vertex_output_bucket and project.retention == "none"
        )

    def _vertex_storage_rule(self, configured: list[Mapping], project: Project, pinned: str | None) -> list[Mapping]:
        """N1 (changes-2026-12.md §3.3): Vertex with neither an output bucket nor retention is skipped when the
        model is not pinned, and refused when it is (or when nothing else is left: chosen)."""
        if self.release.vertex_without_storage != "fallback":
            return configured
        kept = [m for m in configured if not self._vertex_without_storage(m, project)]
        if len(kept) == len(configured):
            return configured
        if pinned is not None or not kept:
            raise GatewayError(400, self.release.vertex_without_storage_message)
        return kept

    def _vertex_key_rule(self, mapping: Mapping, project: Project) -> None:
        """N1 (changes-2026-12.md §3.2): a BYOK Vertex key must name its project."""
        key = project.provider_keys.get("google-vertex")
        if mapping.provider != "google-vertex" or key is None or not self.release.vertex_key_requires_project:
            return
        if not key.get("google_vertex_project_id"):
            raise GatewayError(400, VERTEX_PROJECT_REQUIRED)

    async def _content_filter(
        self, project: Project, mapping: Mapping, req: CreateRequest, request_id: str
    ) -> tuple[dict[str, Any] | None, asyncio.Future[dict[str, Any]] | None]:
        """Enforced: the record, or the 403 on a violation (no job, no upstream call, no reservation).
        Log-only: a task the create does not wait for. Neither when the filter does not run (§5)."""
        plan = self.content_filter.plan(project, mapping.provider, request_id)
        link = self.providers.get(CLASSIFIER_PROVIDER)
        if plan is None or link is None or CLASSIFIER_PROVIDER in self.config.disabled_providers:
            return None, None  # no plan, or no OpenAI credential: skipped silently (C)
        pictures = [images.prepare(i) for i in (req.image, req.last_frame, *req.reference_images) if i is not None]
        inputs = moderation_inputs(req, pictures)
        evaluation = self.content_filter.evaluate(plan, link.http, link.client.content_headers(), request_id, inputs)
        if not plan.enforced:
            return None, asyncio.ensure_future(evaluation)
        record = await evaluation
        if record["action"] == "blocked":
            raise GatewayError(403, BLOCK_MESSAGE)
        return record, None

    def _filter_settled(self, job_id: str) -> Callable[[asyncio.Future[dict[str, Any]]], None]:
        def store(task: asyncio.Future[dict[str, Any]]) -> None:
            if not task.cancelled():
                self.store.put(FILTER_KIND, job_id, task.result())  # the worker merges it into the job

        return store

    def _scenario(self, headers: Any, req: CreateRequest, provider: str, request_id: str) -> tuple[str | None, int]:
        """The scenario and seed for this job, recorded on it and forwarded to the provider."""
        try:
            name, seed = self.scenarios.select(provider, headers, req.prompt)
        except UnknownScenario as exc:
            raise GatewayError(400, str(exc)) from None
        if seed is None:
            digest = hashlib.blake2b(f"{self.config.seed}:{request_id}".encode(), digest_size=4).digest()
            seed = int.from_bytes(digest, "big")
        return name, seed

    def _credit_gate(self, project: Project, mapping: Mapping, req: CreateRequest) -> float:
        if project.credits is None:
            return 0.0
        now = self.clock.now()
        jobs = [Job.from_doc(d) for d in self.store.all(JOB_KIND) if d["project_id"] == project.id]
        # The balance is the configured one: charging it happens in billing, outside the gateway, so
        # a finalized job frees its reservation without lowering the balance (CG, edge case 53).
        return credits.check(project.credits, credit_estimate(mapping, req), credits.pending_reservations(jobs, now))

    async def _submit(
        self, mapping: Mapping, req: CreateRequest, request_id: str, forwarded: dict[str, str]
    ) -> SubmitResult:
        link = self.providers[mapping.provider]
        frames = req.input_mode == "frames"
        ctx = SubmitContext(
            request=req,
            mapping=mapping,
            request_id=request_id,
            first_frame=images.prepare(req.image) if frames and req.image else None,
            last_frame=images.prepare(req.last_frame) if frames and req.last_frame else None,
            references=tuple(images.prepare(i) for i in req.reference_images),
        )
        try:
            return await link.client.submit(forwarding(link.http, forwarded), ctx)
        except httpx.HTTPError as exc:
            raise UpstreamError(0, f"Upstream request failed: {exc or type(exc).__name__}") from exc

    @staticmethod
    def _public_message(mapping: Mapping, err: UpstreamError) -> str:
        if mapping.stealth:  # SPE: never show an undisclosed platform's text
            status = err.status or 502
            return f"Upstream provider error ({status} {REASONS.get(status, 'Error')})"
        return err.message

    def _new_job(
        self,
        project: Project,
        model_id: str,
        mapping: Mapping,
        req: CreateRequest,
        request_id: str,
        result: SubmitResult,
        reserved: float,
        routing: list[dict[str, Any]],
        scenario: str | None,
        seed: int,
        filter_record: dict[str, Any] | None = None,
        filter_pending: bool = False,
    ) -> Job:
        now = self.clock.now()
        job = Job(
            id=self.ids.new("video", 21),
            project_id=project.id,
            model=model_id,
            provider=mapping.provider,
            external_id=mapping.external_id,
            created_at=now,
            size=req.routing_size,
            seconds=req.seconds,
            audio=req.audio,
            image_count=req.image_count,
            request_id=request_id,
            status=normalize(result.status),
            progress=result.progress,
            upstream_id=result.upstream_id,
            upstream_status=result.status,
            stealth=mapping.stealth,
            reserved_spend=reserved,
            credits_mode=project.credits is not None,
            callback_url=req.callback_url,
            callback_secret=req.callback_secret,
            callback_status="pending" if req.callback_url and req.callback_secret else "none",
            routing=routing,
            scenario=scenario,
            seed=seed,
            gateway_release=self.release.name,
            content_filter_pending=filter_pending,
            upstream_response={
                **result.raw,
                "size": req.routing_size,
                "resolution": req.resolution,
                "llmgateway_requested_size": req.routing_size,
                "llmgateway_duration_seconds": req.seconds,
                "llmgateway_input_image_count": req.image_count,
                "llmgateway_reserved_spend_usd": reserved,
                **({FILTER_KEY: filter_record} if filter_record is not None else {}),
            },
        )
        job.record(now)
        # Due now: the worker's next loop polls it (or finalizes it, if the upstream was already done).
        self.store.put(JOB_KIND, job.id, job.to_doc(), due=now)
        return job

    # -- read -----------------------------------------------------------------------------------------
    def job_for(self, headers: Any, video_id: str) -> Job:
        project = self.keys.authenticate(headers)
        doc = self.store.get(JOB_KIND, video_id)
        if doc is None or doc["project_id"] != project.id:
            raise GatewayError(404, NOT_FOUND)
        return Job.from_doc(doc)

    def retrieve(self, headers: Any, video_id: str) -> dict[str, Any]:
        return serialize(self.job_for(headers, video_id), self.clock.now(), self.serialize_options)

    def ready_job(self, headers: Any, video_id: str) -> Job:
        job = self.job_for(headers, video_id)
        if job.status != "completed":
            raise GatewayError(409, f"Video is not ready yet. Current status: {job.status}")
        return job

    def job_for_log(self, log_id: str) -> Job:
        link = self.store.get(LOG_KIND, log_id)
        doc = None if link is None else self.store.get(JOB_KIND, link["job_id"])
        if doc is None:
            raise GatewayError(404, NO_CONTENT)
        return Job.from_doc(doc)


def _attempt(mapping: Mapping, status: int, ok: bool) -> dict[str, Any]:
    return {
        "provider": mapping.provider,
        "model": mapping.external_id,
        "status_code": status,
        "error_type": None if ok else "upstream_error",
        "succeeded": ok,
    }
