"""The Alibaba DashScope video-synthesis emulator: routes and the HTTP adapter over ``models``.

Wire format per providers.md §8: ``POST /api/v1/services/aigc/video-generation/video-synthesis``
with ``X-DashScope-Async: enable`` answers ``{"request_id", "output": {"task_id", "task_status"}}``;
``GET /api/v1/tasks/{task_id}`` polls; ``POST /api/v1/tasks/{task_id}/cancel`` cancels a PENDING
task (chosen: DashScope documents cancelling queued tasks); ``Authorization: Bearer <key>`` (any
non-empty key); the ``{request_id, code, message}`` envelope. Videos are served from
``/files/{task_id}.mp4`` (no auth, like a signed OSS URL) with ranges; expired → OSS's 403 XML.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...media import VideoSpec
from ...responses import JSONResponse
from ..base import EmulatorContext
from ..faults import fault_response, submit_fault_response, truncated
from ..http import bearer_token, journaled, ranged_response, read_json
from .errors import MESSAGES, NO_API_KEY, SYNC_REFUSED, DashScopeError, invalid
from .models import KIND, MODELS, Task, parse_create, unknown

SERVICE = "alibaba"
SYNTHESIS = "/api/v1/services/aigc/video-generation/video-synthesis"
MAX_BODY = 16 * 1024 * 1024


def build_emulator(ctx: EmulatorContext) -> Starlette:
    base_url = ctx.public_url(SERVICE)

    def request_id() -> str:
        return ctx.ids.uuid("alibaba.request")

    def error_body(status: int, code: str | None, message: str | None) -> dict[str, Any]:
        # A scenario fault in DashScope's envelope.
        return DashScopeError(status, message or MESSAGES.get(status, "The request failed."), code).body(request_id())

    async def create(request: Request) -> Response:
        rid = request_id()
        try:
            _authenticate(request)
            value, problem = await read_json(request, MAX_BODY)
            inputs = value.get("input") if isinstance(value, dict) else None
            prompt = inputs.get("prompt") if isinstance(inputs, dict) else None
            faulted = await submit_fault_response(ctx, SERVICE, request.headers, prompt, error_body)
            if faulted is not None:
                return faulted
            if request.headers.get("x-dashscope-async", "").lower() != "enable":
                raise SYNC_REFUSED
            if problem == "too_large":
                raise DashScopeError(413, "The request body is too large.", "InvalidParameter")
            if problem:
                raise invalid("The request body is not valid JSON.")
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
        except DashScopeError as err:
            return err.response(rid)

    async def get(request: Request) -> Response:
        rid = request_id()
        try:
            _authenticate(request)
        except DashScopeError as err:
            return err.response(rid)
        task_id = request.path_params["task_id"]
        doc = ctx.store.get(KIND, task_id)
        if doc is None:
            return JSONResponse(unknown(task_id, rid))
        fault = ctx.scenarios.take_fault(doc["plan"].get("faults") or {}, "poll", task_id)
        faulted = await fault_response(fault, error_body, ctx.clock)
        return faulted or JSONResponse(Task.from_doc(doc).render(ctx.clock.now(), base_url, rid))

    async def cancel(request: Request) -> Response:
        rid = request_id()
        try:
            _authenticate(request)
            doc = ctx.store.get(KIND, request.path_params["task_id"])
            now = ctx.clock.now()
            task = Task.from_doc(doc) if doc is not None else None
            if task is None or task.status_at(now) != "queued":
                raise DashScopeError(
                    400,
                    "Failed to cancel the task, please confirm if the task is in PENDING status.",
                    "UnsupportedOperation",
                )
            task.canceled_at = now
            ctx.store.put(KIND, task.id, task.to_doc())
            return JSONResponse({"request_id": rid})
        except DashScopeError as err:
            return err.response(rid)

    async def video_file(request: Request) -> Response:
        name = request.path_params["name"]
        doc = ctx.store.get(KIND, name[:-4]) if name.endswith(".mp4") else None
        now = ctx.clock.now()
        task = Task.from_doc(doc) if doc is not None else None
        if task is None or task.status_at(now) != "completed":
            return _oss_error(404, "NoSuchKey", "The specified key does not exist.")
        if not task.video_available(now):
            return _oss_error(403, "AccessDenied", "Request has expired.")
        fault = ctx.scenarios.take_fault(task.plan.get("faults") or {}, "content", task.id)
        faulted = await fault_response(fault, error_body, ctx.clock)
        if faulted is not None:
            return faulted
        spec = VideoSpec(task.width, task.height, task.duration, task.audio, task.seed)
        data = await ctx.media.aget(spec)
        return truncated(fault, data, ctx.clock, "video/mp4") or ranged_response(request, data)

    routes = [
        Route(SYNTHESIS, create, methods=["POST"]),
        Route("/api/v1/tasks/{task_id}", get, methods=["GET"]),
        Route("/api/v1/tasks/{task_id}/cancel", cancel, methods=["POST"]),
        Route("/files/{name}", video_file, methods=["GET"]),
    ]
    return journaled(Starlette(routes=routes), SERVICE, ctx)


def _authenticate(request: Request) -> None:
    if not bearer_token(request):
        raise NO_API_KEY


def _oss_error(status: int, code: str, message: str) -> Response:
    """Alibaba Cloud OSS answers object errors in XML."""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>{code}</Code>\n  <Message>{message}</Message>\n'
        "</Error>\n"
    )
    return Response(body, status_code=status, media_type="application/xml")
