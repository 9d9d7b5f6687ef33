"""The OpenAI Videos API emulator (providers.md §1): routes and the HTTP adapter over ``models``.

Mounted by the server at ``/providers/openai``; paths below are relative to that root, so the
official SDK works with ``base_url=<root>/v1``. Every response carries ``x-request-id``; retrieve
also carries ``openai-poll-after-ms`` (read by the SDK's ``poll()``, §1.3).

Scenarios (vidmock.scenarios): a create takes the submit fault and stores the job's plan; retrieve
takes the poll faults and content downloads the content faults, rendered in OpenAI's envelope.

``ctx.config`` may carry ``openai_extended`` (a bool; absent means False) to accept the newer
guide's 16/20 s durations and sora-2-pro 1080p sizes (§1.2); validation is strict by default.

Project webhooks (§1.6) and the ``/dashboard/webhooks`` routes that register them: ``webhooks``.
Edits, extensions and characters (changes-2026-12.md §4.1): ``edits``. ``ctx.config.openai_shutdown``
makes the emulator answer as the API after its 2026-09-24 shutdown (``shutdown``; unverified).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...media import VideoSpec
from ...ranges import Unsatisfiable, parse_range
from ...responses import JSONResponse
from ...scenarios import UnknownScenario
from ..base import EmulatorContext
from ..callbacks import CallbackDispatcher
from ..faults import truncated
from ..kit import BadBody, Emulator, ProviderError
from . import assets, bodies, moderations, shutdown, webhooks
from .bodies import INVALID_JSON, Body
from .edits import (
    CHARACTER_KIND,
    UPLOADED_SOURCE,
    Character,
    SourceRef,
    character_not_found,
    parse_character,
    parse_edit,
    parse_extension,
)
from .errors import MISSING_KEY, OpenAIError, fault_error, invalid_value, not_found
from .models import KIND, SEQ_COUNTER, TERMINAL, Video, check_prompt, default_latency, parse_create, scenario_prompt

SERVICE = "openai"
POLL_AFTER_MS = 10_000  # the guide recommends polling every 10–20 s (§1.7)
LIST_DEFAULT_LIMIT = 20
VARIANTS = ("video", "thumbnail", "spritesheet")


class OpenAIEmulator(Emulator):
    service = SERVICE
    max_body = 100 * 1024 * 1024
    request_id_header = "x-request-id"  # on every answer: ``req_`` + 32 hex
    submit_path = "/v1/videos"

    def __init__(self, ctx: EmulatorContext) -> None:
        super().__init__(ctx)
        self.extended = bool(getattr(ctx.config, "openai_extended", False))
        self.shut_down = bool(getattr(ctx.config, "openai_shutdown", False))  # changes-2026-12.md §4.1
        self.dispatcher = webhooks.build_dispatcher(ctx)  # project webhooks (§1.6), see ``webhooks``

    def routes(self) -> list[BaseRoute]:
        if self.shut_down:
            return [
                *shutdown.routes(self.route_not_found, self.read_parts),
                *webhooks.dashboard_routes(self.ctx, self.dispatcher),
                *moderations.moderation_routes(self.ctx),  # moderations outlived the Videos API
            ]
        return [
            Route("/v1/videos/edits", self.edit, methods=["POST"]),  # changes-2026-12.md §4.1 (edits.py)
            Route("/v1/videos/extensions", self.extend, methods=["POST"]),
            Route("/v1/videos/characters", self.create_character, methods=["POST"]),
            Route("/v1/videos/characters/{character_id}", self.get_character, methods=["GET"]),
            Route("/v1/videos", self.create, methods=["POST"]),
            Route("/v1/videos", self.list_videos, methods=["GET"]),
            Route("/v1/videos/{video_id}", self.retrieve, methods=["GET"]),
            Route("/v1/videos/{video_id}", self.delete, methods=["DELETE"]),
            Route("/v1/videos/{video_id}/content", self.content, methods=["GET"]),
            Route("/v1/videos/{video_id}/remix", self.remix, methods=["POST"]),
            *webhooks.dashboard_routes(self.ctx, self.dispatcher),
            *moderations.moderation_routes(self.ctx),  # POST /v1/moderations: the gateway content filter's classifier
        ]

    def callbacks(self) -> CallbackDispatcher:
        return self.dispatcher

    def error(self, status: int, code: str | None, message: str | None) -> OpenAIError:
        return fault_error(status, code, message)

    def route_not_found(self, request: Request) -> OpenAIError:
        # What api.openai.com answers for a path (or a verb on a path) it does not serve.
        return OpenAIError(404, f"Invalid URL ({request.method} {request.url.path})")

    def method_not_allowed(self, request: Request) -> OpenAIError:
        return self.route_not_found(request)

    def too_large(self) -> OpenAIError:
        return OpenAIError(413, "Request body too large.", code="request_too_large")

    def unreadable(self, request: Request, problem: BadBody) -> OpenAIError:
        if problem.status == 413:
            return self.too_large()
        if problem.form:
            return OpenAIError(400, f"Could not parse multipart form: {problem.reason}.")
        return OpenAIError(400, INVALID_JSON)

    def unknown_scenario(self, exc: UnknownScenario) -> OpenAIError:
        return OpenAIError(400, str(exc), param="X-Vidmock-Scenario")

    def new_request_id(self) -> str:
        return "req_" + self.ctx.ids.new("openai.request", 32, "0123456789abcdef")

    def load(self, video_id: str) -> Video:
        doc = self.ctx.store.get(KIND, video_id)
        if doc is None:
            raise not_found(video_id)
        return Video.from_doc(doc)

    def new_video(self, request: Request, model: str, prompt: str, seconds: str, size: str, **extra: Any) -> Video:
        ctx = self.ctx
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
        webhooks.track(ctx, self.dispatcher, video)
        return video

    async def create(self, request: Request) -> Response:
        _authenticate(request)
        # The submit fault comes first, as a transport-level failure would; a body that does not
        # parse is still reported after it.
        (fields, files), problem = await self.read_body(request)
        raw_prompt = fields.get("prompt")
        prompt = raw_prompt if isinstance(raw_prompt, str) else ""
        faulted = await self.submit_fault(request, scenario_prompt(prompt, self.ctx.scenarios.catalogue))
        if faulted is not None:
            return faulted
        if problem is not None:
            raise problem
        params = parse_create(fields, files, extended=self.extended)
        video = self.new_video(
            request, params.model, params.prompt, params.seconds, params.size, reference_count=params.reference_count
        )
        return JSONResponse(video.render(self.ctx.clock.now()))

    async def retrieve(self, request: Request) -> Response:
        _authenticate(request)
        video = self.load(request.path_params["video_id"])
        faulted = await self.status_fault(request, video.plan, video.id)
        if faulted is not None:
            return faulted
        return JSONResponse(video.render(self.ctx.clock.now()), headers={"openai-poll-after-ms": str(POLL_AFTER_MS)})

    async def list_videos(self, request: Request) -> Response:
        _authenticate(request)
        q = request.query_params
        limit = _limit(q.get("limit"))
        order = q.get("order", "desc")
        if order not in ("asc", "desc"):
            raise invalid_value(order, ("asc", "desc"), "order")
        videos = sorted(
            (Video.from_doc(d) for d in self.ctx.store.all(KIND)),
            key=lambda v: (v.created_at, v.seq),
            reverse=order == "desc",
        )
        after = q.get("after")
        if after is not None:
            ids = [v.id for v in videos]
            # An unknown cursor gives an empty page (real behaviour unverified).
            videos = videos[ids.index(after) + 1 :] if after in ids else []
        page = videos[:limit]
        now = self.ctx.clock.now()
        return JSONResponse(
            {
                "object": "list",
                "data": [v.render(now) for v in page],
                "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None,
                "has_more": len(videos) > len(page),
            }
        )

    async def delete(self, request: Request) -> Response:
        _authenticate(request)
        video = self.load(request.path_params["video_id"])
        status = video.status(self.ctx.clock.now())
        if status not in TERMINAL:
            # DELETE is documented for completed or failed videos only (§1.1); wording unverified.
            raise OpenAIError(
                400,
                f"Video '{video.id}' cannot be deleted while its status is '{status}'. "
                "Only completed or failed videos can be deleted.",
                param="video_id",
            )
        self.ctx.store.delete(KIND, video.id)
        return JSONResponse({"id": video.id, "object": "video.deleted", "deleted": True})

    async def content(self, request: Request) -> Response:
        _authenticate(request)
        ctx = self.ctx
        video = self.load(request.path_params["video_id"])
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
        faulted, fault = None, None
        if request.headers.get("accept", "").strip().lower() != "application/json":
            faulted, fault = await self.content_fault(request, video.plan, video.id)
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

    async def remix(self, request: Request) -> Response:
        _authenticate(request)
        source = self.load(request.path_params["video_id"])
        (fields, files), problem = await self.read_body(request)
        if problem is not None:
            raise problem
        for key in list(fields) + [name for name, _ in files]:
            if key != "prompt":
                raise OpenAIError(400, f"Unknown parameter: '{key}'.", param=key, code="unknown_parameter")
        prompt = check_prompt(fields)
        status = source.status(self.ctx.clock.now())
        if status != "completed":
            # "Create a remix of a completed video" (§1.2); wording unverified.
            raise OpenAIError(
                400,
                f"Video '{source.id}' cannot be remixed while its status is '{status}'. "
                "Only completed videos can be remixed.",
                param="video_id",
            )
        video = self.new_video(
            request, source.model, prompt, source.seconds, source.size, remixed_from_video_id=source.id
        )
        return JSONResponse(video.render(self.ctx.clock.now()))

    async def edit(self, request: Request) -> Response:
        _authenticate(request)
        params = parse_edit(*await self.read_parts(request))
        model, seconds, size = self.source_of(params.source)
        return await self.derived(request, model, params.prompt, seconds, size)

    async def extend(self, request: Request) -> Response:
        _authenticate(request)
        params = parse_extension(*await self.read_parts(request))
        model, seconds, size = self.source_of(params.source)
        total = str(int(seconds) + int(params.seconds or 0))  # the source plus the new segment (chosen)
        return await self.derived(request, model, params.prompt, total, size)

    async def derived(self, request: Request, model: str, prompt: str, seconds: str, size: str) -> Response:
        faulted = await self.submit_fault(request, scenario_prompt(prompt, self.ctx.scenarios.catalogue))
        if faulted is not None:
            return faulted
        video = self.new_video(request, model, prompt, seconds, size)
        return JSONResponse(video.render(self.ctx.clock.now()))

    def source_of(self, source: SourceRef) -> tuple[str, str, str]:
        """(model, seconds, size) of an edit's or extension's source: a completed video, or an upload."""
        if source.video_id is None:
            return UPLOADED_SOURCE
        video = self.load(source.video_id)
        status = video.status(self.ctx.clock.now())
        if status != "completed":
            raise OpenAIError(
                400,
                f"Video '{video.id}' cannot be used as a source while its status is '{status}'. "
                "Only completed videos can be edited or extended.",
                param="video",
            )
        return video.model, video.seconds, video.size

    async def create_character(self, request: Request) -> Response:
        _authenticate(request)
        name, data = parse_character(*await self.read_parts(request))
        ctx = self.ctx
        character = Character(
            id="char_" + ctx.ids.new("openai.character", 32, "0123456789abcdef"),
            name=name,
            created_at=ctx.clock.now(),
            video_bytes=len(data),
        )
        ctx.store.put(CHARACTER_KIND, character.id, character.to_doc())
        return JSONResponse(character.render())

    async def get_character(self, request: Request) -> Response:
        _authenticate(request)
        character_id = request.path_params["character_id"]
        doc = self.ctx.store.get(CHARACTER_KIND, character_id)
        if doc is None:
            raise character_not_found(character_id)
        return JSONResponse(Character.from_doc(doc).render())

    async def read_parts(self, request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        return await bodies.read_parts(self, request)

    async def read_body(self, request: Request) -> tuple[Body, ProviderError | None]:
        return await bodies.read_body(self, request)


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
            400,
            f"Invalid 'limit': expected an integer, but got '{raw[:40]}' instead.",
            param="limit",
            code="invalid_type",
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
