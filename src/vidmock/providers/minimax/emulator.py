"""The MiniMax video emulator (v1 Hailuo and v2 H3): routes and the HTTP adapter over ``models``.

Wire format per providers.md §6 and gateway.md §5.3: ``Authorization: Bearer <key>`` (any non-empty
key); v1 create, query and file retrieve answer ``base_resp`` errors inside HTTP 200 (see
``MinimaxOptions.http_errors``); v2 create and query answer HTTP errors in the v2 envelope. Videos
are served from ``/files/{file_id}.mp4`` (the ``download_url``, no auth, byte ranges).

One route is vidmock's own: ``GET /_vidmock/content/{task_id}`` serves a completed task's bytes in one
step, with the bearer key. The gateway streams MiniMax content from the provider (gateway.md §1.5)
through a lookup in two steps (``/v1/files/retrieve`` → ``download_url`` → fetch), but the provider
interface's ``content_path(upstream_id)`` is one synchronous path, so the client points it here.
A gateway pointed at the real MiniMax cannot use this route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...responses import JSONResponse
from ..base import EmulatorContext
from ..faults import fault_response, submit_fault_response, truncated
from ..http import journaled, ranged_response, read_json
from .bodies import parse_v1, parse_v2
from .errors import MinimaxError, code_for, invalid
from .models import DEFAULT_LATENCY, FILE_KIND, KIND, MinimaxOptions, Task

SERVICE = "minimax"
MAX_BODY = 64 * 1024 * 1024
DIGITS = "0123456789"


def build_emulator(ctx: EmulatorContext, options: MinimaxOptions | None = None) -> Starlette:
    opts = options or MinimaxOptions()
    base_url = ctx.public_url(SERVICE)

    def v1_error_body(status: int, code: str | None, message: str | None) -> dict[str, Any]:
        return MinimaxError(code_for(status, code), message).v1_body()

    def v2_error_body(status: int, code: str | None, message: str | None) -> dict[str, Any]:
        return MinimaxError(code_for(status, code), message).v2_body(request_id())

    def request_id() -> str:
        return ctx.ids.new("minimax.request", 32, "0123456789abcdef")

    def numeric_id(namespace: str) -> str:
        # MiniMax ids are int64 decimal strings (providers.md §13); a leading 3 keeps them 15 digits.
        return "3" + ctx.ids.new(namespace, 14, DIGITS)

    def load(task_id: str | None) -> Task | None:
        doc = ctx.store.get(KIND, task_id) if task_id else None
        return None if doc is None else Task.from_doc(doc)

    async def create(request: Request, version: int) -> Response:
        value, problem = await read_json(request, MAX_BODY)
        faulted = await submit_fault_response(
            ctx, SERVICE, request.headers, _prompt(value), v1_error_body if version == 1 else v2_error_body
        )
        if faulted is not None:
            return faulted
        if problem:
            raise invalid("request body is not valid JSON" if problem == "invalid_json" else "request body too large")
        fields = parse_v1(value) if version == 1 else parse_v2(value)
        task_id = numeric_id("minimax.task")
        latency = float(ctx.config.latency.get(fields["model"], DEFAULT_LATENCY[version]))
        plan = ctx.scenarios.plan(SERVICE, request.headers, fields["prompt"], latency, task_id)
        task = Task(
            id=task_id,
            created_at=ctx.clock.now(),
            file_id=numeric_id("minimax.file"),
            seed=plan.seed,
            plan=plan.to_doc(),
            **fields,
        )
        ctx.store.put(KIND, task_id, task.to_doc())
        ctx.store.put(FILE_KIND, task.file_id, {"task_id": task_id})
        if version == 2:
            return JSONResponse({"task_id": task_id})
        return JSONResponse({"task_id": task_id, "base_resp": {"status_code": 0, "status_msg": "success"}})

    def v1(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                if not _authorized(request):
                    raise MinimaxError(1004)
                return await handler(request)
            except MinimaxError as err:
                return err.v1_response(opts.http_errors)

        return endpoint

    def v2(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                if not _authorized(request):
                    raise MinimaxError(1004)
                return await handler(request)
            except MinimaxError as err:
                return err.v2_response(request_id())

        return endpoint

    async def query_v1(request: Request) -> Response:
        task = load(request.query_params.get("task_id"))
        if task is None:
            raise invalid("invalid task_id")
        fault = ctx.scenarios.take_fault(task.plan.get("faults") or {}, "poll", task.id)
        faulted = await fault_response(fault, v1_error_body, ctx.clock)
        return faulted or JSONResponse(task.render_v1(ctx.clock.now()))

    async def query_v2(request: Request) -> Response:
        task = load(request.path_params["task_id"])
        if task is None:
            raise invalid("invalid task_id")
        fault = ctx.scenarios.take_fault(task.plan.get("faults") or {}, "poll", task.id)
        faulted = await fault_response(fault, v2_error_body, ctx.clock)
        return faulted or JSONResponse(task.render_v2(ctx.clock.now(), base_url))

    async def retrieve(request: Request) -> Response:
        link = ctx.store.get(FILE_KIND, request.query_params.get("file_id") or "")
        task = load(link["task_id"]) if link else None
        if task is None or task.state(ctx.clock.now()) != "completed":
            raise invalid("invalid file_id")
        data = await ctx.media.aget(task.video_spec())
        return JSONResponse(task.file_object(base_url, len(data)))

    async def serve(task: Task | None, request: Request) -> Response:
        now = ctx.clock.now()
        if task is None or task.state(now) != "completed":
            return JSONResponse({"Code": "NoSuchKey", "Message": "The specified key does not exist."}, status_code=404)
        if not task.video_available(now):
            return JSONResponse({"Code": "AccessDenied", "Message": "Request has expired."}, status_code=403)
        fault = ctx.scenarios.take_fault(task.plan.get("faults") or {}, "content", task.id)
        faulted = await fault_response(fault, v1_error_body, ctx.clock)
        if faulted is not None:
            return faulted
        data = await ctx.media.aget(task.video_spec())
        return truncated(fault, data, ctx.clock, "video/mp4") or ranged_response(request, data)

    async def download(request: Request) -> Response:
        name = request.path_params["name"]
        link = ctx.store.get(FILE_KIND, name[:-4]) if name.endswith(".mp4") else None
        return await serve(load(link["task_id"]) if link else None, request)

    async def content(request: Request) -> Response:
        if not _authorized(request):
            return MinimaxError(1004).v1_response(True)
        return await serve(load(request.path_params["task_id"]), request)

    async def create_v1(request: Request) -> Response:
        return await create(request, 1)

    async def create_v2(request: Request) -> Response:
        return await create(request, 2)

    routes = [
        Route("/v1/video_generation", v1(create_v1), methods=["POST"]),
        Route("/v1/query/video_generation", v1(query_v1), methods=["GET"]),
        Route("/v1/files/retrieve", v1(retrieve), methods=["GET"]),
        Route("/v2/video_generation", v2(create_v2), methods=["POST"]),
        Route("/v2/query/video_generation/{task_id}", v2(query_v2), methods=["GET"]),
        Route("/files/{name}", download, methods=["GET"]),
        Route("/_vidmock/content/{task_id}", content, methods=["GET"]),
    ]
    return journaled(Starlette(routes=routes), SERVICE, ctx)


def _authorized(request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    return auth.startswith("Bearer ") and bool(auth[7:].strip())


def _prompt(value: Any) -> str:
    """The prompt of either create body, for a ``[scenario:NAME]`` marker."""
    if not isinstance(value, dict):
        return ""
    if isinstance(value.get("prompt"), str):
        return str(value["prompt"])
    content = value.get("content")
    for item in content if isinstance(content, list) else []:
        if isinstance(item, dict) and item.get("type") == "text" and isinstance(item.get("text"), str):
            return str(item["text"])
    return ""
