"""The AtlasCloud emulator (KLING v3.0): routes and the HTTP adapter over ``models``.

Wire format per providers.md §5.7 and gateway.md §5.3: ``POST /api/v1/model/generateVideo``,
``GET /api/v1/model/prediction/{id}`` (both wrapped as ``{"code": 200, "message", "data"}``),
``POST /api/v1/model/uploadMedia`` (multipart ``file``, answered with the temporary ``url`` as
AtlasCloud's upload guide shows), ``Authorization: Bearer <key>`` (any non-empty key). Uploaded
media are served from ``/uploads/atlascloud-media-<n>.<ext>`` and generated videos from
``/files/{id}.mp4``, both without auth like CDN URLs, with byte ranges.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...responses import JSONResponse
from ..faults import truncated
from ..http import bearer_token, ranged_response
from ..kit import BadBody, Emulator, ProviderError, prompt_field
from .errors import UNAUTHORIZED, AtlasError, fault_error
from .models import DEFAULT_LATENCY, KIND, UPLOAD_KIND, Prediction, parse_generate_body

SERVICE = "atlascloud"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
NOT_A_FORM = "Request must be multipart/form-data with a file field"


class AtlasEmulator(Emulator):
    service = SERVICE
    max_body = 64 * 1024 * 1024
    submit_path = "/api/v1/model/generateVideo"

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/model/generateVideo", self.generate, methods=["POST"]),
            Route("/api/v1/model/prediction/{prediction_id}", self.prediction, methods=["GET"]),
            Route("/api/v1/model/uploadMedia", self.upload, methods=["POST"]),
            Route("/uploads/{name}", self.uploaded, methods=["GET"]),
            Route("/files/{name}", self.video_file, methods=["GET"]),
        ]

    def error(self, status: int, code: str | None, message: str | None) -> AtlasError:
        return fault_error(status, code, message)  # also unknown routes (not in the reference: chosen)

    def too_large(self) -> AtlasError:
        return AtlasError(413, "Request entity too large")

    def unreadable(self, request: Request, problem: BadBody) -> ProviderError:
        if problem.status == 413:
            return self.too_large()
        return AtlasError(400, NOT_A_FORM if problem.form else "Request body is not valid JSON")

    @staticmethod
    def ok(data: Any) -> JSONResponse:
        return JSONResponse({"code": 200, "message": "success", "data": data})

    async def generate(self, request: Request) -> Response:
        ctx = self.ctx
        _authenticate(request)
        value, faulted = await self.submit_body(request, prompt_field)
        if faulted is not None:
            return faulted
        fields = parse_generate_body(value)
        pid = ctx.ids.new("atlascloud.prediction", 32, "0123456789abcdef")
        latency = float(ctx.config.latency.get(fields["model"], DEFAULT_LATENCY[fields["tier"]]))
        plan = ctx.scenarios.plan(SERVICE, request.headers, fields["prompt"], latency, pid)
        prediction = Prediction(id=pid, created_at=ctx.clock.now(), seed=plan.seed, plan=plan.to_doc(), **fields)
        ctx.store.put(KIND, pid, prediction.to_doc())
        return self.ok(prediction.render(ctx.clock.now(), self.base_url))

    async def prediction(self, request: Request) -> Response:
        _authenticate(request)
        pid = request.path_params["prediction_id"]
        doc = self.ctx.store.get(KIND, pid)
        if doc is None:
            raise AtlasError(404, f"Prediction {pid} not found")
        faulted = await self.status_fault(request, doc["plan"], pid)
        return faulted or self.ok(Prediction.from_doc(doc).render(self.ctx.clock.now(), self.base_url))

    async def upload(self, request: Request) -> Response:
        _authenticate(request)
        form = await self.form(request)
        mime, data = next(
            ((f.content_type or "text/plain", f.data) for f in form.files if f.name == "file" and f.data),
            ("", b""),
        )
        if not data:
            raise AtlasError(400, "file is required")
        ctx = self.ctx
        n = ctx.store.next_counter("atlascloud.upload")
        name = f"atlascloud-media-{n}.{EXTENSIONS.get(mime, 'bin')}"
        ctx.store.put(UPLOAD_KIND, name, {"blob": ctx.store.put_blob(data), "mime": mime})
        return JSONResponse({"url": f"{self.base_url}/uploads/{name}"})

    async def uploaded(self, request: Request) -> Response:
        doc = self.ctx.store.get(UPLOAD_KIND, request.path_params["name"])
        data = None if doc is None else self.ctx.store.get_blob(doc["blob"])
        if doc is None or data is None:
            raise AtlasError(404, "File not found")
        return ranged_response(request, data, doc["mime"])

    async def video_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        doc = self.ctx.store.get(KIND, name[:-4]) if name.endswith(".mp4") else None
        if doc is None:
            raise AtlasError(404, "File not found")
        pred = Prediction.from_doc(doc)
        now = self.ctx.clock.now()
        if not pred.video_available(now):
            # Before completion the object does not exist yet; after the scenario's expiry it is gone.
            raise AtlasError(404 if pred.state(now) != "completed" else 403, "File not found or expired")
        faulted, fault = await self.content_fault(request, doc["plan"], pred.id)
        if faulted is not None:
            return faulted
        data = await self.ctx.media.aget(pred.video_spec())
        return truncated(fault, data, self.ctx.clock, "video/mp4") or ranged_response(request, data, "video/mp4")


def _authenticate(request: Request) -> None:
    if not bearer_token(request):
        raise UNAUTHORIZED
