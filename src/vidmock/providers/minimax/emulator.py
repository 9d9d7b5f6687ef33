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

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...responses import JSONResponse
from ...scenarios import UnknownScenario
from ..base import EmulatorContext
from ..faults import ErrorBody, truncated
from ..http import ranged_response
from ..kit import BadBody, Emulator, ProviderError
from ..kit.errors import EXPIRED, NO_SUCH_KEY
from .bodies import parse_v1, parse_v2
from .errors import MinimaxError, code_for, invalid
from .models import DEFAULT_LATENCY, FILE_KIND, KIND, MinimaxOptions, Task

SERVICE = "minimax"
DIGITS = "0123456789"
CONTENT = "/_vidmock/content/"


class MinimaxEmulator(Emulator):
    service = SERVICE
    max_body = 64 * 1024 * 1024
    submit_path = "/v1/video_generation"

    def __init__(self, ctx: EmulatorContext, options: MinimaxOptions | None = None) -> None:
        super().__init__(ctx)
        self.opts = options or MinimaxOptions()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/video_generation", self.create_v1, methods=["POST"]),
            Route("/v1/query/video_generation", self.query_v1, methods=["GET"]),
            Route("/v1/files/retrieve", self.retrieve, methods=["GET"]),
            Route("/v2/video_generation", self.create_v2, methods=["POST"]),
            Route("/v2/query/video_generation/{task_id}", self.query_v2, methods=["GET"]),
            Route("/files/{name}", self.download, methods=["GET"]),
            Route(CONTENT + "{task_id}", self.content, methods=["GET"]),
        ]

    def error(self, status: int, code: str | None, message: str | None) -> MinimaxError:
        return MinimaxError(code_for(status, code), message)

    def route_not_found(self, request: Request) -> MinimaxError:
        # MiniMax's answer for an unknown path is not in the reference: the route's envelope on a
        # 404 status line (chosen).
        return MinimaxError(2013, f"invalid params, no such path {request.url.path}", http=404)

    def method_not_allowed(self, request: Request) -> MinimaxError:
        return MinimaxError(2013, f"invalid params, method {request.method} not allowed", http=405)

    def too_large(self) -> MinimaxError:
        # Refused before the API sees it (a declared length over the limit is never read): a real
        # 413 status line around the route's envelope.
        return MinimaxError(2013, "invalid params, request body too large", http=413)

    def unreadable(self, request: Request, problem: BadBody) -> MinimaxError:
        return self.too_large() if problem.status == 413 else invalid("request body is not valid JSON")

    def unknown_scenario(self, exc: UnknownScenario) -> MinimaxError:
        return MinimaxError(2013, str(exc), http=400)

    def new_request_id(self) -> str:
        return self.ctx.ids.new("minimax.request", 32, "0123456789abcdef")

    def render(self, request: Request, exc: ProviderError) -> Response:
        """v2 routes answer in the v2 envelope on a real status; the rest in ``base_resp``, inside
        HTTP 200 unless ``MinimaxOptions.http_errors`` (vidmock's content route: always a status)."""
        if not isinstance(exc, MinimaxError):
            return super().render(request, exc)
        path = request.url.path
        if "/v2/" in path:
            return exc.v2_response(self.request_id(request) or "")
        return exc.v1_response(self.opts.http_errors or CONTENT in path)

    def fault_body(self, request: Request) -> ErrorBody:
        if "/v2/" in request.url.path:
            return lambda status, code, message: self.error(status, code, message).v2_body(
                self.request_id(request) or ""
            )
        return lambda status, code, message: self.error(status, code, message).v1_body()

    def numeric_id(self, namespace: str) -> str:
        # MiniMax ids are int64 decimal strings (providers.md §13); a leading 3 keeps them 15 digits.
        return "3" + self.ctx.ids.new(namespace, 14, DIGITS)

    def load(self, task_id: str | None) -> Task | None:
        doc = self.ctx.store.get(KIND, task_id) if task_id else None
        return None if doc is None else Task.from_doc(doc)

    async def create_v1(self, request: Request) -> Response:
        return await self.create(request, 1)

    async def create_v2(self, request: Request) -> Response:
        return await self.create(request, 2)

    async def create(self, request: Request, version: int) -> Response:
        _authenticate(request)
        ctx = self.ctx
        value, faulted = await self.submit_body(request, _prompt)
        if faulted is not None:
            return faulted
        fields = parse_v1(value) if version == 1 else parse_v2(value)
        task_id = self.numeric_id("minimax.task")
        latency = float(ctx.config.latency.get(fields["model"], DEFAULT_LATENCY[version]))
        plan = ctx.scenarios.plan(SERVICE, request.headers, fields["prompt"], latency, task_id)
        task = Task(
            id=task_id,
            created_at=ctx.clock.now(),
            file_id=self.numeric_id("minimax.file"),
            seed=plan.seed,
            plan=plan.to_doc(),
            **fields,
        )
        ctx.store.put(KIND, task_id, task.to_doc())
        ctx.store.put(FILE_KIND, task.file_id, {"task_id": task_id})
        if version == 2:
            return JSONResponse({"task_id": task_id})
        return JSONResponse({"task_id": task_id, "base_resp": {"status_code": 0, "status_msg": "success"}})

    async def query_v1(self, request: Request) -> Response:
        _authenticate(request)
        task = self.load(request.query_params.get("task_id"))
        if task is None:
            raise invalid("invalid task_id")
        faulted = await self.status_fault(request, task.plan, task.id)
        return faulted or JSONResponse(task.render_v1(self.ctx.clock.now()))

    async def query_v2(self, request: Request) -> Response:
        _authenticate(request)
        task = self.load(request.path_params["task_id"])
        if task is None:
            raise invalid("invalid task_id")
        faulted = await self.status_fault(request, task.plan, task.id)
        return faulted or JSONResponse(task.render_v2(self.ctx.clock.now(), self.base_url))

    async def retrieve(self, request: Request) -> Response:
        _authenticate(request)
        link = self.ctx.store.get(FILE_KIND, request.query_params.get("file_id") or "")
        task = self.load(link["task_id"]) if link else None
        if task is None or task.state(self.ctx.clock.now()) != "completed":
            raise invalid("invalid file_id")
        data = await self.ctx.media.aget(task.video_spec())
        return JSONResponse(task.file_object(self.base_url, len(data)))

    async def serve(self, task: Task | None, request: Request) -> Response:
        now = self.ctx.clock.now()
        if task is None or task.state(now) != "completed":
            raise NO_SUCH_KEY
        if not task.video_available(now):
            raise EXPIRED
        faulted, fault = await self.content_fault(request, task.plan, task.id)
        if faulted is not None:
            return faulted
        data = await self.ctx.media.aget(task.video_spec())
        return truncated(fault, data, self.ctx.clock, "video/mp4") or ranged_response(request, data)

    async def download(self, request: Request) -> Response:
        name = request.path_params["name"]
        link = self.ctx.store.get(FILE_KIND, name[:-4]) if name.endswith(".mp4") else None
        return await self.serve(self.load(link["task_id"]) if link else None, request)

    async def content(self, request: Request) -> Response:
        _authenticate(request)
        return await self.serve(self.load(request.path_params["task_id"]), request)


def _authenticate(request: Request) -> None:
    auth = request.headers.get("authorization", "")
    if not (auth.startswith("Bearer ") and auth[7:].strip()):
        raise MinimaxError(1004)


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
