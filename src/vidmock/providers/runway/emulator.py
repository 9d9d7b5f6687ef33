"""The Runway API emulator: routes and the HTTP adapter over ``params`` and ``models``.

Wire format per providers.md §9: ``POST /v1/{text_to_video,image_to_video,video_to_video,
video_upscale}`` answer ``{"id", "estimatedCost"}``; ``GET /v1/tasks/{id}`` polls; ``DELETE
/v1/tasks/{id}`` cancels or deletes and answers 204 with no body. Every ``/v1`` call needs
``Authorization: Bearer <key>`` (401 otherwise; any non-empty key unless ``RunwayOptions.api_keys``
is set) and then ``X-Runway-Version: 2024-11-06`` (400 when missing or unsupported; the check order
and texts are (chosen)). Output URLs point at ``/files/{id}.mp4?_jwt=…`` on this emulator, served
without auth like Runway's CDN, with byte ranges, 403 once the token has expired. Unknown paths and
methods answer 404 and 405 in Runway's envelope. Runway sends no webhooks (§9.5), so there are none.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...media import VideoSpec
from ...responses import JSONResponse
from ..base import EmulatorContext
from ..faults import truncated
from ..http import ranged_response
from ..kit import BadBody, Emulator
from .errors import MESSAGES, TASK_NOT_FOUND, RunwayError, fault_error
from .models import ACTIVE, KIND, SLOTS, VERSION, RunwayOptions, Task, check_url_token, sign_url_token, slot_start
from .params import parse_create
from .specs import ENDPOINTS, MODELS

SERVICE = "runway"


class RunwayEmulator(Emulator):
    service = SERVICE
    max_body = 32 * 1024 * 1024  # data URIs are at most 16 MB (video_upscale); room for a few of them
    submit_path = "/v1/text_to_video"

    def example_headers(self) -> dict[str, str]:
        return {**super().example_headers(), "X-Runway-Version": VERSION}

    def __init__(self, ctx: EmulatorContext, options: RunwayOptions | None = None) -> None:
        super().__init__(ctx)
        self.opts = options or RunwayOptions()
        # Signs the output URLs; derived from the server seed so every process of one server agrees.
        self.secret = hashlib.sha256(f"vidmock-runway:{ctx.config.seed}".encode()).digest()

    def routes(self) -> list[BaseRoute]:
        return [
            *(Route(f"/v1/{endpoint}", self.create, methods=["POST"]) for endpoint in ENDPOINTS),
            Route("/v1/tasks/{task_id}", self.task_route, methods=["GET", "DELETE"]),  # one route: a 405 allows both
            Route("/files/{name}", self.output_file, methods=["GET"]),
        ]

    def error(self, status: int, code: str | None, message: str | None) -> RunwayError:
        return fault_error(status, code, message)

    def route_not_found(self, request: Request) -> RunwayError:
        return fault_error(404, None, None)  # Runway's envelope with its 404 text

    def method_not_allowed(self, request: Request) -> RunwayError:
        return fault_error(405, None, None)

    def too_large(self) -> RunwayError:
        return RunwayError(413, MESSAGES[413])

    def unreadable(self, request: Request, problem: BadBody) -> RunwayError:
        return self.too_large() if problem.status == 413 else RunwayError(400, "The request body is not valid JSON.")

    def guard(self, request: Request) -> str:
        """The caller's organisation (a digest of its key), after the auth and version checks."""
        opts = self.opts
        auth = request.headers.get("authorization", "")
        key = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not key:
            raise RunwayError(401, "No API key was provided. Pass it in the Authorization header as a Bearer token.")
        if opts.api_keys and key not in opts.api_keys:
            raise RunwayError(401, MESSAGES[401])
        if opts.versions:
            version = request.headers.get("x-runway-version")
            if not version:
                raise RunwayError(400, f"The X-Runway-Version header is required (for example {VERSION}).")
            if version not in opts.versions:
                raise RunwayError(
                    400, f"Unsupported X-Runway-Version {version!r}. Supported versions: {', '.join(opts.versions)}."
                )
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def load(self, task_id: str) -> Task:
        doc = self.ctx.store.get(KIND, task_id)
        task = Task.from_doc(doc) if doc is not None else None
        # Aborted and deleted tasks can't be fetched again (§9.1).
        if (
            task is None
            or task.deleted_at is not None
            or (task.cancelled_at is not None and not self.opts.keep_cancelled)
        ):
            raise RunwayError(404, TASK_NOT_FOUND)
        return task

    def throttle(self, owner: str, task_id: str, model: str, now: float, finishes_after: float | None) -> float:
        if self.opts.concurrency is None:
            return now
        store = self.ctx.store
        slot_id = f"{owner}:{model}"
        slots = (store.get(SLOTS, slot_id) or {}).get("slots") or []
        start, live = slot_start(slots, now, self.opts.concurrency)
        live.append([task_id, None if finishes_after is None else start + finishes_after])
        store.put(SLOTS, slot_id, {"slots": live})
        return start

    def free_slot(self, task: Task, now: float) -> None:
        slot_id = f"{task.owner}:{task.model}"
        doc = self.ctx.store.get(SLOTS, slot_id)
        if doc is not None:
            slots = [[i, now if i == task.id else end] for i, end in doc["slots"]]
            self.ctx.store.put(SLOTS, slot_id, {"slots": slots})

    async def create(self, request: Request) -> Response:
        endpoint = request.url.path.rsplit("/", 1)[-1]  # one route per endpoint in ENDPOINTS
        ctx = self.ctx
        owner = self.guard(request)
        value, faulted = await self.submit_body(request, lambda v: v.get("promptText") if isinstance(v, dict) else None)
        if faulted is not None:
            return faulted
        fields = parse_create(endpoint, value, self.opts.strict_fields)
        latency = ctx.config.latency.get(fields.model, MODELS[fields.model].latency)
        task_id = ctx.ids.uuid("runway.task")
        plan = ctx.scenarios.plan(SERVICE, request.headers, fields.prompt, latency, task_id)
        now = ctx.clock.now()
        start = self.throttle(owner, task_id, fields.model, now, plan.finishes_at)
        task = Task(
            id=task_id,
            endpoint=endpoint,
            model=fields.model,
            created_at=now,
            prompt=fields.prompt,
            width=fields.width,
            height=fields.height,
            duration=fields.duration,
            audio=fields.audio,
            seed=plan.seed if fields.seed is None else fields.seed,
            estimate=fields.estimate,
            cost=fields.cost,
            plan=plan.to_doc(),
            owner=owner,
            start_at=start,
        )
        ctx.store.put(KIND, task_id, task.to_doc())
        return JSONResponse({"id": task_id, "estimatedCost": {"credits": fields.estimate}})

    def output_url(self, task: Task, now: float) -> str | None:
        if not task.output_available(now):
            return None  # (chosen) past the output's retention a task keeps SUCCEEDED with no URL
        until = task.available_until()
        expires = now + self.opts.url_ttl if until is None else min(now + self.opts.url_ttl, until)
        return f"{self.base_url}/files/{task.id}.mp4?_jwt={sign_url_token(self.secret, task.id, expires)}"

    async def task_route(self, request: Request) -> Response:
        self.guard(request)
        task = self.load(request.path_params["task_id"])
        return await (self.delete_task(task) if request.method == "DELETE" else self.get_task(request, task))

    async def get_task(self, request: Request, task: Task) -> Response:
        faulted = await self.status_fault(request, task.plan, task.id)
        if faulted is not None:
            return faulted
        now = self.ctx.clock.now()
        return JSONResponse(task.render(now, self.output_url(task, now)))

    async def delete_task(self, task: Task) -> Response:
        now = self.ctx.clock.now()
        status, _ = task.status_at(now)
        if status in ACTIVE:  # running, pending or throttled: cancel
            task.cancelled_at, task.cancelled_running = now, status == "RUNNING"
            if self.opts.concurrency is not None:
                self.free_slot(task, now)
        else:  # finished (or already cancelled and kept): delete
            task.deleted_at = now
        self.ctx.store.put(KIND, task.id, task.to_doc())
        return Response(status_code=204)

    async def output_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        doc = self.ctx.store.get(KIND, name[:-4]) if name.endswith(".mp4") else None
        if doc is None:
            raise RunwayError(404, MESSAGES[404])
        task, now = Task.from_doc(doc), self.ctx.clock.now()
        token = request.query_params.get("_jwt")
        problem = check_url_token(self.secret, token, task.id, now) if token else "The URL is not signed."
        if problem is not None:
            raise RunwayError(403, problem)
        if not task.output_available(now):
            raise RunwayError(404, "The output of this task is no longer available.")
        faulted, fault = await self.content_fault(request, task.plan, task.id)
        if faulted is not None:
            return faulted
        data = await self.ctx.media.aget(VideoSpec(task.width, task.height, task.duration, task.audio, task.seed))
        return truncated(fault, data, self.ctx.clock, "video/mp4") or ranged_response(request, data)
