"""The Avalanche emulator: a stealth reseller with a Kie-style API (gateway.md §5.3 "Avalanche").

Routes (all ``Authorization: Bearer <key>``, any non-empty key; every reply HTTP 200 with
``{code, msg, data}``, failures as a ``code`` other than 200):

- Veo: ``POST /api/v1/veo/generate``, ``GET /api/v1/veo/record-info?taskId=``,
  ``GET /api/v1/veo/get-1080p-video?taskId=&index=0``, ``POST /api/v1/veo/get-4k-video``;
- Sora: ``POST /api/v1/jobs/createTask``, ``GET /api/v1/jobs/recordInfo?taskId=``;
- ``POST /api/file-base64-upload`` (Kie serves it from a separate upload host; here the same root);
- ``GET /files/{task}/{video|1080p|4k}.mp4`` and ``GET /files/uploads/{id}/{name}``: no auth (like a
  CDN URL), byte ranges, 404 before the file exists or after it expired.

Scenarios: the submit fault at generate/createTask, the poll faults at record-info/recordInfo, the
content faults at the video files; a scenario written for another provider is ignored (``scenario``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...responses import JSONResponse
from ...scenarios import UnknownScenario
from ..base import EmulatorContext
from ..faults import fault_response, submit_fault_response, truncated
from ..http import bearer_token, journaled, ranged_response, read_json
from .errors import UNAUTHORIZED, KieError, fault_body, invalid, record_null
from .models import DEFAULT_LATENCY, FILES, KIND, UPLOAD_KIND, UPLOAD_TTL, Task
from .params import EXTENSIONS, parse_sora, parse_upload, parse_veo

SERVICE = "avalanche"

MAX_BODY = 64 * 1024 * 1024
HEX = "0123456789abcdef"
Handler = Callable[[Request], Awaitable[Any]]


def ok(data: Any, msg: str = "success") -> dict[str, Any]:
    return {"code": 200, "msg": msg, "data": data}


def build_emulator(ctx: EmulatorContext) -> Starlette:
    base_url = ctx.public_url(SERVICE)

    def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                if not bearer_token(request):
                    raise UNAUTHORIZED
                result = await handler(request)
            except KieError as err:
                return err.response()
            except UnknownScenario as exc:
                return KieError(422, str(exc)).response()
            return result if isinstance(result, Response) else JSONResponse(result)

        return endpoint

    async def body_of(request: Request) -> Any:
        value, problem = await read_json(request, MAX_BODY)
        if problem == "too_large":
            raise KieError(413)
        if problem:
            raise invalid("request body is not valid JSON")
        return value

    def load(request: Request, variant: str) -> Task:
        task_id = request.query_params.get("taskId") or ""
        doc = ctx.store.get(KIND, task_id) if task_id else None
        if doc is None or doc["variant"] != variant:
            raise record_null()
        return Task.from_doc(doc)

    async def submit(request: Request, variant: str) -> Any:
        body = await body_of(request)
        headers, prompt = request.headers, _prompt_of(body, variant)
        faulted = await submit_fault_response(
            ctx, SERVICE, headers, prompt, fault_body, raise_unknown=True
        )  # `{code: 422, msg}` in a 200, below
        if faulted is not None:
            return faulted
        fields = parse_veo(body) if variant == "veo" else parse_sora(body)
        task_id = ctx.ids.new("avalanche.task", 32, HEX)
        latency = float(ctx.config.latency.get(fields["model"], DEFAULT_LATENCY[fields["model"]]))
        plan = ctx.scenarios.plan(SERVICE, headers, prompt, latency, task_id)
        task = Task(id=task_id, variant=variant, created_at=ctx.clock.now(), params=body, plan=plan.to_doc(), **fields)
        ctx.store.put(KIND, task_id, task.to_doc())
        return ok({"taskId": task_id})

    async def record(request: Request, variant: str) -> Any:
        task = load(request, variant)
        fault = ctx.scenarios.take_fault(task.plan.get("faults") or {}, "poll", task.id)
        faulted = await fault_response(fault, fault_body, ctx.clock)
        if faulted is not None:
            return faulted
        now = ctx.clock.now()
        return ok(task.veo_record(now, base_url) if variant == "veo" else task.sora_record(now, base_url))

    def upgradable(task: Task, now: float) -> None:
        if task.status(now) in ("queued", "in_progress"):
            raise invalid("The video is still being generated. Please try again after it succeeds.")
        if not task.succeeded(now):
            raise KieError(400, "The original video generation did not succeed; no upgrade is available.")

    async def get_1080p(request: Request) -> Any:
        task = load(request, "veo")
        if request.query_params.get("index", "0") != "0":
            raise invalid("index out of range")
        now = ctx.clock.now()
        upgradable(task, now)
        if not task.file_ready("1080p.mp4", now):
            raise invalid("1080P is processing. It should be ready in 1-2 minutes. Please check back shortly.")
        return ok({"resultUrl": task.file_url(base_url, "1080p.mp4")})

    async def get_4k(request: Request) -> Any:
        body = await body_of(request)
        task_id = body.get("taskId") if isinstance(body, dict) else None
        doc = ctx.store.get(KIND, task_id) if isinstance(task_id, str) and task_id else None
        if doc is None or doc["variant"] != "veo":
            raise record_null()
        if body.get("index", 0) != 0:
            raise invalid("index out of range")
        task, now = Task.from_doc(doc), ctx.clock.now()
        upgradable(task, now)
        pending = {"taskId": task.id, "resultUrls": None, "imageUrls": None}
        if task.upgrade_4k_at is None:  # the first request orders the 4K render (and its credits)
            task.upgrade_4k_at = now
            ctx.store.put(KIND, task.id, task.to_doc())
            return ok(pending)
        if not task.file_ready("4k.mp4", now):
            raise KieError(
                422, "4k is processing. It should be ready in 5-10 minutes. Please check back shortly.", pending
            )
        return ok({**pending, "resultUrls": [task.file_url(base_url, "4k.mp4")]})

    async def upload(request: Request) -> Any:
        data, mime, path, name = parse_upload(await body_of(request))
        upload_id = ctx.ids.new("avalanche.upload", 24, HEX)
        name = name or f"{upload_id}.{EXTENSIONS.get(mime, 'bin')}"
        now = ctx.clock.now()
        ctx.store.put(
            UPLOAD_KIND, upload_id, {"blob": ctx.store.put_blob(data), "mime": mime, "name": name, "created_at": now}
        )
        url = f"{base_url}/files/uploads/{upload_id}/{name}"
        return {
            "success": True,
            "code": 200,
            "msg": "File uploaded successfully",
            "data": {
                "fileName": name,
                "filePath": f"{path}/{name}",
                "downloadUrl": url,
                "fileUrl": url,
                "fileSize": len(data),
                "mimeType": mime,
                "uploadedAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now)),
            },
        }

    async def video_file(request: Request) -> Response:
        task_id, name = request.path_params["task_id"], request.path_params["name"]
        doc = ctx.store.get(KIND, task_id)
        now = ctx.clock.now()
        task = Task.from_doc(doc) if doc is not None and name in FILES else None
        if task is None or not task.file_ready(name, now) or task.expired(now):
            return _missing()
        fault = ctx.scenarios.take_fault(task.plan.get("faults") or {}, "content", task.id)
        faulted = await fault_response(fault, fault_body, ctx.clock)
        if faulted is not None:
            return faulted
        data = await ctx.media.aget(task.video_spec(name))
        return truncated(fault, data, ctx.clock, "video/mp4") or ranged_response(request, data, "video/mp4")

    async def upload_file(request: Request) -> Response:
        doc = ctx.store.get(UPLOAD_KIND, request.path_params["upload_id"])
        if (
            doc is None
            or doc["name"] != request.path_params["name"]
            or ctx.clock.now() >= doc["created_at"] + UPLOAD_TTL
        ):
            return _missing()
        data = ctx.store.get_blob(doc["blob"])
        return _missing() if data is None else ranged_response(request, data, doc["mime"])

    routes = [
        Route("/api/v1/veo/generate", api(lambda r: submit(r, "veo")), methods=["POST"]),
        Route("/api/v1/veo/record-info", api(lambda r: record(r, "veo")), methods=["GET"]),
        Route("/api/v1/veo/get-1080p-video", api(get_1080p), methods=["GET"]),
        Route("/api/v1/veo/get-4k-video", api(get_4k), methods=["POST"]),
        Route("/api/v1/jobs/createTask", api(lambda r: submit(r, "sora")), methods=["POST"]),
        Route("/api/v1/jobs/recordInfo", api(lambda r: record(r, "sora")), methods=["GET"]),
        Route("/api/file-base64-upload", api(upload), methods=["POST"]),
        Route("/files/uploads/{upload_id}/{name}", upload_file, methods=["GET"]),
        Route("/files/{task_id}/{name}", video_file, methods=["GET"]),
    ]
    return journaled(Starlette(routes=routes), SERVICE, ctx)


def _prompt_of(body: Any, variant: str) -> str:
    """The prompt, for a ``[scenario:NAME]`` marker, before the body is validated."""
    holder = body if variant == "veo" else (body.get("input") if isinstance(body, dict) else None)
    value = holder.get("prompt") if isinstance(holder, dict) else None
    return value if isinstance(value, str) else ""


def _missing() -> Response:
    return JSONResponse({"code": 404, "msg": "File not found", "data": None}, status_code=404)


__all__ = ["build_emulator", "SERVICE"]
