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
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...responses import JSONResponse
from ...scenarios import UnknownScenario
from ..faults import truncated
from ..http import bearer_token, ranged_response
from ..kit import BadBody, Emulator
from .errors import UNAUTHORIZED, KieError, invalid, record_null
from .models import DEFAULT_LATENCY, FILES, KIND, UPLOAD_KIND, UPLOAD_TTL, Task
from .params import EXTENSIONS, parse_sora, parse_upload, parse_veo

SERVICE = "avalanche"
HEX = "0123456789abcdef"


def ok(data: Any, msg: str = "success") -> dict[str, Any]:
    return {"code": 200, "msg": msg, "data": data}


class AvalancheEmulator(Emulator):
    service = SERVICE
    max_body = 64 * 1024 * 1024
    submit_path = "/api/v1/veo/generate"

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/veo/generate", self.veo_generate, methods=["POST"]),
            Route("/api/v1/veo/record-info", self.veo_record, methods=["GET"]),
            Route("/api/v1/veo/get-1080p-video", self.get_1080p, methods=["GET"]),
            Route("/api/v1/veo/get-4k-video", self.get_4k, methods=["POST"]),
            Route("/api/v1/jobs/createTask", self.sora_create, methods=["POST"]),
            Route("/api/v1/jobs/recordInfo", self.sora_record, methods=["GET"]),
            Route("/api/file-base64-upload", self.upload, methods=["POST"]),
            Route("/files/uploads/{upload_id}/{name}", self.upload_file, methods=["GET"]),
            Route("/files/{task_id}/{name}", self.video_file, methods=["GET"]),
        ]

    def error(self, status: int, code: str | None, message: str | None) -> KieError:
        return KieError(status, message)

    def route_not_found(self, request: Request) -> KieError:
        # Kie's answer for a path it does not serve is not in the reference: its envelope on a real
        # 404 status line (chosen), as the file routes answer.
        return KieError(404, "Not Found", http=404)

    def method_not_allowed(self, request: Request) -> KieError:
        return KieError(405, "Method Not Allowed", http=405)

    def too_large(self) -> KieError:
        # Refused before the API sees it (a declared length over the limit is never read), so on
        # a real 413 status line, unlike the API's own errors.
        return KieError(413, http=413)

    def unreadable(self, request: Request, problem: BadBody) -> KieError:
        return self.too_large() if problem.status == 413 else invalid("request body is not valid JSON")

    def unknown_scenario(self, exc: UnknownScenario) -> KieError:
        return KieError(422, str(exc))  # `{code: 422, msg}` in a 200, as every parameter error

    async def veo_generate(self, request: Request) -> Response:
        return await self.submit(request, "veo")

    async def sora_create(self, request: Request) -> Response:
        return await self.submit(request, "sora")

    async def veo_record(self, request: Request) -> Response:
        return await self.record(request, "veo")

    async def sora_record(self, request: Request) -> Response:
        return await self.record(request, "sora")

    def load(self, request: Request, variant: str) -> Task:
        ctx = self.ctx
        task_id = request.query_params.get("taskId") or ""
        doc = ctx.store.get(KIND, task_id) if task_id else None
        if doc is None or doc["variant"] != variant:
            raise record_null()
        return Task.from_doc(doc)

    async def submit(self, request: Request, variant: str) -> Response:
        _authenticate(request)
        ctx = self.ctx
        body = await self.json_body(request)
        headers, prompt = request.headers, _prompt_of(body, variant)
        faulted = await self.submit_fault(request, prompt)
        if faulted is not None:
            return faulted
        fields = parse_veo(body) if variant == "veo" else parse_sora(body)
        task_id = ctx.ids.new("avalanche.task", 32, HEX)
        latency = float(ctx.config.latency.get(fields["model"], DEFAULT_LATENCY[fields["model"]]))
        plan = ctx.scenarios.plan(SERVICE, headers, prompt, latency, task_id)
        task = Task(id=task_id, variant=variant, created_at=ctx.clock.now(), params=body, plan=plan.to_doc(), **fields)
        ctx.store.put(KIND, task_id, task.to_doc())
        return JSONResponse(ok({"taskId": task_id}))

    async def record(self, request: Request, variant: str) -> Response:
        _authenticate(request)
        task = self.load(request, variant)
        faulted = await self.status_fault(request, task.plan, task.id)
        if faulted is not None:
            return faulted
        now, base_url = self.ctx.clock.now(), self.base_url
        return JSONResponse(ok(task.veo_record(now, base_url) if variant == "veo" else task.sora_record(now, base_url)))

    @staticmethod
    def upgradable(task: Task, now: float) -> None:
        if task.status(now) in ("queued", "in_progress"):
            raise invalid("The video is still being generated. Please try again after it succeeds.")
        if not task.succeeded(now):
            raise KieError(400, "The original video generation did not succeed; no upgrade is available.")

    async def get_1080p(self, request: Request) -> Response:
        _authenticate(request)
        task = self.load(request, "veo")
        if request.query_params.get("index", "0") != "0":
            raise invalid("index out of range")
        now = self.ctx.clock.now()
        self.upgradable(task, now)
        if not task.file_ready("1080p.mp4", now):
            raise invalid("1080P is processing. It should be ready in 1-2 minutes. Please check back shortly.")
        return JSONResponse(ok({"resultUrl": task.file_url(self.base_url, "1080p.mp4")}))

    async def get_4k(self, request: Request) -> Response:
        _authenticate(request)
        ctx = self.ctx
        body = await self.json_body(request)
        task_id = body.get("taskId") if isinstance(body, dict) else None
        doc = ctx.store.get(KIND, task_id) if isinstance(task_id, str) and task_id else None
        if doc is None or doc["variant"] != "veo":
            raise record_null()
        if body.get("index", 0) != 0:
            raise invalid("index out of range")
        task, now = Task.from_doc(doc), ctx.clock.now()
        self.upgradable(task, now)
        pending = {"taskId": task.id, "resultUrls": None, "imageUrls": None}
        if task.upgrade_4k_at is None:  # the first request orders the 4K render (and its credits)
            task.upgrade_4k_at = now
            ctx.store.put(KIND, task.id, task.to_doc())
            return JSONResponse(ok(pending))
        if not task.file_ready("4k.mp4", now):
            raise KieError(
                422, "4k is processing. It should be ready in 5-10 minutes. Please check back shortly.", pending
            )
        return JSONResponse(ok({**pending, "resultUrls": [task.file_url(self.base_url, "4k.mp4")]}))

    async def upload(self, request: Request) -> Response:
        _authenticate(request)
        ctx = self.ctx
        data, mime, path, name = parse_upload(await self.json_body(request))
        upload_id = ctx.ids.new("avalanche.upload", 24, HEX)
        name = name or f"{upload_id}.{EXTENSIONS.get(mime, 'bin')}"
        now = ctx.clock.now()
        ctx.store.put(
            UPLOAD_KIND, upload_id, {"blob": ctx.store.put_blob(data), "mime": mime, "name": name, "created_at": now}
        )
        url = f"{self.base_url}/files/uploads/{upload_id}/{name}"
        return JSONResponse(
            {
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
        )

    async def video_file(self, request: Request) -> Response:
        ctx = self.ctx
        task_id, name = request.path_params["task_id"], request.path_params["name"]
        doc = ctx.store.get(KIND, task_id)
        now = ctx.clock.now()
        task = Task.from_doc(doc) if doc is not None and name in FILES else None
        if task is None or not task.file_ready(name, now) or task.expired(now):
            raise MISSING
        faulted, fault = await self.content_fault(request, task.plan, task.id)
        if faulted is not None:
            return faulted
        data = await ctx.media.aget(task.video_spec(name))
        return truncated(fault, data, ctx.clock, "video/mp4") or ranged_response(request, data, "video/mp4")

    async def upload_file(self, request: Request) -> Response:
        ctx = self.ctx
        doc = ctx.store.get(UPLOAD_KIND, request.path_params["upload_id"])
        if (
            doc is None
            or doc["name"] != request.path_params["name"]
            or ctx.clock.now() >= doc["created_at"] + UPLOAD_TTL
        ):
            raise MISSING
        data = ctx.store.get_blob(doc["blob"])
        if data is None:
            raise MISSING
        return ranged_response(request, data, doc["mime"])


def _prompt_of(body: Any, variant: str) -> str:
    """The prompt, for a ``[scenario:NAME]`` marker, before the body is validated."""
    holder = body if variant == "veo" else (body.get("input") if isinstance(body, dict) else None)
    value = holder.get("prompt") if isinstance(holder, dict) else None
    return value if isinstance(value, str) else ""


def _authenticate(request: Request) -> None:
    if not bearer_token(request):
        raise UNAUTHORIZED


MISSING = KieError(404, "File not found", http=404)

__all__ = ["SERVICE", "AvalancheEmulator"]
