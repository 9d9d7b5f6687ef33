"""The xAI Grok Imagine video emulator: routes and the HTTP adapter over ``models``.

Wire format per providers.md §7 and gateway.md §5.3 "xAI": ``POST /v1/videos/generations`` answers
``{"request_id"}``; ``GET /v1/videos/{request_id}`` polls; ``Authorization: Bearer <key>`` (any
non-empty key); xAI's ``{"code", "error"}`` envelope. Bytes are served twice:

- ``video.url`` in the done reply points at ``/files/{id}.mp4`` (no auth, like xAI's CDN), so a
  gateway proxies that URL (gateway.md §1.5 step 2);
- ``GET /v1/videos/{id}/content`` (Bearer auth) is the route the gateway streams from when a poll
  reply carries no URL (§1.5 step 1: xai is a streamed provider).

Both honour byte ranges and expire with the content (24 h after completion by default).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...media import VideoSpec
from ...responses import JSONResponse
from ..faults import truncated
from ..http import bearer_token, ranged_response
from ..kit import Emulator, prompt_field
from .errors import NO_CREDENTIALS, XaiError, fault_error
from .models import DEFAULT_LATENCY, KIND, Video, parse_create

SERVICE = "xai"


class XaiEmulator(Emulator):
    service = SERVICE
    max_body = 32 * 1024 * 1024
    submit_path = "/v1/videos/generations"

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/videos/generations", self.create, methods=["POST"]),
            Route("/v1/videos/{video_id}", self.get, methods=["GET"]),
            Route("/v1/videos/{video_id}/content", self.content, methods=["GET"]),
            Route("/files/{name}", self.video_file, methods=["GET"]),
        ]

    def error(self, status: int, code: str | None, message: str | None) -> XaiError:
        # Unknown routes and methods: api.x.ai's answer is not in the reference; its own envelope
        # with the status's slug (chosen).
        return fault_error(status, code, message)

    def load(self, video_id: str) -> tuple[Video, dict[str, Any]]:
        doc = self.ctx.store.get(KIND, video_id)
        if doc is None:
            raise XaiError(404, f"No video generation request with id {video_id} was found.")
        return Video.from_doc(doc), doc

    async def create(self, request: Request) -> Response:
        _authenticate(request)
        value, faulted = await self.submit_body(request, prompt_field)
        if faulted is not None:
            return faulted
        fields = parse_create(value)
        ctx = self.ctx
        latency = ctx.config.latency.get(fields["model"], DEFAULT_LATENCY.get(fields["model"]))
        if latency is None:
            raise XaiError(404, f"The model {fields['model']} does not exist or your team does not have access to it.")
        video_id = ctx.ids.uuid("xai.request")
        plan = ctx.scenarios.plan(SERVICE, request.headers, fields["prompt"], latency, video_id)
        video = Video(
            id=video_id,
            created_at=ctx.clock.now(),
            plan=plan.to_doc(),
            **{**fields, "seed": fields["seed"] or plan.seed},
        )
        ctx.store.put(KIND, video_id, video.to_doc())
        return JSONResponse({"request_id": video_id})

    async def get(self, request: Request) -> Response:
        _authenticate(request)
        video, doc = self.load(request.path_params["video_id"])
        faulted = await self.status_fault(request, doc["plan"], video.id)
        return faulted or JSONResponse(video.render(self.ctx.clock.now(), self.base_url))

    async def content(self, request: Request) -> Response:
        _authenticate(request)
        video, doc = self.load(request.path_params["video_id"])
        return await self.serve(request, video, doc)

    async def video_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        doc = self.ctx.store.get(KIND, name[:-4]) if name.endswith(".mp4") else None
        if doc is None:
            raise XaiError(404, "File not found.")
        return await self.serve(request, Video.from_doc(doc), doc)

    async def serve(self, request: Request, video: Video, doc: dict[str, Any]) -> Response:
        now = self.ctx.clock.now()
        if video.status_at(now) != "completed":
            raise XaiError(404, f"The video for request {video.id} is not available: the request is not done.")
        if not video.content_available(now):
            raise XaiError(404, f"The video for request {video.id} has expired.")
        faulted, fault = await self.content_fault(request, doc["plan"], video.id)
        if faulted is not None:
            return faulted
        spec = VideoSpec(video.width, video.height, video.duration, True, video.seed)  # Grok Imagine renders audio
        data = await self.ctx.media.aget(spec)
        return truncated(fault, data, self.ctx.clock, "video/mp4") or ranged_response(request, data)


def _authenticate(request: Request) -> None:
    if not bearer_token(request):
        raise NO_CREDENTIALS
