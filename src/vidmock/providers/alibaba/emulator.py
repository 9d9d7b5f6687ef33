"""The Alibaba DashScope video-synthesis emulator: routes and the HTTP adapter over ``models``.

Wire format per providers.md §8: ``POST /api/v1/services/aigc/video-generation/video-synthesis``
with ``X-DashScope-Async: enable`` answers ``{"request_id", "output": {"task_id", "task_status"}}``;
``GET /api/v1/tasks/{task_id}`` polls; ``POST /api/v1/tasks/{task_id}/cancel`` cancels a PENDING
task (chosen: DashScope documents cancelling queued tasks); ``Authorization: Bearer <key>`` (any
non-empty key); the ``{request_id, code, message}`` envelope. Videos are served from
``/files/{task_id}.mp4`` (no auth, like a signed OSS URL) with ranges; expired → OSS's 403 XML.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...media import VideoSpec
from ...responses import JSONResponse
from ..faults import truncated
from ..http import bearer_token, ranged_response
from ..kit import Emulator, ProviderError
from ..kit.errors import BadBody
from .errors import MESSAGES, NO_API_KEY, SYNC_REFUSED, DashScopeError, invalid
from .models import KIND, MODELS, Task, parse_create, unknown

SERVICE = "alibaba"
SYNTHESIS = "/api/v1/services/aigc/video-generation/video-synthesis"


class DashScopeEmulator(Emulator):
    service = SERVICE
    max_body = 16 * 1024 * 1024
    submit_path = SYNTHESIS

    def example_headers(self) -> dict[str, str]:
        return {**super().example_headers(), "X-DashScope-Async": "enable"}

    def routes(self) -> list[BaseRoute]:
        return [
            Route(SYNTHESIS, self.create, methods=["POST"]),
            Route("/api/v1/tasks/{task_id}", self.get, methods=["GET"]),
            Route("/api/v1/tasks/{task_id}/cancel", self.cancel, methods=["POST"]),
            Route("/files/{name}", self.video_file, methods=["GET"]),
        ]

    def error(self, status: int, code: str | None, message: str | None) -> DashScopeError:
        # Also unknown routes and methods (DashScope's answer to those is not in the reference: its
        # envelope with the status's code, chosen).
        return DashScopeError(status, message or MESSAGES.get(status, "The request failed."), code)

    def too_large(self) -> DashScopeError:
        return DashScopeError(413, "The request body is too large.", "InvalidParameter")

    def unreadable(self, request: Request, problem: BadBody) -> ProviderError:
        return self.too_large() if problem.status == 413 else invalid("The request body is not valid JSON.")

    def new_request_id(self) -> str:
        return self.ctx.ids.uuid("alibaba.request")

    async def create(self, request: Request) -> Response:
        ctx = self.ctx
        rid = self.request_id(request)
        _authenticate(request)
        value, problem = await self.read_json(request)
        inputs = value.get("input") if isinstance(value, dict) else None
        prompt = inputs.get("prompt") if isinstance(inputs, dict) else None
        faulted = await self.submit_fault(request, prompt)
        if faulted is not None:
            return faulted
        if request.headers.get("x-dashscope-async", "").lower() != "enable":
            raise SYNC_REFUSED
        if problem is not None:
            raise problem
        model, fields = parse_create(value)
        task_id = ctx.ids.uuid("alibaba.task")
        latency = float(ctx.config.latency.get(model, MODELS[model].latency))
        plan = ctx.scenarios.plan(SERVICE, request.headers, fields["prompt"], latency, task_id)
        task = Task(
            id=task_id,
            model=model,
            created_at=ctx.clock.now(),
            plan=plan.to_doc(),
            **{**fields, "seed": fields["seed"] or plan.seed},
        )
        ctx.store.put(KIND, task_id, task.to_doc())
        return JSONResponse({"request_id": rid, "output": {"task_id": task_id, "task_status": "PENDING"}})

    async def get(self, request: Request) -> Response:
        rid = self.request_id(request) or ""
        _authenticate(request)
        task_id = request.path_params["task_id"]
        doc = self.ctx.store.get(KIND, task_id)
        if doc is None:
            return JSONResponse(unknown(task_id, rid))
        faulted = await self.status_fault(request, doc["plan"], task_id)
        return faulted or JSONResponse(Task.from_doc(doc).render(self.ctx.clock.now(), self.base_url, rid))

    async def cancel(self, request: Request) -> Response:
        rid = self.request_id(request)
        _authenticate(request)
        doc = self.ctx.store.get(KIND, request.path_params["task_id"])
        now = self.ctx.clock.now()
        task = Task.from_doc(doc) if doc is not None else None
        if task is None or task.status_at(now) != "queued":
            raise DashScopeError(
                400,
                "Failed to cancel the task, please confirm if the task is in PENDING status.",
                "UnsupportedOperation",
            )
        task.canceled_at = now
        self.ctx.store.put(KIND, task.id, task.to_doc())
        return JSONResponse({"request_id": rid})

    async def video_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        doc = self.ctx.store.get(KIND, name[:-4]) if name.endswith(".mp4") else None
        now = self.ctx.clock.now()
        task = Task.from_doc(doc) if doc is not None else None
        if task is None or task.status_at(now) != "completed":
            raise OssError(404, "NoSuchKey", "The specified key does not exist.")
        if not task.video_available(now):
            raise OssError(403, "AccessDenied", "Request has expired.")
        faulted, fault = await self.content_fault(request, task.plan, task.id)
        if faulted is not None:
            return faulted
        spec = VideoSpec(task.width, task.height, task.duration, task.audio, task.seed)
        data = await self.ctx.media.aget(spec)
        return truncated(fault, data, self.ctx.clock, "video/mp4") or ranged_response(request, data)


def _authenticate(request: Request) -> None:
    if not bearer_token(request):
        raise NO_API_KEY


class OssError(ProviderError):
    """Alibaba Cloud OSS answers object errors in XML."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, message)
        self.code = code

    def body(self, request_id: str | None = None) -> str:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>{self.code}</Code>\n'
            f"  <Message>{self.message}</Message>\n</Error>\n"
        )

    def response(self, request_id: str | None = None) -> Response:
        return Response(self.body(), status_code=self.status, media_type="application/xml")
