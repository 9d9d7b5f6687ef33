"""The gateway's HTTP adapter: the four routes of gateway.md §1 over ``GatewayService``."""

from __future__ import annotations

import random

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...errors import GatewayError
from ...responses import JSONResponse
from ..domain import tokens
from .content import ContentSources
from .models_api import list_models
from .service import GatewayService

TOKEN_INVALID = "Unauthorized: Invalid or expired video access token."
TOO_LARGE = "Request body too large"
# Which gateway release answered (issue 14). The real video object has no such field, so it is a header.
RELEASE_HEADER = "x-vidmock-gateway-release"


def gateway_routes(service: GatewayService, sources: ContentSources) -> list[Route]:
    limit = service.config.max_body_bytes
    release = {RELEASE_HEADER: service.release.name}

    async def create(request: Request) -> Response:
        body = await _read_body(request, limit)
        no_fallback = request.headers.get("x-no-fallback", "").strip().lower() in ("true", "1")
        video = await service.create(body, request.headers, request.state.request_id, no_fallback)
        return JSONResponse(video, headers=release)

    async def retrieve(request: Request) -> Response:
        return JSONResponse(service.retrieve(request.headers, request.path_params["video_id"]), headers=release)

    async def models(request: Request) -> Response:
        # The real route needs no API key; its boolean query flags are true only for the string "true".
        query = request.query_params
        body = list_models(
            service.catalogue,
            service.clock.now(),
            include_deactivated=query.get("include_deactivated") == "true",
            exclude_deprecated=query.get("exclude_deprecated") == "true",
        )
        return JSONResponse(body, headers=release)

    async def content(request: Request) -> Response:
        job = service.ready_job(request.headers, request.path_params["video_id"])
        return await sources.respond(job, request.headers)

    async def log_content(request: Request) -> Response:
        log_id = request.path_params["log_id"]
        if not tokens.verify(
            request.query_params.get("token"), log_id, service.clock.now(), service.config.content_secret
        ):
            raise GatewayError(401, TOKEN_INVALID)
        return await sources.respond(service.job_for_log(log_id), request.headers)

    return [
        # Polling is the hottest route, so it is matched first; the paths do not overlap.
        Route("/v1/videos/{video_id}", retrieve, methods=["GET"]),
        Route("/v1/videos", create, methods=["POST"]),
        Route("/v1/videos/{video_id}/content", content, methods=["GET"]),
        Route("/v1/videos/logs/{log_id}/content", log_content, methods=["GET"]),
        Route("/v1/models", models, methods=["GET"]),
    ]


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes before reading them (413)."""
    declared = request.headers.get("content-length")
    # ASCII digits only ("²".isdigit() is true), and a 5,000-digit length is too large without
    # asking ``int`` (which refuses past 4,300 digits): never a 500 (issue 12).
    if declared is not None and declared.isascii() and declared.isdigit():
        if len(declared.lstrip("0")) > 18 or int(declared) > limit:
            raise GatewayError(413, TOO_LARGE)
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise GatewayError(413, TOO_LARGE)
        parts.append(chunk)
    return b"".join(parts)


class RequestIdMiddleware:
    """``x-request-id``: the caller's (trimmed), else a random 40-character id; echoed back."""

    def __init__(self, app: ASGIApp, seed: int = 0) -> None:
        self.app = app
        self._rng = random.Random(f"request-id:{seed}")  # seeded: a run is reproducible

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1").strip() for k, v in scope["headers"] if k == b"x-request-id"), "")
        # 40 alphanumeric characters like shortid(40); one draw instead of forty choice() calls.
        request_id = given or f"{self._rng.getrandbits(160):040x}"
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # A provider emulator mounted below sets its own id in its own format; keep that one.
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)
