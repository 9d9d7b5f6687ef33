"""The BytePlus ModelArk (Seedance) emulator: routes and the HTTP adapter over ``models``.

Wire format per providers.md §4: the real base is ``…/api/v3``, so the task routes live under
``/api/v3/contents/generations/tasks``; ``Authorization: Bearer <key>`` (any non-empty key);
ModelArk's error envelope with an ``X-Request-Id`` header on every API answer. Generated videos are
served from ``/files/{task_id}.mp4`` (no auth, like a signed object URL) with byte ranges, for
about 24 h of clock time after the task succeeded (or the scenario's ``content.expires_after``);
after that the URL answers 403.

Scenarios (vidmock.scenarios): a create takes the submit fault (rendered in Ark's envelope, with the
request id) and stores the task's plan; a task GET takes the poll faults and the video URL the
content faults (in the object store's error shape).

A task created with ``callback_url`` is tracked by the callback dispatcher (``callbacks``), which
posts the task on each status change.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...ranges import Unsatisfiable, parse_range
from ...responses import JSONResponse
from ..callbacks import CallbackDispatcher
from ..faults import truncated
from ..http import bearer_token
from ..kit import Emulator, ProviderError
from ..kit.errors import EXPIRED, NO_SUCH_KEY
from . import callbacks, drafts
from .errors import AUTHENTICATION, ArkError, fault_error, invalid, model_not_found, task_not_found
from .models import (
    KIND,
    QUEUE_SECONDS,
    ModelSpec,
    Task,
    default_steps,
    render_video,
    resolve_seed,
    scenario_prompt,
    task_id,
)
from .params import parse_create_body, validate_create

SERVICE = "bytedance"
TASKS = "/api/v3/contents/generations/tasks"
LIST_STATUSES = ("queued", "running", "cancelled", "succeeded", "failed", "expired")
MAX_PAGE_SIZE = 500  # chosen


class ArkEmulator(Emulator):
    service = SERVICE
    max_body = 64 * 1024 * 1024
    request_id_header = "X-Request-Id"
    submit_path = TASKS

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.dispatcher = callbacks.build_dispatcher(ctx, self.base_url)
        self.drafts = bool(getattr(ctx.config, "seedance_draft", False))  # changes-2026-12.md §4.6

    def routes(self) -> list[BaseRoute]:
        return [
            Route(TASKS, self.create, methods=["POST"]),
            Route(TASKS, self.list_tasks, methods=["GET"]),
            Route(TASKS + "/{task_id}", self.get, methods=["GET"]),
            Route(TASKS + "/{task_id}", self.delete, methods=["DELETE"]),
            Route("/files/{name}", self.video_file, methods=["GET"]),
        ]

    def error(self, status: int, code: str | None, message: str | None) -> ArkError:
        # Unknown routes and methods: Ark's envelope with §4.4's code for the status (chosen: the
        # reference shows no answer for an unknown path).
        return fault_error(status, code, message)

    def route_not_found(self, request: Request) -> ArkError:
        return ArkError(404, "InvalidEndpoint.NotFound", f"The requested path {request.url.path} is not found.")

    def unreadable(self, request: Request, problem: Any) -> ProviderError:
        if problem.status == 413:
            return self.too_large()
        return invalid("body", "the request body is not valid JSON")

    def too_large(self) -> ArkError:
        return ArkError(413, "InvalidParameter", "The request body is too large.")

    def unknown_scenario(self, exc: Exception) -> ArkError:
        return ArkError(400, "InvalidParameter", str(exc), "X-Vidmock-Scenario")

    def new_request_id(self) -> str:
        # "Request id: 0217…" (§4.4): 0217 + milliseconds + hex (chosen beyond the prefix).
        ctx = self.ctx
        return f"0217{int(ctx.clock.now() * 1000)}{ctx.ids.new('bytedance.request', 24, '0123456789abcdef')}"

    def callbacks(self) -> CallbackDispatcher:
        return self.dispatcher

    def load(self, tid: str) -> Task:
        doc = self.ctx.store.get(KIND, tid)
        if doc is None:
            raise task_not_found(tid)
        return Task.from_doc(doc)

    async def create(self, request: Request) -> Response:
        _authenticate(request)
        ctx = self.ctx
        value, faulted = await self.submit_body(request, lambda v: scenario_prompt(_prompt(v), ctx.scenarios.catalogue))
        if faulted is not None:
            return faulted
        model, spec, body = parse_create_body(value)
        if spec is None:
            raise model_not_found(model)
        now = ctx.clock.now()
        fields = self.fields_for(model, spec, body, now)
        tid = task_id(
            now, ctx.ids.new("bytedance.task", 5, "0123456789abcdefghijklmnopqrstuvwxyz"), fields["service_tier"]
        )
        fields["seed"] = resolve_seed(fields["seed"], tid)
        queue, latency = QUEUE_SECONDS[fields["service_tier"]], float(ctx.config.latency.get(model, spec.latency))
        plan = ctx.scenarios.plan(
            SERVICE, request.headers, scenario_prompt(fields["prompt"], ctx.scenarios.catalogue), latency, tid
        )
        if plan.scenario is None or not ctx.scenarios.catalogue[plan.scenario].timeline:
            plan.steps = default_steps(queue, latency)  # Ark's own queue per service tier
        task = Task(id=tid, model=model, created_at=now, queue=queue, latency=latency, plan=plan.to_doc(), **fields)
        ctx.store.put(KIND, tid, task.to_doc())
        if task.callback_url:
            self.dispatcher.watch(tid)
        return JSONResponse({"id": tid})

    def fields_for(self, model: str, spec: ModelSpec, body: dict[str, Any], now: float) -> dict[str, Any]:
        """A create's task fields; with ``seedance_draft``, Seedance 2.5 drafts and their finals."""
        if not self.drafts:
            return validate_create(spec, body)
        draft_id = drafts.draft_reference(body)
        if draft_id is None:
            return drafts.create_draft(model, spec, body)
        doc = self.ctx.store.get(KIND, draft_id)
        return drafts.finalise(model, spec, None if doc is None else Task.from_doc(doc), draft_id, body, now)

    async def get(self, request: Request) -> Response:
        _authenticate(request)
        task = self.load(request.path_params["task_id"])
        faulted = await self.status_fault(request, task.plan, task.id)
        return faulted or JSONResponse(task.render(self.ctx.clock.now(), self.base_url))

    async def list_tasks(self, request: Request) -> Response:
        _authenticate(request)
        q = request.query_params
        page_num = _int_param(q.get("page_num"), "page_num", 1, 1, None)
        page_size = _int_param(q.get("page_size"), "page_size", 10, 1, MAX_PAGE_SIZE)
        status = q.get("filter.status")
        if status is not None and status not in LIST_STATUSES:
            raise invalid("filter.status", f"expected one of {', '.join(LIST_STATUSES)}, but received {status!r}")
        model, tier = q.get("filter.model"), q.get("filter.service_tier")
        ids = set(q.getlist("filter.task_ids"))
        now = self.ctx.clock.now()
        items = []
        for doc in self.ctx.store.all(KIND):  # newest first
            task = Task.from_doc(doc)
            if (model and task.model != model) or (tier and task.service_tier != tier) or (ids and task.id not in ids):
                continue
            rendered = task.render(now, self.base_url)
            if status and rendered["status"] != status:
                continue
            items.append(rendered)
        start = (page_num - 1) * page_size
        return JSONResponse({"total": len(items), "items": items[start : start + page_size]})

    async def delete(self, request: Request) -> Response:
        # Queued → cancelled; terminal → record deleted (§4.1). A running task can be neither
        # (presumed in the reference). 400 InvalidParameter is chosen: not 409, which the SDK retries.
        _authenticate(request)
        task = self.load(request.path_params["task_id"])
        now = self.ctx.clock.now()
        status, _ = task.status_at(now)
        if status == "queued":
            task.cancelled_at = now
            self.ctx.store.put(KIND, task.id, task.to_doc())
        elif status == "running":
            raise invalid("id", f"the task {task.id} is running and cannot be cancelled or deleted")
        else:
            self.ctx.store.delete(KIND, task.id)
        return JSONResponse({})

    async def video_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        doc = self.ctx.store.get(KIND, name[:-4]) if name.endswith(".mp4") else None
        if doc is None:
            raise NO_SUCH_KEY
        task = Task.from_doc(doc)
        now = self.ctx.clock.now()
        if task.status_at(now)[0] != "succeeded":
            raise NO_SUCH_KEY
        if not task.video_available(now):
            raise EXPIRED
        faulted, fault = await self.content_fault(request, task.plan, task.id, _tos_body)
        if faulted is not None:
            return faulted
        data = await run_in_threadpool(render_video, task, self.ctx.media)
        headers = {"Accept-Ranges": "bytes", "Content-Type": "video/mp4"}
        try:
            part = parse_range(request.headers.get("range"), len(data), request.headers.get("if-range"))
        except Unsatisfiable:
            return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{len(data)}"})
        status, body = (200, data) if part is None else (206, data[part.start : part.end + 1])
        if part is not None:
            headers["Content-Range"] = f"bytes {part.start}-{part.end}/{len(data)}"
        cut = truncated(fault, body, self.ctx.clock, "video/mp4")
        if cut is not None:
            cut.status_code = status
            cut.headers.update(headers)
            return cut
        return Response(body, status_code=status, headers=headers)


def _authenticate(request: Request) -> None:
    if not bearer_token(request):
        raise AUTHENTICATION


def _int_param(raw: str | None, name: str, default: int, lo: int, hi: int | None) -> int:
    if raw is None:
        return default
    try:
        value = int(raw) if len(raw) <= 20 else lo - 1  # int() refuses over 4,300 digits
    except ValueError:
        value = lo - 1
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise invalid(name, f"expected an integer {bound}, but received {raw!r}")
    return value


_TOS_FAULTS = {
    403: ("AccessDenied", "Access Denied."),
    404: ("NoSuchKey", "The specified key does not exist."),
    429: ("TooManyRequests", "Request rate exceeded, please slow down."),
    503: ("ServiceUnavailable", "Service is unavailable, please try again later."),
}


def _tos_body(status: int, code: str | None, message: str | None) -> dict[str, Any]:
    """A scenario fault on the video URL, in the object store's shape (texts chosen)."""
    default_code, default_message = _TOS_FAULTS.get(status, ("InternalError", "We encountered an internal error."))
    return {"Code": code or default_code, "Message": message or default_message}


def _prompt(value: Any) -> str:
    """The text item of a create body, for a `[scenario:NAME]` marker (before the body is validated)."""
    items = value.get("content") if isinstance(value, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("type") == "text" and isinstance(item.get("text"), str):
            return str(item["text"])
    return ""
