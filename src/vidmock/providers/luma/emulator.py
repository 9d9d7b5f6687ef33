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
generation is allowed and stops its callbacks. Image generation (Photon), modify and reframe are
not emulated (``generation_type`` other than ``video`` is "Unknown request type").

Assets (``assets.video``, ``assets.image``) are CDN-style files under ``/files/`` (no auth), the MP4
with byte ranges. Scenarios (vidmock.scenarios): create, upscale and audio take the submit fault; a
generation GET takes the poll faults, the video file the content faults (``truncate`` included).
A generation created with ``callback_url`` is watched by the callback dispatcher (``callbacks``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any

import av
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...media import VideoSpec
from ...responses import JSONResponse
from ...scenarios import UnknownScenario
from ..base import EmulatorContext
from ..callbacks import attach
from ..faults import fault_response, submit_fault_response, truncated
from ..http import journaled, ranged_response, read_json
from . import callbacks
from .errors import (
    INVALID_KEY,
    NOT_AUTHENTICATED,
    TOO_LARGE,
    LumaError,
    bad_request,
    error_body,
    generation_not_found,
    invalid,
    issue,
)
from .models import CONCEPTS, DEFAULT_LATENCY, KIND, Generation, LumaOptions, parse_audio, parse_create, parse_upscale

SERVICE = "luma"
PREFIX = "/dream-machine/v1"
GENERATIONS = PREFIX + "/generations"
MAX_BODY = 1024 * 1024  # Luma takes images by URL only, so bodies are small (limit chosen)
LIST_DEFAULT, LIST_MAX = 10, 100
Handler = Callable[[Request], Awaitable[Response]]


def build_emulator(ctx: EmulatorContext, options: LumaOptions | None = None) -> Starlette:
    opts = options or LumaOptions()
    base_url = ctx.public_url(SERVICE)
    dispatcher = callbacks.build_dispatcher(ctx, base_url)

    def api(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                _authenticate(request, opts)
                return await handler(request)
            except LumaError as err:
                return err.response()
            except UnknownScenario as exc:
                return bad_request(str(exc)).response()

        return endpoint

    def lookup(generation_id: str) -> Generation | None:
        doc = ctx.store.get(KIND, generation_id)
        return None if doc is None else Generation.from_doc(doc)

    def load(generation_id: str) -> Generation:
        generation = lookup(generation_id)
        if generation is None:
            raise generation_not_found(generation_id)
        return generation

    async def submit(
        request: Request, parse: Callable[[Any], dict[str, Any]], latency_key: Callable[[dict[str, Any]], str]
    ) -> Response:
        value, problem = await read_json(request, MAX_BODY)
        prompt = value.get("prompt") if isinstance(value, dict) else None
        faulted = await submit_fault_response(ctx, SERVICE, request.headers, prompt, error_body)
        if faulted is not None:
            return faulted
        if problem == "too_large":
            raise TOO_LARGE
        if problem:
            raise invalid([issue("json_invalid", ("body", 0), "JSON decode error", {})])
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
            dispatcher.watch(generation_id)
        return JSONResponse(generation.render(now, base_url), status_code=201)

    async def create(request: Request) -> Response:
        return await submit(
            request, lambda body: parse_create(body, lookup, ctx.clock.now()), lambda fields: str(fields["model"])
        )

    async def upscale(request: Request) -> Response:
        source = load(request.path_params["generation_id"])
        return await submit(request, lambda body: parse_upscale(body, source, ctx.clock.now()), lambda _: "upscale")

    async def audio(request: Request) -> Response:
        source = load(request.path_params["generation_id"])
        return await submit(request, lambda body: parse_audio(body, source, ctx.clock.now()), lambda _: "add_audio")

    async def get(request: Request) -> Response:
        generation = load(request.path_params["generation_id"])
        fault = ctx.scenarios.take_fault(generation.plan.get("faults") or {}, "poll", generation.id)
        faulted = await fault_response(fault, error_body, ctx.clock)
        return faulted or JSONResponse(generation.render(ctx.clock.now(), base_url))

    async def list_generations(request: Request) -> Response:
        limit = _query_int(request, "limit", LIST_DEFAULT, 1, LIST_MAX)
        offset = _query_int(request, "offset", 0, 0, None)
        everything = sorted((Generation.from_doc(d) for d in ctx.store.all(KIND)), key=lambda g: -g.seq)
        now = ctx.clock.now()
        page = [g.render(now, base_url) for g in everything[offset : offset + limit]]
        return JSONResponse(
            {
                "generations": page,
                "count": len(page),
                "has_more": offset + len(page) < len(everything),
                "limit": limit,
                "offset": offset,
            }
        )

    async def delete(request: Request) -> Response:
        generation = load(request.path_params["generation_id"])
        ctx.store.delete(KIND, generation.id)  # the dispatcher drops its watch on the next tick
        if opts.delete_status == 204:
            return Response(status_code=204)
        return JSONResponse(None, status_code=opts.delete_status)

    async def concepts(request: Request) -> Response:
        return JSONResponse(list(CONCEPTS))

    async def ping(request: Request) -> Response:
        return JSONResponse({"message": "pong"})

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        stem, _, extension = name.rpartition(".")
        generation = lookup(stem) if extension in ("mp4", "jpg") else None
        now = ctx.clock.now()
        if generation is None or not generation.content_available(now, opts.content_ttl):
            return LumaError(404, "Not Found").response()  # unknown, not ready, deleted or expired
        if extension == "jpg":
            return Response(_thumbnail(generation.width, generation.height, generation.seed), media_type="image/jpeg")
        fault = ctx.scenarios.take_fault(generation.plan.get("faults") or {}, "content", generation.id)
        faulted = await fault_response(fault, error_body, ctx.clock)
        if faulted is not None:
            return faulted
        data = await ctx.media.aget(
            VideoSpec(generation.width, generation.height, generation.seconds, generation.audio, generation.seed)
        )
        return truncated(fault, data, ctx.clock, "video/mp4") or ranged_response(request, data)

    routes = [
        Route(GENERATIONS, api(create), methods=["POST"]),
        Route(GENERATIONS + "/video", api(create), methods=["POST"]),
        Route(GENERATIONS, api(list_generations), methods=["GET"]),
        Route(GENERATIONS + "/concepts/list", api(concepts), methods=["GET"]),
        Route(GENERATIONS + "/{generation_id}", api(get), methods=["GET"]),
        Route(GENERATIONS + "/{generation_id}", api(delete), methods=["DELETE"]),
        Route(GENERATIONS + "/{generation_id}/upscale", api(upscale), methods=["POST"]),
        Route(GENERATIONS + "/{generation_id}/audio", api(audio), methods=["POST"]),
        Route(PREFIX + "/ping", api(ping), methods=["GET"]),
        Route("/files/{name}", asset, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _http_error, 405: _http_error})
    journaled(app, SERVICE, ctx)
    attach(app, dispatcher)
    dispatcher.start()  # a restart with a durable store resumes pending callbacks
    return app


def _authenticate(request: Request, opts: LumaOptions) -> None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise NOT_AUTHENTICATED
    if opts.api_keys and key not in opts.api_keys:
        raise INVALID_KEY


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown routes and methods, the way FastAPI words them: ``{"detail": "Not Found"}``."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal Server Error"
    return LumaError(status, str(detail)).response()


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
