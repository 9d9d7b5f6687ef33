"""The Kling AI (direct API) emulator: routes and the HTTP adapter over ``models`` and ``params``.

Wire format per providers.md §5 (base ``https://api.klingai.com`` / ``api-singapore.klingai.com``):

* ``POST /v1/videos/text2video`` and ``POST /v1/videos/image2video`` create a task;
* ``GET /v1/videos/{type}/{id}`` reads one (``id`` is the task id or the caller's
  ``external_task_id``, as the docs allow either); a task is only found under its own type;
* ``GET /v1/videos/{type}?pageNum=&pageSize=`` lists the account's tasks of that type, newest first
  (pageNum 1–1000, default 1; pageSize 1–500, default 30);
* every API answer is ``{code, message, request_id, data}``; success is ``code 0, "SUCCEED"``;
  errors carry the HTTP status of the official table (``errors``). An unknown path or method is
  404 / 1202. A body over 48 MB is 413 / 1200 (status chosen: the table has no 413).
* Auth: ``Authorization: Bearer <HS256 JWT>`` checked against the configured AccessKey/SecretKey pairs
  (``auth.verify``) on the emulator's clock. Every answer carries a ``Date`` header from that clock,
  as HTTP servers do, so a client can see the server's time (``client`` corrects its skew with it).
* ``task_result.videos[].url`` → ``/files/{task_id}/{video_id}.mp4``: the MP4 with byte ranges, no
  auth (a CDN URL), 404 before the task succeeded and once the media is deleted (30 days).

Scenarios: a create takes the submit fault (in Kling's envelope), a task GET the poll faults, the
video URL the content faults (including ``truncate``). Prompt markers: ``[vidmock:input_moderation]``
is a 400 / 1301 at create; ``[vidmock:output_moderation]`` (without a scenario) makes the task fail
after running with a risk-control ``task_status_msg``. ``callback_url`` posts: ``callbacks``.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...clock import Clock
from ...responses import JSONResponse
from ...scenarios import UnknownScenario
from ..base import EmulatorContext
from ..callbacks import CallbackDispatcher
from ..faults import ErrorBody, truncated
from ..http import ranged_response
from ..kit import BadBody, Emulator
from . import auth
from .callbacks import build_dispatcher
from .errors import STATUS_CODES, KlingError, fault_body, invalid
from .models import (
    EXTERNAL_KIND,
    KIND,
    OUTPUT_MODERATION_MARKER,
    RISK_CONTROL,
    TYPES,
    KlingOptions,
    Task,
    latency,
    moderation_steps,
)
from .params import parse_create

SERVICE = "kling"
PAGE_NUM = (1, 1000, 1)  # min, max, default
PAGE_SIZE = (1, 500, 30)


class KlingEmulator(Emulator):
    service = SERVICE
    max_body = 48 * 1024 * 1024
    submit_path = "/v1/videos/text2video"

    def example_headers(self) -> dict[str, str]:
        access, secret = self.opts.keys[0]
        return {"Authorization": f"Bearer {auth.encode(access, secret, self.ctx.clock.now())}"}

    def __init__(self, ctx: EmulatorContext, options: KlingOptions | None = None) -> None:
        super().__init__(ctx)
        self.opts = options or KlingOptions()
        self.keys = self.opts.key_map()
        self.dispatcher = build_dispatcher(ctx, self.base_url)

    def routes(self) -> list[BaseRoute]:
        return [
            *(Route(f"/v1/videos/{kind}", self.create, methods=["POST"]) for kind in TYPES),
            Route("/v1/videos/{type}", self.list_tasks, methods=["GET"]),
            Route("/v1/videos/{type}/{task_id}", self.get, methods=["GET"]),
            Route("/files/{task_id}/{name}", self.video_file, methods=["GET"]),
        ]

    def wrap(self, app: ASGIApp) -> ASGIApp:
        return DateHeader(app, self.ctx.clock)

    def callbacks(self) -> CallbackDispatcher:
        return self.dispatcher

    def error(self, status: int, code: str | None, message: str | None) -> KlingError:
        wire = (
            int(code)
            if code is not None and code.isdigit()
            else STATUS_CODES.get(status, 5000 if status >= 500 else 1200)
        )
        return KlingError(wire, message, status)

    def fault_body(self, request: Request) -> ErrorBody:
        # Kling's codes are integers; a scenario's other code strings are passed through (``fault_body``).
        return lambda status, code, message: fault_body(status, code, message, self.request_id(request) or "")

    def route_not_found(self, request: Request) -> KlingError:
        return KlingError(1202)  # 404 / 1202 "invalid method", the table's answer (§5.4)

    def method_not_allowed(self, request: Request) -> KlingError:
        return KlingError(1202)

    def too_large(self) -> KlingError:
        # Status chosen: the table has no 413.
        return KlingError(1200, "Invalid request parameters: the request body is too large", status=413)

    def unreadable(self, request: Request, problem: BadBody) -> KlingError:
        if problem.status == 413:
            return self.too_large()
        return KlingError(1200, "Invalid request parameters: the request body is not valid JSON")

    def unknown_scenario(self, exc: UnknownScenario) -> KlingError:
        return invalid(str(exc))  # a 1201 like any bad parameter

    def new_request_id(self) -> str:
        return self.ctx.ids.uuid("kling.request")

    def account(self, request: Request) -> str:
        """The request id first (every API answer carries one), then the JWT check."""
        self.request_id(request)
        return auth.verify(request.headers.get("authorization"), self.keys, self.ctx.clock.now(), self.opts.leeway)

    def ok(self, request: Request, data: Any) -> Response:
        return JSONResponse({"code": 0, "message": "SUCCEED", "request_id": self.request_id(request), "data": data})

    def load(self, kind: str, ident: str, account: str) -> Task:
        store = self.ctx.store
        doc = store.get(KIND, ident)
        if doc is None or doc.get("account") != account:
            ref = store.get(EXTERNAL_KIND, f"{account}:{ident}")
            doc = store.get(KIND, ref["task_id"]) if ref is not None else None
        if doc is None or doc["account"] != account or doc["type"] != kind:
            raise KlingError(1203, f"task {_clip(ident)} does not exist")
        return Task.from_doc(doc)

    async def create(self, request: Request) -> Response:
        kind = request.url.path.rsplit("/", 1)[-1]  # one route per type in TYPES
        account = self.account(request)
        ctx, opts = self.ctx, self.opts
        value, problem = await self.read_json(request)
        prompt = value.get("prompt") if isinstance(value, dict) else None
        # An unknown scenario name is a 1201 like any bad parameter (``unknown_scenario``).
        ctx.scenarios.select(SERVICE, request.headers, prompt if isinstance(prompt, str) else "")
        faulted = await self.submit_fault(request, prompt)
        if faulted is not None:
            return faulted
        if problem is not None:
            raise problem
        fields = parse_create(kind, value, opts)
        external = fields["external_task_id"]
        if external is not None and ctx.store.get(EXTERNAL_KIND, f"{account}:{external}") is not None:
            raise invalid(f"external_task_id {external} already exists")
        now = ctx.clock.now()
        task_id = "8" + ctx.ids.new("kling.task", 17, "0123456789")  # 18 digits, like 827996385395363846
        seconds = latency(fields["model_name"], fields["mode"], fields["duration"], ctx.config.latency)
        plan = ctx.scenarios.plan(SERVICE, request.headers, fields["prompt"], seconds, task_id)
        if plan.scenario is None and OUTPUT_MODERATION_MARKER in fields["prompt"]:
            plan.steps, plan.error = moderation_steps(seconds), {"message": RISK_CONTROL}
        task = Task(
            id=task_id,
            type=kind,
            account=account,
            video_id=ctx.ids.uuid("kling.video"),
            seed=plan.seed,
            created_at=now,
            plan=plan.to_doc(),
            **fields,
        )
        ctx.store.put(KIND, task_id, task.to_doc())
        if external is not None:
            ctx.store.put(EXTERNAL_KIND, f"{account}:{external}", {"task_id": task_id})
        if task.callback_url:
            self.dispatcher.watch(task_id)
        return self.ok(request, task.created(now))

    async def get(self, request: Request) -> Response:
        account = self.account(request)
        task = self.load(_kind(request), request.path_params["task_id"], account)
        faulted = await self.status_fault(request, task.plan, task.id)
        return faulted or self.ok(request, task.render(self.ctx.clock.now(), self.base_url))

    async def list_tasks(self, request: Request) -> Response:
        account = self.account(request)
        kind = _kind(request)
        page = _page_param(request, "pageNum", PAGE_NUM)
        size = _page_param(request, "pageSize", PAGE_SIZE)
        now = self.ctx.clock.now()
        tasks = [Task.from_doc(d) for d in self.ctx.store.all(KIND) if d["account"] == account and d["type"] == kind]
        return self.ok(request, [t.render(now, self.base_url) for t in tasks[(page - 1) * size : page * size]])

    async def video_file(self, request: Request) -> Response:
        self.request_id(request)
        doc = self.ctx.store.get(KIND, request.path_params["task_id"])
        task = Task.from_doc(doc) if doc is not None else None
        now = self.ctx.clock.now()
        if task is None or request.path_params["name"] != f"{task.video_id}.mp4" or task.status_at(now) != "succeed":
            raise KlingError(1203, "The requested video does not exist")
        if not task.media_available(now):
            raise KlingError(1203, "The requested video has been deleted: generated media are kept for 30 days")
        faulted, fault = await self.content_fault(request, task.plan, task.id)
        if faulted is not None:
            return faulted
        data = await self.ctx.media.aget(task.video_spec())
        return truncated(fault, data, self.ctx.clock, "video/mp4") or ranged_response(request, data)


class DateHeader:
    """Sets ``Date`` from the emulator's clock (RFC 9110 §6.6.1): the server's notion of now."""

    def __init__(self, app: ASGIApp, clock: Clock) -> None:
        self.app, self.clock = app, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_date(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", formatdate(self.clock.now(), usegmt=True).encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_date)


def _kind(request: Request) -> str:
    kind = request.path_params["type"]
    if kind not in TYPES:
        raise KlingError(1202)
    return str(kind)


def _page_param(request: Request, name: str, bounds: tuple[int, int, int]) -> int:
    low, high, default = bounds
    raw = request.query_params.get(name)
    if raw is None:
        return default
    text = raw.strip()
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else 0
    if not low <= value <= high:
        raise invalid(f"{name} must be an integer between {low} and {high}, got {_clip(raw)}")
    return value


def _clip(text: str, limit: int = 64) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
