"""The Luma Dream Machine emulator: routes and the HTTP adapter over ``models``.

Wire format per providers.md §10 and the official SDK (``lumaai``). The real base is
``https://api.lumalabs.ai/dream-machine/v1``, so the API lives under ``/dream-machine/v1`` here and a
real upstream is given as its host. ``Authorization: Bearer <key>`` (any non-empty key, or one of
``LumaOptions.api_keys``); errors in FastAPI's ``{"detail": …}`` envelope (``errors``).

| route | answer |
|---|---|
| ``POST /generations`` (the docs' curl), ``POST /generations/video`` (the SDK) | 201, the Generation |
| ``GET /generations/{id}`` | the Generation at the current time |
| ``GET /generations?limit=&offset=`` | ``{generations, count, has_more, limit, offset}``, newest first |
| ``DELETE /generations/{id}`` | 204 (``LumaOptions.delete_status``); any state; the record is gone |
| ``POST /generations/{id}/upscale``, ``POST /generations/{id}/audio`` | 201, a new Generation |
| ``GET /generations/concepts/list`` | the concept keys |
| ``GET /ping`` | ``{"message": "pong"}`` |

Choices (not in the reference): create answers 201 (as Luma's newer API documents); the list takes
``limit`` 1–100 (default 10) and ``offset`` ≥ 0; upscale and add-audio need a completed source and
make a new generation (new id) so polling the returned id always works; deleting an in-flight
generation is allowed and stops its callbacks. Image generation (Photon) is not emulated
(``generation_type`` other than ``video`` is "Unknown request type"). ``POST /generations/video/modify``
and ``/video/reframe`` (changes-2026-12.md §4.5) answer 201 with a new generation (``edits``).

Assets (``assets.video``, ``assets.image``) are CDN-style files under ``/files/`` (no auth), the MP4
with byte ranges. Scenarios (vidmock.scenarios): create, upscale and audio take the submit fault; a
generation GET takes the poll faults, the video file the content faults (``truncate`` included).
A generation created with ``callback_url`` is watched by the callback dispatcher (``callbacks``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any

import av
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...media import VideoSpec
from ...responses import JSONResponse
from ...scenarios import UnknownScenario
from ..base import EmulatorContext
from ..callbacks import CallbackDispatcher
from ..faults import truncated
from ..http import ranged_response
from ..kit import BadBody, Emulator, prompt_field
from . import callbacks
from .edits import parse_modify, parse_reframe
from .errors import (
    INVALID_KEY,
    METHOD_NOT_ALLOWED,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    TOO_LARGE,
    LumaError,
    bad_request,
    fault_error,
    generation_not_found,
    invalid,
    issue,
)
from .models import CONCEPTS, DEFAULT_LATENCY, KIND, Generation, LumaOptions
from .params import parse_audio, parse_create, parse_upscale

SERVICE = "luma"
PREFIX = "/dream-machine/v1"
GENERATIONS = PREFIX + "/generations"
LIST_DEFAULT, LIST_MAX = 10, 100


class LumaEmulator(Emulator):
    service = SERVICE
    max_body = 1024 * 1024  # Luma takes images by URL only, so bodies are small (limit chosen)
    submit_path = GENERATIONS

    def __init__(self, ctx: EmulatorContext, options: LumaOptions | None = None) -> None:
        super().__init__(ctx)
        self.opts = options or LumaOptions()
        self.dispatcher = callbacks.build_dispatcher(ctx, self.base_url)

    def routes(self) -> list[BaseRoute]:
        return [
            Route(GENERATIONS, self.create, methods=["POST"]),
            Route(GENERATIONS + "/video", self.create, methods=["POST"]),
            Route(GENERATIONS + "/video/modify", self.modify, methods=["POST"]),  # changes-2026-12.md §4.5
            Route(GENERATIONS + "/video/reframe", self.reframe, methods=["POST"]),
            Route(GENERATIONS, self.list_generations, methods=["GET"]),
            Route(GENERATIONS + "/concepts/list", self.concepts, methods=["GET"]),
            Route(GENERATIONS + "/{generation_id}", self.get, methods=["GET"]),
            Route(GENERATIONS + "/{generation_id}", self.delete, methods=["DELETE"]),
            Route(GENERATIONS + "/{generation_id}/upscale", self.upscale, methods=["POST"]),
            Route(GENERATIONS + "/{generation_id}/audio", self.audio, methods=["POST"]),
            Route(PREFIX + "/ping", self.ping, methods=["GET"]),
            Route("/files/{name}", self.asset, methods=["GET"]),
        ]

    def callbacks(self) -> CallbackDispatcher:
        return self.dispatcher

    def error(self, status: int, code: str | None, message: str | None) -> LumaError:
        return fault_error(status, code, message)

    def route_not_found(self, request: Request) -> LumaError:
        return NOT_FOUND  # FastAPI's words: {"detail": "Not Found"}

    def method_not_allowed(self, request: Request) -> LumaError:
        return METHOD_NOT_ALLOWED

    def too_large(self) -> LumaError:
        return TOO_LARGE

    def unreadable(self, request: Request, problem: BadBody) -> LumaError:
        if problem.status == 413:
            return TOO_LARGE
        return invalid([issue("json_invalid", ("body", 0), "JSON decode error", {})])

    def unknown_scenario(self, exc: UnknownScenario) -> LumaError:
        return bad_request(str(exc))

    def authenticate(self, request: Request) -> None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise NOT_AUTHENTICATED
        if self.opts.api_keys and key not in self.opts.api_keys:
            raise INVALID_KEY

    def lookup(self, generation_id: str) -> Generation | None:
        doc = self.ctx.store.get(KIND, generation_id)
        return None if doc is None else Generation.from_doc(doc)

    def load(self, generation_id: str) -> Generation:
        generation = self.lookup(generation_id)
        if generation is None:
            raise generation_not_found(generation_id)
        return generation

    async def submit(
        self, request: Request, parse: Callable[[Any], dict[str, Any]], latency_key: Callable[[dict[str, Any]], str]
    ) -> Response:
        ctx = self.ctx
        value, faulted = await self.submit_body(request, prompt_field)
        if faulted is not None:
            return faulted
        fields = parse(value)
        key = latency_key(fields)
        latency = float(ctx.config.latency.get(key, DEFAULT_LATENCY[key]))
        generation_id = ctx.ids.uuid("luma.generation")
        plan = ctx.scenarios.plan(SERVICE, request.headers, fields["prompt"], latency, generation_id)
        now = ctx.clock.now()
        generation = Generation(
            id=generation_id,
            seq=ctx.store.next_counter("luma.generation.seq"),
            created_at=now,
            seed=plan.seed,
            plan=plan.to_doc(),
            **fields,
        )
        ctx.store.put(KIND, generation_id, generation.to_doc())
        if generation.callback_url:
            self.dispatcher.watch(generation_id)
        return JSONResponse(generation.render(now, self.base_url), status_code=201)

    async def create(self, request: Request) -> Response:
        self.authenticate(request)
        now = self.ctx.clock.now()
        return await self.submit(
            request, lambda body: parse_create(body, self.lookup, now), lambda fields: str(fields["model"])
        )

    async def modify(self, request: Request) -> Response:
        self.authenticate(request)
        return await self.submit(request, parse_modify, lambda _: "modify_video")

    async def reframe(self, request: Request) -> Response:
        self.authenticate(request)
        return await self.submit(request, parse_reframe, lambda _: "reframe_video")

    async def upscale(self, request: Request) -> Response:
        self.authenticate(request)
        source, now = self.load(request.path_params["generation_id"]), self.ctx.clock.now()
        return await self.submit(request, lambda body: parse_upscale(body, source, now), lambda _: "upscale")

    async def audio(self, request: Request) -> Response:
        self.authenticate(request)
        source, now = self.load(request.path_params["generation_id"]), self.ctx.clock.now()
        return await self.submit(request, lambda body: parse_audio(body, source, now), lambda _: "add_audio")

    async def get(self, request: Request) -> Response:
        self.authenticate(request)
        generation = self.load(request.path_params["generation_id"])
        faulted = await self.status_fault(request, generation.plan, generation.id)
        return faulted or JSONResponse(generation.render(self.ctx.clock.now(), self.base_url))

    async def list_generations(self, request: Request) -> Response:
        self.authenticate(request)
        limit = _query_int(request, "limit", LIST_DEFAULT, 1, LIST_MAX)
        offset = _query_int(request, "offset", 0, 0, None)
        everything = sorted((Generation.from_doc(d) for d in self.ctx.store.all(KIND)), key=lambda g: -g.seq)
        now = self.ctx.clock.now()
        page = [g.render(now, self.base_url) for g in everything[offset : offset + limit]]
        return JSONResponse(
            {
                "generations": page,
                "count": len(page),
                "has_more": offset + len(page) < len(everything),
                "limit": limit,
                "offset": offset,
            }
        )

    async def delete(self, request: Request) -> Response:
        self.authenticate(request)
        generation = self.load(request.path_params["generation_id"])
        self.ctx.store.delete(KIND, generation.id)  # the dispatcher drops its watch on the next tick
        if self.opts.delete_status == 204:
            return Response(status_code=204)
        return JSONResponse(None, status_code=self.opts.delete_status)

    async def concepts(self, request: Request) -> Response:
        self.authenticate(request)
        return JSONResponse(list(CONCEPTS))

    async def ping(self, request: Request) -> Response:
        self.authenticate(request)
        return JSONResponse({"message": "pong"})

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        stem, _, extension = name.rpartition(".")
        generation = self.lookup(stem) if extension in ("mp4", "jpg") else None
        now = self.ctx.clock.now()
        if generation is None or not generation.content_available(now, self.opts.content_ttl):
            raise NOT_FOUND  # unknown, not ready, deleted or expired
        if extension == "jpg":
            return Response(_thumbnail(generation.width, generation.height, generation.seed), media_type="image/jpeg")
        faulted, fault = await self.content_fault(request, generation.plan, generation.id)
        if faulted is not None:
            return faulted
        data = await self.ctx.media.aget(
            VideoSpec(generation.width, generation.height, generation.seconds, generation.audio, generation.seed)
        )
        return truncated(fault, data, self.ctx.clock, "video/mp4") or ranged_response(request, data)


def _query_int(request: Request, name: str, default: int, lo: int, hi: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    loc = ("query", name)
    try:
        value = int(raw.strip())
    except ValueError:
        raise invalid(
            [issue("int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer", raw)]
        ) from None
    if value < lo:
        raise invalid(
            [
                {
                    **issue("greater_than_equal", loc, f"Input should be greater than or equal to {lo}", raw),
                    "ctx": {"ge": lo},
                }
            ]
        )
    if hi is not None and value > hi:
        raise invalid(
            [{**issue("less_than_equal", loc, f"Input should be less than or equal to {hi}", raw), "ctx": {"le": hi}}]
        )
    return value


@lru_cache(maxsize=32)
def _thumbnail(width: int, height: int, seed: int) -> bytes:
    """``assets.image``: a JPEG a quarter of the clip's size in a colour taken from its seed."""
    w, h = max(2, width // 4 - width // 4 % 2), max(2, height // 4 - height // 4 % 2)
    frame = av.VideoFrame(w, h, "yuvj420p")
    mix = (seed * 2654435761) & 0xFFFFFF
    for plane, value in zip(
        frame.planes, (60 + (mix & 0x7F), 64 + (mix >> 8 & 0x7F), 64 + (mix >> 16 & 0x7F)), strict=False
    ):
        plane.update(bytes([value]) * (plane.line_size * plane.height))
    frame.pts = 0
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt, codec.time_base = w, h, "yuvj420p", Fraction(1, 1)
    return b"".join(bytes(p) for p in [*codec.encode(frame), *codec.encode(None)])
