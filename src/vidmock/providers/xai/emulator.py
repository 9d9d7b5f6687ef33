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

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...media import VideoSpec
from ...responses import JSONResponse
from ..base import EmulatorContext
from ..faults import fault_response, submit_fault_response, truncated
from ..http import bearer_token, journaled, ranged_response, read_json
from .errors import NO_CREDENTIALS, XaiError, error_body
from .models import DEFAULT_LATENCY, KIND, Video, parse_create

SERVICE = "xai"
MAX_BODY = 32 * 1024 * 1024


def build_emulator(ctx: EmulatorContext) -> Starlette:
    base_url = ctx.public_url(SERVICE)

    def load(video_id: str) -> tuple[Video, dict[str, Any]]:
        doc = ctx.store.get(KIND, video_id)
        if doc is None:
            raise XaiError(404, f"No video generation request with id {video_id} was found.")
        return Video.from_doc(doc), doc

    async def create(request: Request) -> Response:
        try:
            _authenticate(request)
            value, problem = await read_json(request, MAX_BODY)
            prompt = value.get("prompt") if isinstance(value, dict) else None
            faulted = await submit_fault_response(ctx, SERVICE, request.headers, prompt, error_body)
            if faulted is not None:
                return faulted
            if problem == "too_large":
                raise XaiError(413, "The request body is too large.")
            if problem:
                raise XaiError(400, "The request body is not valid JSON.")
            fields = parse_create(value)
            latency = ctx.config.latency.get(fields["model"], DEFAULT_LATENCY.get(fields["model"]))
            if latency is None:
                raise XaiError(
                    404, f"The model {fields['model']} does not exist or your team does not have access to it."
                )
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
        except XaiError as err:
            return err.response()

    async def get(request: Request) -> Response:
        try:
            _authenticate(request)
            video, doc = load(request.path_params["video_id"])
        except XaiError as err:
            return err.response()
        fault = ctx.scenarios.take_fault(doc["plan"].get("faults") or {}, "poll", video.id)
        faulted = await fault_response(fault, error_body, ctx.clock)
        return faulted or JSONResponse(video.render(ctx.clock.now(), base_url))

    async def content(request: Request) -> Response:
        try:
            _authenticate(request)
            video, doc = load(request.path_params["video_id"])
        except XaiError as err:
            return err.response()
        return await serve(request, video, doc)

    async def video_file(request: Request) -> Response:
        name = request.path_params["name"]
        doc = ctx.store.get(KIND, name[:-4]) if name.endswith(".mp4") else None
        if doc is None:
            return XaiError(404, "File not found.").response()
        return await serve(request, Video.from_doc(doc), doc)

    async def serve(request: Request, video: Video, doc: dict[str, Any]) -> Response:
        now = ctx.clock.now()
        if video.status_at(now) != "completed":
            return XaiError(
                404, f"The video for request {video.id} is not available: the request is not done."
            ).response()
        if not video.content_available(now):
            return XaiError(404, f"The video for request {video.id} has expired.").response()
        fault = ctx.scenarios.take_fault(doc["plan"].get("faults") or {}, "content", video.id)
        faulted = await fault_response(fault, error_body, ctx.clock)
        if faulted is not None:
            return faulted
        spec = VideoSpec(video.width, video.height, video.duration, True, video.seed)  # Grok Imagine renders audio
        data = await ctx.media.aget(spec)
        return truncated(fault, data, ctx.clock, "video/mp4") or ranged_response(request, data)

    routes = [
        Route("/v1/videos/generations", create, methods=["POST"]),
        Route("/v1/videos/{video_id}", get, methods=["GET"]),
        Route("/v1/videos/{video_id}/content", content, methods=["GET"]),
        Route("/files/{name}", video_file, methods=["GET"]),
    ]
    return journaled(Starlette(routes=routes), SERVICE, ctx)


def _authenticate(request: Request) -> None:
    if not bearer_token(request):
        raise NO_CREDENTIALS
