"""Deliberately broken gateways, each vidmock plus exactly one defect.

Built by wrapping vidmock's app in ASGI middleware (for HTTP-visible defects) or by swapping a
part of its runtime (for webhook defects), so the rest of the behaviour stays correct and the
defect is the only thing a check can see.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from vidmock.config import DEFAULT_API_KEY, Project, ServerConfig
from vidmock.gateway.application.delivery import Delivery
from vidmock.media import MediaCache
from vidmock.server import build_app

Scope = dict[str, Any]
Rewrite = Callable[[Scope, bytes, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes] | None]
# A request-side defect: change what the gateway sees (headers, query, body) before it answers.
Before = Callable[[Scope, bytes], tuple[Scope, bytes]]
OTHER_KEY = "vm-other-key"  # a key of a second project, for the isolation checks


class RewriteMiddleware:
    """Buffer a request/response pair and let ``rewrite`` replace the response (None keeps it)."""

    def __init__(self, app: Any, rewrite: Rewrite | None = None, before: Before | None = None) -> None:
        self.app, self.rewrite, self.before = app, rewrite, before

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        request_body, replayed = b"".join(chunks), False
        if self.before is not None:
            scope, request_body = self.before(scope, request_body)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"] + [
                (b"content-length", str(len(request_body)).encode())
            ]

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": request_body, "more_body": False}
            return await receive()

        start: dict[str, Any] = {}
        body: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
        status, content = int(start["status"]), b"".join(body)
        changed = self.rewrite(scope, request_body, status, headers, content) if self.rewrite else None
        if changed is not None:
            status, headers, content = changed
            headers["content-length"] = str(len(content))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": content})


def _video_path(scope: Scope) -> bool:
    parts = scope["path"].strip("/").split("/")
    return scope["method"] == "GET" and len(parts) == 3 and parts[:2] == ["v1", "videos"] and parts[2] != "logs"


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _returns_to_in_progress() -> Rewrite:
    completed_reads: dict[str, int] = {}

    def rewrite(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
        video = _json(body) if status == 200 and _video_path(scope) else None
        if not isinstance(video, dict) or video.get("status") != "completed":
            return None
        n = completed_reads[video["id"]] = completed_reads.get(video["id"], 0) + 1
        if n < 3:
            return None  # the bug shows on a later read, as a stale cache replica would
        for key in ("content", "usage"):
            video.pop(key, None)
        video |= {"status": "in_progress", "progress": 90, "completed_at": None}
        return status, headers, json.dumps(video).encode()

    return rewrite


def _empty_prompt_500(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    sent = _json(req)
    if (
        scope["method"] == "POST"
        and scope["path"] == "/v1/videos"
        and isinstance(sent, dict)
        and sent.get("prompt") == ""
    ):
        error = {"error": {"message": "Internal server error", "type": "api_error", "param": None, "code": None}}
        return 500, {**headers, "content-type": "application/json"}, json.dumps(error).encode()
    return None


def _no_envelope(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    error = _json(body) if status >= 400 else None
    if isinstance(error, dict) and isinstance(error.get("error"), dict):
        return status, headers, json.dumps({"detail": error["error"].get("message")}).encode()  # FastAPI style
    return None


def _content_before_completion(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    if scope["method"] == "GET" and scope["path"].endswith("/content") and status == 409:
        partial = b"\x00\x00\x00\x18ftypmp42" + bytes(200)  # whatever was rendered so far
        return 200, {"content-type": "video/mp4", "accept-ranges": "bytes"}, partial
    return None


def _content_field_early(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    video = _json(body) if status == 200 and (_video_path(scope) or scope["method"] == "POST") else None
    if isinstance(video, dict) and video.get("object") == "video" and video.get("status") in ("queued", "in_progress"):
        video["content"] = [
            {"type": "video", "url": f"http://127.0.0.1/v1/videos/{video['id']}/content", "mime_type": "video/mp4"}
        ]
        return status, headers, json.dumps(video).encode()
    return None


def _open_range_short(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """`bytes=A-` (A > 0) answered one byte short: the end is taken as exclusive."""
    rng = {k.decode().lower(): v.decode() for k, v in scope["headers"]}.get("range", "")
    if status != 206 or not rng.startswith("bytes=") or not rng.endswith("-") or rng in ("bytes=0-", "bytes=-"):
        return None
    start, _, total = headers.get("content-range", "").removeprefix("bytes ").replace("/", "-").split("-")
    end = int(_) - 1
    if end < int(start):
        return None
    return 206, {**headers, "content-range": f"bytes {start}-{end}/{total}"}, body[:-1]


def _image_jobs_say_processing() -> Rewrite:
    """Jobs created with an input image report the upstream's raw `processing` while they render."""
    with_image: set[str] = set()

    def rewrite(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
        video = _json(body) if status == 200 else None
        if not isinstance(video, dict) or video.get("object") != "video":
            return None
        sent = _json(req)
        if scope["method"] == "POST" and isinstance(sent, dict) and "image" in sent:
            with_image.add(str(video.get("id")))
        if video.get("id") in with_image and video.get("status") == "in_progress":
            video["status"] = "processing"
            return status, headers, json.dumps(video).encode()
        return None

    return rewrite


class ReserialiseTransport(httpx.AsyncBaseTransport):
    """Sends the webhook body re-serialised *after* it was signed: `json.dumps(json.loads(body))`."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.dumps(json.loads(await request.aread())).encode()  # spaces, \\u escapes: other bytes
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        return await self.inner.handle_async_request(
            httpx.Request(request.method, request.url, headers=headers, content=body)
        )

    async def aclose(self) -> None:
        await self.inner.aclose()  # its pooled connections, when the client is closed


def _sends_two_terminal_events(app: Any) -> None:
    runtime = app.state.vidmock
    hooks = runtime.webhooks
    original = hooks.enqueue

    async def enqueue(job: Any) -> None:
        await original(job)
        if job.callback_url and job.callback_secret:  # a second finalizer pass with its own event id
            hooks._save(
                Delivery(
                    id=hooks.ids.new("whd", 16),
                    video_job_id=job.id,
                    event_id=f"evt_{job.id}_final",
                    event_type="video.completed" if job.status == "completed" else "video.failed",
                    target_url=job.callback_url,
                    attempt=1,
                    next_retry_at=hooks.clock.now() + 5,
                )
            )

    listeners = runtime.worker.on_finalized
    listeners[listeners.index(original)] = enqueue


def _sender(app: Any, http: httpx.AsyncClient) -> None:
    """Swap the webhook sender's client; the runtime closes it with the others."""
    app.state.vidmock.webhooks.http = http
    app.state.vidmock.http_clients.append(http)


def _resigned(app: Any) -> None:
    _sender(app, httpx.AsyncClient(transport=ReserialiseTransport(), follow_redirects=False))


def _follows_redirects(app: Any) -> None:
    """Webhook deliveries follow the receiver's 3xx (and so count the redirected 2xx as delivered)."""
    _sender(app, httpx.AsyncClient(follow_redirects=True))


MIDDLEWARE: dict[str, Rewrite | Callable[[], Rewrite]] = {
    "back_to_in_progress": _returns_to_in_progress,
    "empty_prompt_500": _empty_prompt_500,
    "no_envelope": _no_envelope,
    "content_before_completion": _content_before_completion,
    "content_field_early": _content_field_early,
    # Defects only the lifecycle state machine reaches: the seeded driver sends no open-ended range
    # inside the body and no image input.
    "open_range_short": _open_range_short,
    "image_jobs_say_processing": _image_jobs_say_processing,
}
STATEFUL = ("back_to_in_progress", "image_jobs_say_processing")  # factories: one state per app
PATCHES: dict[str, Callable[[Any], None]] = {
    "resigned_json": _resigned,
    "two_terminal_events": _sends_two_terminal_events,
    "follows_redirects": _follows_redirects,
}
VARIANTS = (*MIDDLEWARE, *PATCHES)  # the issue-15 defects are listed in ``defects``


class Closing:
    """The app, closing its runtime when its server stops, in the server's own loop (at lifespan
    shutdown): otherwise the runtime's HTTP clients (the webhook sender's keep-alive socket to the
    receiver) outlive that loop and are reported as leaked sockets (pytest runs with warnings as errors)."""

    def __init__(self, app: Any) -> None:
        self.app, self.state = app, app.state

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def closing(message: Any) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.state.vidmock.aclose()
            await send(message)

        await self.app(scope, receive, closing)


def build(variant: str | None, port: int, media: MediaCache, **config: Any) -> Any:
    """vidmock on a virtual clock with two projects (keys ``vm-dev-key`` and ``vm-other-key``), plus the
    named defect (None: the correct gateway); its runtime is closed when its server stops. ``config``:
    more ServerConfig fields (e.g. ``gateway_release``)."""
    return Closing(_build(variant, port, media, config))


def _build(variant: str | None, port: int, media: MediaCache, extra: dict[str, Any]) -> Any:
    from broken import defects, defects_http, defects_more  # the issue-15 defects; they import nothing from here

    before_all = {**defects.BEFORE, **defects_more.BEFORE}
    patches = {**PATCHES, **defects.PATCHES, **defects_more.PATCHES}
    rewrites = {**defects.MIDDLEWARE, **defects_more.MIDDLEWARE, **defects_http.MIDDLEWARE}

    projects = (Project(id="proj_default", keys=(DEFAULT_API_KEY,)), Project(id="proj_other", keys=(OTHER_KEY,)))
    settings = {**defects.CONFIG.get(variant or "", {}), **extra}
    config = ServerConfig(clock="virtual", port=port, projects=projects, **settings)
    app = build_app(config, media=media)
    code = {
        *patches,
        *before_all,
        *rewrites,
        *defects.BEFORE_WITH_APP,
        *defects_more.STATEFUL,
        *MIDDLEWARE,
        *defects_http.WRAPPERS,
    }
    if variant is None or (variant in defects.CONFIG and variant not in code):  # a configuration-only defect
        return app
    if variant in patches:
        patches[variant](app)
        return app
    if variant in defects_http.WRAPPERS:  # a defect in how the answer is sent, not in what it says
        return defects_http.WRAPPERS[variant](app)
    before = before_all.get(variant) or (
        defects.BEFORE_WITH_APP[variant](app) if variant in defects.BEFORE_WITH_APP else None
    )
    rewrite: Any = rewrites.get(variant) or (
        defects_more.STATEFUL[variant]() if variant in defects_more.STATEFUL else None
    )
    if before is None and rewrite is None:
        factory = MIDDLEWARE[variant]
        rewrite = factory() if variant in STATEFUL else factory
    wrapped = RewriteMiddleware(app, rewrite, before)
    wrapped.state = app.state  # type: ignore[attr-defined]
    return wrapped
