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

from collections.abc import Awaitable, Callable
from email.utils import formatdate
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...clock import Clock
from ...responses import JSONResponse
from ...scenarios import UnknownScenario
from ..base import EmulatorContext
from ..callbacks import attach
from ..faults import ErrorBody, fault_response, submit_fault_response, truncated
from ..http import journaled, ranged_response, read_json
from . import auth
from .callbacks import build_dispatcher
from .errors import KlingError, fault_body, invalid
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
MAX_BODY = 48 * 1024 * 1024
PAGE_NUM = (1, 1000, 1)  # min, max, default
PAGE_SIZE = (1, 500, 30)
Result = dict[str, Any] | list[Any] | Response
Handler = Callable[[Request, str], Awaitable[Result]]


def build_emulator(ctx: EmulatorContext, options: KlingOptions | None = None) -> Starlette:
    opts = options or KlingOptions()
    keys = opts.key_map()
    base_url = ctx.public_url(SERVICE)
    dispatcher = build_dispatcher(ctx, base_url)

    def new_request_id() -> str:
        return ctx.ids.uuid("kling.request")

    def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Auth, then the handler; its data is wrapped in the envelope, its KlingError rendered."""

        async def endpoint(request: Request) -> Response:
            rid = request.state.rid = new_request_id()
            try:
                account = auth.verify(request.headers.get("authorization"), keys, ctx.clock.now(), opts.leeway)
                result = await handler(request, account)
            except KlingError as err:
                return err.response(rid)
            except UnknownScenario as exc:
                return invalid(str(exc)).response(rid)
            if isinstance(result, Response):  # a scenario fault, already rendered
                return result
            return JSONResponse({"code": 0, "message": "SUCCEED", "request_id": rid, "data": result})

        return endpoint

    def error_body(request: Request) -> ErrorBody:
        return lambda status, code, message: fault_body(status, code, message, request.state.rid)

    def load(kind: str, ident: str, account: str) -> Task:
        doc = ctx.store.get(KIND, ident)
        if doc is None or doc.get("account") != account:
            ref = ctx.store.get(EXTERNAL_KIND, f"{account}:{ident}")
            doc = ctx.store.get(KIND, ref["task_id"]) if ref is not None else None
        if doc is None or doc["account"] != account or doc["type"] != kind:
            raise KlingError(1203, f"task {_clip(ident)} does not exist")
        return Task.from_doc(doc)

    def creator(kind: str) -> Handler:
        async def create(request: Request, account: str) -> Result:
            value, problem = await read_json(request, MAX_BODY)
            prompt = value.get("prompt") if isinstance(value, dict) else None
            # An unknown scenario name is a 1201 like any bad parameter (UnknownScenario, in ``api``).
            ctx.scenarios.select(SERVICE, request.headers, prompt if isinstance(prompt, str) else "")
            faulted = await submit_fault_response(ctx, SERVICE, request.headers, prompt, error_body(request))
            if faulted is not None:
                return faulted
            if problem == "too_large":
                raise KlingError(1200, "Invalid request parameters: the request body is too large", status=413)
            if problem:
                raise KlingError(1200, "Invalid request parameters: the request body is not valid JSON")
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
                dispatcher.watch(task_id)
            return task.created(now)

        return create

    async def get(request: Request, account: str) -> Result:
        task = load(_kind(request), request.path_params["task_id"], account)
        fault = ctx.scenarios.take_fault(task.plan.get("faults") or {}, "poll", task.id)
        faulted = await fault_response(fault, error_body(request), ctx.clock)
        return faulted if faulted is not None else task.render(ctx.clock.now(), base_url)

    async def list_tasks(request: Request, account: str) -> Result:
        kind = _kind(request)
        page = _page_param(request, "pageNum", PAGE_NUM)
        size = _page_param(request, "pageSize", PAGE_SIZE)
        now = ctx.clock.now()
        tasks = [Task.from_doc(d) for d in ctx.store.all(KIND) if d["account"] == account and d["type"] == kind]
        return [t.render(now, base_url) for t in tasks[(page - 1) * size : page * size]]

    async def video_file(request: Request) -> Response:
        rid = new_request_id()
        doc = ctx.store.get(KIND, request.path_params["task_id"])
        task = Task.from_doc(doc) if doc is not None else None
        now = ctx.clock.now()
        if task is None or request.path_params["name"] != f"{task.video_id}.mp4" or task.status_at(now) != "succeed":
            return KlingError(1203, "The requested video does not exist").response(rid)
        if not task.media_available(now):
            return KlingError(
                1203, "The requested video has been deleted: generated media are kept for 30 days"
            ).response(rid)
        fault = ctx.scenarios.take_fault(task.plan.get("faults") or {}, "content", task.id)
        faulted = await fault_response(fault, lambda s, c, m: fault_body(s, c, m, rid), ctx.clock)
        if faulted is not None:
            return faulted
        data = await ctx.media.aget(task.video_spec())
        return truncated(fault, data, ctx.clock, "video/mp4") or ranged_response(request, data)

    async def no_route(request: Request, exc: Exception) -> Response:
        return KlingError(1202).response(new_request_id())

    routes = [Route(f"/v1/videos/{kind}", api(creator(kind)), methods=["POST"]) for kind in TYPES] + [
        Route("/v1/videos/{type}", api(list_tasks), methods=["GET"]),
        Route("/v1/videos/{type}/{task_id}", api(get), methods=["GET"]),
        Route("/files/{task_id}/{name}", video_file, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: no_route, 405: no_route})
    app.add_middleware(DateHeader, clock=ctx.clock)
    journaled(app, SERVICE, ctx)
    attach(app, dispatcher)
    dispatcher.start()  # a restart with a durable store resumes pending callbacks
    return app


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
