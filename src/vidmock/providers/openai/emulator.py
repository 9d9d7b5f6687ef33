"""The OpenAI Videos API emulator (providers.md §1): routes and the HTTP adapter over ``models``.

Mounted by the server at ``/providers/openai``; paths below are relative to that root, so the
official SDK works with ``base_url=<root>/v1``. Every response carries ``x-request-id``; retrieve
also carries ``openai-poll-after-ms`` (read by the SDK's ``poll()``, §1.3).

Scenarios (vidmock.scenarios): a create takes the submit fault and stores the job's plan; retrieve
takes the poll faults and content downloads the content faults, rendered in OpenAI's envelope.

``ctx.config`` may carry ``openai_extended`` (a bool; absent means False) to accept the newer
guide's 16/20 s durations and sora-2-pro 1080p sizes (§1.2); validation is strict by default.

Project webhooks (§1.6) and the ``/dashboard/webhooks`` routes that register them: ``webhooks``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...media import VideoSpec
from ...ranges import Unsatisfiable, parse_range
from ...responses import JSONResponse
from ...scenarios import UnknownScenario
from ..base import EmulatorContext
from ..callbacks import attach
from ..faults import fault_response, submit_fault_response, truncated
from ..http import journaled, read_json
from . import assets, moderations, webhooks
from .errors import MISSING_KEY, OpenAIError, fault_body, invalid_value, not_found
from .models import KIND, SEQ_COUNTER, TERMINAL, Video, check_prompt, default_latency, parse_create, scenario_prompt
from .multipart import MultipartError, parse_form

SERVICE = "openai"
MAX_BODY = 100 * 1024 * 1024
POLL_AFTER_MS = 10_000  # the guide recommends polling every 10–20 s (§1.7)
LIST_DEFAULT_LIMIT = 20
VARIANTS = ("video", "thumbnail", "spritesheet")


def build_emulator(ctx: EmulatorContext) -> ASGIApp:
    extended = bool(getattr(ctx.config, "openai_extended", False))
    dispatcher = webhooks.build_dispatcher(ctx)  # project webhooks (§1.6), see ``webhooks``

    def load(video_id: str) -> Video:
        doc = ctx.store.get(KIND, video_id)
        if doc is None:
            raise not_found(video_id)
        return Video.from_doc(doc)

    def new_video(request: Request, model: str, prompt: str, seconds: str, size: str, **extra: Any) -> Video:
        latency = ctx.config.latency.get(model)
        if latency is None:
            latency = default_latency(model, int(seconds))
        video_id = "video_" + ctx.ids.new("openai.video", 48, "0123456789abcdef")
        plan = ctx.scenarios.plan(
            SERVICE, request.headers, scenario_prompt(prompt, ctx.scenarios.catalogue), float(latency), video_id
        )
        video = Video(
            id=video_id,
            model=model,
            prompt=prompt,
            seconds=seconds,
            size=size,
            created_at=ctx.clock.now(),
            latency=float(latency),
            seq=ctx.store.next_counter(SEQ_COUNTER),
            plan=plan.to_doc(),
            **extra,
        )
        ctx.store.put(KIND, video.id, video.to_doc())
        webhooks.track(ctx, dispatcher, video)
        return video

    async def create(request: Request) -> Response:
        # The submit fault comes first, as a transport-level failure would; a body that does not
        # parse is still reported after it.
        try:
            fields, files = await _read_body(request)
            problem = None
        except OpenAIError as err:
            fields, files, problem = {}, [], err
        raw_prompt = fields.get("prompt")
        prompt = raw_prompt if isinstance(raw_prompt, str) else ""
        faulted = await submit_fault_response(
            ctx, SERVICE, request.headers, scenario_prompt(prompt, ctx.scenarios.catalogue), fault_body
        )
        if faulted is not None:
            return faulted
        if problem is not None:
            raise problem
        params = parse_create(fields, files, extended=extended)
        video = new_video(
            request, params.model, params.prompt, params.seconds, params.size, reference_count=params.reference_count
        )
        return JSONResponse(video.render(ctx.clock.now()))

    async def retrieve(request: Request) -> Response:
        video = load(request.path_params["video_id"])
        fault = ctx.scenarios.take_fault((video.plan or {}).get("faults") or {}, "poll", video.id)
        faulted = await fault_response(fault, fault_body, ctx.clock)
        if faulted is not None:
            return faulted
        return JSONResponse(video.render(ctx.clock.now()), headers={"openai-poll-after-ms": str(POLL_AFTER_MS)})

    async def list_videos(request: Request) -> Response:
        q = request.query_params
        limit = _limit(q.get("limit"))
        order = q.get("order", "desc")
        if order not in ("asc", "desc"):
            raise invalid_value(order, ("asc", "desc"), "order")
        videos = sorted(
            (Video.from_doc(d) for d in ctx.store.all(KIND)),
            key=lambda v: (v.created_at, v.seq),
            reverse=order == "desc",
        )
        after = q.get("after")
        if after is not None:
            ids = [v.id for v in videos]
            # An unknown cursor gives an empty page (real behaviour unverified).
            videos = videos[ids.index(after) + 1 :] if after in ids else []
        page = videos[:limit]
        now = ctx.clock.now()
        return JSONResponse(
            {
                "object": "list",
                "data": [v.render(now) for v in page],
                "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None,
                "has_more": len(videos) > len(page),
            }
        )

    async def delete(request: Request) -> Response:
        video = load(request.path_params["video_id"])
        status = video.status(ctx.clock.now())
        if status not in TERMINAL:
            # DELETE is documented for completed or failed videos only (§1.1); wording unverified.
            raise OpenAIError(
                400,
                f"Video '{video.id}' cannot be deleted while its status is '{status}'. "
                "Only completed or failed videos can be deleted.",
                param="video_id",
            )
        ctx.store.delete(KIND, video.id)
        return JSONResponse({"id": video.id, "object": "video.deleted", "deleted": True})

    async def content(request: Request) -> Response:
        video = load(request.path_params["video_id"])
        variant = request.query_params.get("variant", "video")
        if variant not in VARIANTS:
            raise invalid_value(variant, VARIANTS, "variant")
        now = ctx.clock.now()
        status = video.status(now)
        if status != "completed":
            # §1.5 "content before completed": 400 or 404; wording unverified.
            raise OpenAIError(
                404,
                f"Video '{video.id}' is not ready for download (status: '{status}'). "
                "Content is available once the video is completed.",
                param="video_id",
            )
        if video.expired(now):
            # Text from the field (§1.3 "Download expiry"); status code unverified.
            raise OpenAIError(
                404, "The video is no longer available. Downloads expire after 1 hours.", param="video_id"
            )
        width, height = video.dimensions
        if variant == "video":
            data = await ctx.media.aget(VideoSpec(width, height, int(video.seconds), True, video.seed))
            mime = "video/mp4"
        else:
            data = await run_in_threadpool(assets.render, variant, width, height, int(video.seconds), video.seed)
            mime = assets.MIME
        # Content faults hit downloads of the bytes. G1's completion probe (``Accept:
        # application/json``, body never read) is not a download, so it does not consume one.
        fault = None
        if request.headers.get("accept", "").strip().lower() != "application/json":
            fault = ctx.scenarios.take_fault((video.plan or {}).get("faults") or {}, "content", video.id)
        faulted = await fault_response(fault, fault_body, ctx.clock)
        if faulted is not None:
            return faulted
        size = len(data)
        headers = {"accept-ranges": "bytes"}
        try:
            part = parse_range(request.headers.get("range"), size, request.headers.get("if-range"))
        except Unsatisfiable:
            return Response(b"", status_code=416, headers={**headers, "content-range": f"bytes */{size}"})
        status_code, body = (200, data) if part is None else (206, data[part.start : part.end + 1])
        if part is not None:
            headers["content-range"] = f"bytes {part.start}-{part.end}/{size}"
        cut = truncated(fault, body, ctx.clock, mime)
        if cut is not None:
            cut.status_code = status_code
            cut.headers.update(headers)
            return cut
        return Response(body, status_code=status_code, media_type=mime, headers=headers)

    async def remix(request: Request) -> Response:
        source = load(request.path_params["video_id"])
        fields, files = await _read_body(request)
        for key in list(fields) + [name for name, _ in files]:
            if key != "prompt":
                raise OpenAIError(400, f"Unknown parameter: '{key}'.", param=key, code="unknown_parameter")
        prompt = check_prompt(fields)
        status = source.status(ctx.clock.now())
        if status != "completed":
            # "Create a remix of a completed video" (§1.2); wording unverified.
            raise OpenAIError(
                400,
                f"Video '{source.id}' cannot be remixed while its status is '{status}'. "
                "Only completed videos can be remixed.",
                param="video_id",
            )
        video = new_video(request, source.model, prompt, source.seconds, source.size, remixed_from_video_id=source.id)
        return JSONResponse(video.render(ctx.clock.now()))

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                _authenticate(request)
                response: Response = await handler(request)
                return response
            except OpenAIError as err:
                return err.response()
            except UnknownScenario as exc:
                return OpenAIError(400, str(exc), param="X-Vidmock-Scenario").response()

        return endpoint

    async def not_found_route(request: Request) -> Response:
        return OpenAIError(404, f"Invalid URL ({request.method} {request.url.path})").response()

    routes = [
        Route("/v1/videos", guarded(create), methods=["POST"]),
        Route("/v1/videos", guarded(list_videos), methods=["GET"]),
        Route("/v1/videos/{video_id}", guarded(retrieve), methods=["GET"]),
        Route("/v1/videos/{video_id}", guarded(delete), methods=["DELETE"]),
        Route("/v1/videos/{video_id}/content", guarded(content), methods=["GET"]),
        Route("/v1/videos/{video_id}/remix", guarded(remix), methods=["POST"]),
        *webhooks.dashboard_routes(ctx, dispatcher),
        *moderations.moderation_routes(ctx),  # POST /v1/moderations, the gateway content filter's classifier
        Route("/{path:path}", not_found_route, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    app = Starlette(routes=routes)
    journaled(app, SERVICE, ctx)
    wrapped = RequestIdMiddleware(app, ctx)
    attach(wrapped, dispatcher)
    dispatcher.start()  # a restart with a durable store resumes pending deliveries
    return wrapped


class RequestIdMiddleware:
    """Adds OpenAI's ``x-request-id`` (``req_`` + 32 hex) to every response."""

    def __init__(self, app: ASGIApp, ctx: EmulatorContext) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req_" + self.ctx.ids.new("openai.request", 32, "0123456789abcdef")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _authenticate(request: Request) -> None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return
    raise MISSING_KEY


def _limit(raw: str | None) -> int:
    if raw is None:
        return LIST_DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise OpenAIError(
            400, f"Invalid 'limit': expected an integer, but got '{raw}' instead.", param="limit", code="invalid_type"
        ) from None
    if limit < 0:
        raise OpenAIError(
            400,
            f"Invalid 'limit': integer below minimum value. Expected a value >= 0, but got {limit} instead.",
            param="limit",
            code="integer_below_min_value",
        )
    if limit > 100:
        raise OpenAIError(
            400,
            f"Invalid 'limit': integer above maximum value. Expected a value <= 100, but got {limit} instead.",
            param="limit",
            code="integer_above_max_value",
        )
    return limit


async def _read_body(request: Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """(fields, input_reference files as (mime, bytes)) from a JSON or multipart body."""
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY:
                raise OpenAIError(413, "Request body too large.", code="request_too_large")
        try:
            pairs, parts = parse_form(bytes(raw), content_type)
        except MultipartError as exc:
            raise OpenAIError(400, f"Could not parse multipart form: {exc}.") from exc
        fields: dict[str, Any] = {}
        for name, value in pairs:
            if name == "input_reference":
                raise OpenAIError(
                    400,
                    "Invalid 'input_reference': expected a file upload.",
                    param="input_reference",
                    code="invalid_type",
                )
            fields[name] = value
        files: list[tuple[str, bytes]] = []
        for part in parts:
            if part.name != "input_reference":
                raise OpenAIError(400, f"Unknown parameter: '{part.name}'.", param=part.name, code="unknown_parameter")
            files.append((part.content_type, part.data))
        return fields, files
    value, problem = await read_json(request, MAX_BODY)
    if problem == "too_large":
        raise OpenAIError(413, "Request body too large.", code="request_too_large")
    if problem:
        raise OpenAIError(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
            "but what was sent was not valid JSON. If you have trouble figuring out how to fix "
            "this, please contact us through our help center at help.openai.com.)",
        )
    if not isinstance(value, dict):
        raise OpenAIError(
            400,
            f"Invalid type for body: expected an object, but got {json.dumps(value)[:40]} instead.",
            code="invalid_type",
        )
    return value, []
