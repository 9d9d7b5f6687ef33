"""The AtlasCloud emulator (KLING v3.0): routes and the HTTP adapter over ``models``.

Wire format per providers.md §5.7 and gateway.md §5.3: ``POST /api/v1/model/generateVideo``,
``GET /api/v1/model/prediction/{id}`` (both wrapped as ``{"code": 200, "message", "data"}``),
``POST /api/v1/model/uploadMedia`` (multipart ``file``, answered with the temporary ``url`` as
AtlasCloud's upload guide shows), ``Authorization: Bearer <key>`` (any non-empty key). Uploaded
media are served from ``/uploads/atlascloud-media-<n>.<ext>`` and generated videos from
``/files/{id}.mp4``, both without auth like CDN URLs, with byte ranges.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...responses import JSONResponse
from ..base import EmulatorContext
from ..faults import fault_response, submit_fault_response, truncated
from ..http import bearer_token, journaled, ranged_response, read_json
from .errors import UNAUTHORIZED, AtlasError, error_body
from .models import DEFAULT_LATENCY, KIND, UPLOAD_KIND, Prediction, parse_generate_body

SERVICE = "atlascloud"
MAX_BODY = 64 * 1024 * 1024
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def build_emulator(ctx: EmulatorContext) -> Starlette:
    base_url = ctx.public_url(SERVICE)

    def ok(data: Any) -> JSONResponse:
        return JSONResponse({"code": 200, "message": "success", "data": data})

    async def generate(request: Request) -> Response:
        try:
            _authenticate(request)
            value, problem = await read_json(request, MAX_BODY)
            prompt = value.get("prompt") if isinstance(value, dict) else None
            faulted = await submit_fault_response(ctx, SERVICE, request.headers, prompt, error_body)
            if faulted is not None:
                return faulted
            if problem == "too_large":
                raise AtlasError(413, "Request entity too large")
            if problem:
                raise AtlasError(400, "Request body is not valid JSON")
            fields = parse_generate_body(value)
            pid = ctx.ids.new("atlascloud.prediction", 32, "0123456789abcdef")
            latency = float(ctx.config.latency.get(fields["model"], DEFAULT_LATENCY[fields["tier"]]))
            plan = ctx.scenarios.plan(SERVICE, request.headers, fields["prompt"], latency, pid)
            prediction = Prediction(id=pid, created_at=ctx.clock.now(), seed=plan.seed, plan=plan.to_doc(), **fields)
            ctx.store.put(KIND, pid, prediction.to_doc())
            return ok(prediction.render(ctx.clock.now(), base_url))
        except AtlasError as err:
            return err.response()

    async def prediction(request: Request) -> Response:
        try:
            _authenticate(request)
            pid = request.path_params["prediction_id"]
            doc = ctx.store.get(KIND, pid)
            if doc is None:
                raise AtlasError(404, f"Prediction {pid} not found")
            fault = ctx.scenarios.take_fault(doc["plan"].get("faults") or {}, "poll", pid)
            faulted = await fault_response(fault, error_body, ctx.clock)
            return faulted or ok(Prediction.from_doc(doc).render(ctx.clock.now(), base_url))
        except AtlasError as err:
            return err.response()

    async def upload(request: Request) -> Response:
        try:
            _authenticate(request)
            raw = await _read_limited(request)
            mime, data = _file_part(raw, request.headers.get("content-type", ""))
            n = ctx.store.next_counter("atlascloud.upload")
            name = f"atlascloud-media-{n}.{EXTENSIONS.get(mime, 'bin')}"
            ctx.store.put(UPLOAD_KIND, name, {"blob": ctx.store.put_blob(data), "mime": mime})
            return JSONResponse({"url": f"{base_url}/uploads/{name}"})
        except AtlasError as err:
            return err.response()

    async def uploaded(request: Request) -> Response:
        doc = ctx.store.get(UPLOAD_KIND, request.path_params["name"])
        data = None if doc is None else ctx.store.get_blob(doc["blob"])
        if doc is None or data is None:
            return AtlasError(404, "File not found").response()
        return ranged_response(request, data, doc["mime"])

    async def video_file(request: Request) -> Response:
        name = request.path_params["name"]
        doc = ctx.store.get(KIND, name[:-4]) if name.endswith(".mp4") else None
        if doc is None:
            return AtlasError(404, "File not found").response()
        pred = Prediction.from_doc(doc)
        now = ctx.clock.now()
        if not pred.video_available(now):
            # Before completion the object does not exist yet; after the scenario's expiry it is gone.
            return AtlasError(404 if pred.state(now) != "completed" else 403, "File not found or expired").response()
        fault = ctx.scenarios.take_fault(doc["plan"].get("faults") or {}, "content", pred.id)
        faulted = await fault_response(fault, error_body, ctx.clock)
        if faulted is not None:
            return faulted
        data = await ctx.media.aget(pred.video_spec())
        return truncated(fault, data, ctx.clock, "video/mp4") or ranged_response(request, data, "video/mp4")

    routes = [
        Route("/api/v1/model/generateVideo", generate, methods=["POST"]),
        Route("/api/v1/model/prediction/{prediction_id}", prediction, methods=["GET"]),
        Route("/api/v1/model/uploadMedia", upload, methods=["POST"]),
        Route("/uploads/{name}", uploaded, methods=["GET"]),
        Route("/files/{name}", video_file, methods=["GET"]),
    ]
    return journaled(Starlette(routes=routes), SERVICE, ctx)


def _authenticate(request: Request) -> None:
    if not bearer_token(request):
        raise UNAUTHORIZED


async def _read_limited(request: Request) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise AtlasError(413, "Request entity too large")
        parts.append(chunk)
    return b"".join(parts)


def _file_part(body: bytes, content_type: str) -> tuple[str, bytes]:
    """(MIME type, bytes) of the multipart ``file`` field, or AtlasError(400)."""
    if not content_type.startswith("multipart/form-data") or "boundary=" not in content_type:
        raise AtlasError(400, "Request must be multipart/form-data with a file field")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    for part in message.iter_parts() if message.is_multipart() else []:
        if part.get_param("name", header="content-disposition") == "file" and part.get_filename() is not None:
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data:
                return part.get_content_type(), data
    raise AtlasError(400, "file is required")
