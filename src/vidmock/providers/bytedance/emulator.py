"""The BytePlus ModelArk (Seedance) emulator: routes and the HTTP adapter over ``models``.

Wire format per providers.md §4: the real base is ``…/api/v3``, so the task routes live under
``/api/v3/contents/generations/tasks``; ``Authorization: Bearer <key>`` (any non-empty key);
ModelArk's error envelope with an ``X-Request-Id`` header on every API answer. Generated videos are
served from ``/files/{task_id}.mp4`` (no auth, like a signed object URL) with byte ranges, for
about 24 h of clock time after the task succeeded; after that the URL answers 403.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..base import EmulatorContext
from ..http import JournalMiddleware, read_json
from ...ranges import Unsatisfiable, parse_range
from .errors import AUTHENTICATION, ArkError, invalid, model_not_found, task_not_found
from .models import KIND, QUEUE_SECONDS, Task, parse_create_body, render_video, resolve_seed, task_id, validate_create

SERVICE = "bytedance"
MAX_BODY = 64 * 1024 * 1024
TASKS = "/api/v3/contents/generations/tasks"
LIST_STATUSES = ("queued", "running", "cancelled", "succeeded", "failed", "expired")
MAX_PAGE_SIZE = 500  # chosen


def build_emulator(ctx: EmulatorContext) -> Starlette:
    base_url = ctx.public_url(SERVICE)

    def request_id() -> str:
        # "Request id: 0217…" (§4.4): 0217 + milliseconds + hex (chosen beyond the prefix).
        return f"0217{int(ctx.clock.now() * 1000)}{ctx.ids.new('bytedance.request', 24, '0123456789abcdef')}"

    def api(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            rid = request_id()
            try:
                _authenticate(request)
                body, status = await handler(request)
            except ArkError as err:
                return err.response(rid)
            return JSONResponse(body, status_code=status, headers={"X-Request-Id": rid})
        return endpoint

    def load(tid: str) -> Task:
        doc = ctx.store.get(KIND, tid)
        if doc is None:
            raise task_not_found(tid)
        return Task.from_doc(doc)

    async def create(request: Request) -> tuple[dict[str, Any], int]:
        value, problem = await read_json(request, MAX_BODY)
        if problem == "too_large":
            raise ArkError(413, "InvalidParameter", "The request body is too large.")
        if problem:
            raise invalid("body", "the request body is not valid JSON")
        model, spec, body = parse_create_body(value)
        if spec is None:
            raise model_not_found(model)
        fields = validate_create(spec, body)
        now = ctx.clock.now()
        tid = task_id(now, ctx.ids.new("bytedance.task", 5, "0123456789abcdefghijklmnopqrstuvwxyz"),
                      fields["service_tier"])
        fields["seed"] = resolve_seed(fields["seed"], tid)
        task = Task(id=tid, model=model, created_at=now, queue=QUEUE_SECONDS[fields["service_tier"]],
                    latency=float(ctx.config.latency.get(model, spec.latency)), **fields)
        ctx.store.put(KIND, tid, task.to_doc())
        return {"id": tid}, 200

    async def get(request: Request) -> tuple[dict[str, Any], int]:
        return load(request.path_params["task_id"]).render(ctx.clock.now(), base_url), 200

    async def list_tasks(request: Request) -> tuple[dict[str, Any], int]:
        q = request.query_params
        page_num = _int_param(q.get("page_num"), "page_num", 1, 1, None)
        page_size = _int_param(q.get("page_size"), "page_size", 10, 1, MAX_PAGE_SIZE)
        status = q.get("filter.status")
        if status is not None and status not in LIST_STATUSES:
            raise invalid("filter.status", f"expected one of {', '.join(LIST_STATUSES)}, but received {status!r}")
        model, tier = q.get("filter.model"), q.get("filter.service_tier")
        ids = set(q.getlist("filter.task_ids"))
        now = ctx.clock.now()
        items = []
        for doc in ctx.store.all(KIND):  # newest first
            task = Task.from_doc(doc)
            if (model and task.model != model) or (tier and task.service_tier != tier) or (ids and task.id not in ids):
                continue
            rendered = task.render(now, base_url)
            if status and rendered["status"] != status:
                continue
            items.append(rendered)
        start = (page_num - 1) * page_size
        return {"total": len(items), "items": items[start:start + page_size]}, 200

    async def delete(request: Request) -> tuple[dict[str, Any], int]:
        # Queued → cancelled; terminal → record deleted (§4.1). A running task can be neither
        # (presumed in the reference). 400 InvalidParameter is chosen: not 409, which the SDK retries.
        task = load(request.path_params["task_id"])
        now = ctx.clock.now()
        status, _ = task.status_at(now)
        if status == "queued":
            task.cancelled_at = now
            ctx.store.put(KIND, task.id, task.to_doc())
        elif status == "running":
            raise invalid("id", f"the task {task.id} is running and cannot be cancelled or deleted")
        else:
            ctx.store.delete(KIND, task.id)
        return {}, 200

    async def video_file(request: Request) -> Response:
        name = request.path_params["name"]
        doc = ctx.store.get(KIND, name[:-4]) if name.endswith(".mp4") else None
        if doc is None:
            return _tos_error(404, "NoSuchKey", "The specified key does not exist.")
        task = Task.from_doc(doc)
        now = ctx.clock.now()
        if task.status_at(now)[0] != "succeeded":
            return _tos_error(404, "NoSuchKey", "The specified key does not exist.")
        if not task.video_available(now):
            return _tos_error(403, "AccessDenied", "Request has expired.")
        data = await run_in_threadpool(render_video, task, ctx.media)
        headers = {"Accept-Ranges": "bytes", "Content-Type": "video/mp4"}
        try:
            part = parse_range(request.headers.get("range"), len(data), request.headers.get("if-range"))
        except Unsatisfiable:
            return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{len(data)}"})
        if part is None:
            return Response(data, headers=headers)
        return Response(data[part.start:part.end + 1], status_code=206,
                        headers={**headers, "Content-Range": f"bytes {part.start}-{part.end}/{len(data)}"})

    routes = [
        Route(TASKS, api(create), methods=["POST"]),
        Route(TASKS, api(list_tasks), methods=["GET"]),
        Route(TASKS + "/{task_id}", api(get), methods=["GET"]),
        Route(TASKS + "/{task_id}", api(delete), methods=["DELETE"]),
        Route("/files/{name}", video_file, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(JournalMiddleware, service=SERVICE, journal=ctx.journal, clock=ctx.clock)
    return app


def _authenticate(request: Request) -> None:
    auth = request.headers.get("authorization", "")
    if not (auth.startswith("Bearer ") and auth[7:].strip()):
        raise AUTHENTICATION


def _int_param(raw: str | None, name: str, default: int, lo: int, hi: int | None) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = lo - 1
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise invalid(name, f"expected an integer {bound}, but received {raw!r}")
    return value


def _tos_error(status: int, code: str, message: str) -> Response:
    """The object store's answer for a missing or expired video URL (shape chosen: the reference
    gives none)."""
    return JSONResponse({"Code": code, "Message": message}, status_code=status)
