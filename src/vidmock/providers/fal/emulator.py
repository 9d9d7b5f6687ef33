"""The fal.ai queue emulator: routes and the HTTP adapter over ``models`` (providers.md §11).

Wire format (base ``https://queue.fal.run``, here the emulator root):

- ``POST /{model_id}[?fal_webhook=URL]``: model ids have slashes, so one catch-all route takes every
  path; the answer is ``{status: "IN_QUEUE", request_id, gateway_request_id, response_url, status_url,
  cancel_url, queue_position}`` (``status`` as fal's API docs show it; ``gateway_request_id`` equals
  ``request_id``: the emulator never auto-retries a request).
- ``GET /{owner}/{app}/requests/{id}/status[?logs=1]`` (``logs=true`` too: the Python SDK sends that),
  ``GET …/status/stream`` (server-sent events, one per change, until ``COMPLETED``),
  ``GET /{owner}/{app}/requests/{id}`` (the result) and ``PUT …/cancel``. The path after the app is
  not part of these (§11.1); a request looked up under another app is not found.
- ``Authorization: Key <key_id>:<key_secret>`` (any well-formed key unless ``FalOptions.keys``), and
  ``Bearer <token>`` (the SDK's ``fal auth login`` credentials); missing or malformed: 401.
- ``GET /files/{id}/output.mp4``: the video, CDN-style (no auth), byte ranges, 7 days after completion.
- ``GET /.well-known/jwks.json``: the webhook signing key (``webhooks``).

Chosen where the reference is silent: the status route answers 202 until ``COMPLETED`` and 200 then
(fal's API docs; ``FalOptions.status_202``); ``queue_position`` is the number of requests for the same
app submitted earlier and still queued; the result before completion is 400 ``Request is still in
progress``; cancel answers 202 ``CANCELLATION_REQUESTED`` for a live request, but only a queued one
actually stops (§11.1: cancel applies to a request "that has not started processing"; a running one
carries on unless ``FalOptions.cancel_running``), 400 ``ALREADY_COMPLETED`` once completed.

Scenarios: submit faults on create, poll faults on the status route, content faults on the file.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ...jsonutil import dumps
from ...media import VideoSpec
from ...responses import JSONResponse
from ..base import EmulatorContext
from ..callbacks import CallbackDispatcher
from ..faults import truncated
from ..http import ranged_response
from ..kit import BadBody, Emulator
from . import webhooks
from .errors import (
    ALREADY_COMPLETED,
    BAD_AUTH_SCHEME,
    BAD_KEY_FORMAT,
    CANCEL_NOT_FOUND,
    MISSING_AUTH,
    REQUEST_NOT_FOUND,
    STILL_RUNNING,
    UNKNOWN_KEY,
    FalError,
    fault_error,
    validation_error,
)
from .models import ENDPOINTS, KIND, Endpoint, FalOptions, FalRequest, generic_endpoint, split_model_id, validate_input

SERVICE = "fal"
STREAM_TICK = 1.0  # clock seconds between checks of a status stream when no plan step is due sooner
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
QueueOp = Callable[[Request, FalRequest], Awaitable[Response]]


def user_id_for(credential: str) -> str:
    """A stable user id per key id (fal signs webhooks with the submitting user's id)."""
    return "vidmock-" + hashlib.blake2b(credential.encode(), digest_size=6).hexdigest()


class FalEmulator(Emulator):
    service = SERVICE
    max_body = 32 * 1024 * 1024
    submit_path = "/fal-ai/kling-video/v2/master/text-to-video"

    def example_headers(self) -> dict[str, str]:
        return {"Authorization": "Key vidmock-key-id:vidmock-key-secret"}

    def __init__(self, ctx: EmulatorContext, options: FalOptions | None = None) -> None:
        super().__init__(ctx)
        self.opts = options or FalOptions()
        self.key = webhooks.signing_key(ctx.config.seed)
        self.dispatcher = webhooks.build_dispatcher(ctx, self.key, self.result_body)
        self.queue_ops: dict[tuple[str, tuple[str, ...]], QueueOp] = {
            ("GET", ()): self.result,
            ("GET", ("status",)): self.status,
            ("GET", ("status", "stream")): self.stream,
            ("PUT", ("cancel",)): self.cancel,
        }

    def routes(self) -> list[BaseRoute]:
        # Model ids have slashes: one catch-all route takes every other path (``dispatch``).
        return [
            Route("/.well-known/jwks.json", self.jwks, methods=["GET"]),
            Route("/files/{request_id}/{name}", self.video_file, methods=["GET"]),
            Route("/{path:path}", self.dispatch, methods=METHODS),
        ]

    def callbacks(self) -> CallbackDispatcher:
        return self.dispatcher

    def error(self, status: int, code: str | None, message: str | None) -> FalError:
        return fault_error(status, code, message)

    def too_large(self) -> FalError:
        return FalError(413, f"Request body is too large (limit {self.body_limit} bytes).")

    def unreadable(self, request: Request, problem: BadBody) -> FalError:
        if problem.status == 413:
            return self.too_large()
        return FalError(422, [validation_error(["body", 0], "JSON decode error", "json_invalid")])

    def result_body(self, req: FalRequest, now: float) -> tuple[int, dict[str, Any]]:
        failure = req.failure(now)
        return (200, req.output(self.base_url)) if failure is None else (failure[0], failure[1])

    def authenticate(self, request: Request) -> str:
        auth = request.headers.get("authorization", "").strip()
        if not auth:
            raise MISSING_AUTH
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() == "key":
            key_id, sep, secret = token.partition(":")
            if not (sep and key_id and secret):
                raise BAD_KEY_FORMAT
            if self.opts.keys and token not in self.opts.keys:
                raise UNKNOWN_KEY
            return user_id_for(key_id)
        if scheme.lower() == "bearer" and token:
            return user_id_for(token)
        raise BAD_AUTH_SCHEME

    def endpoint_for(self, model_id: str) -> Endpoint | None:
        override = self.ctx.config.latency.get(model_id)
        spec = ENDPOINTS.get(model_id)
        if spec is not None:
            return spec if override is None else replace(spec, latency=float(override))
        return None if override is None else generic_endpoint(float(override))

    def known_app(self, owner: str, app: str) -> bool:
        splits = (split_model_id(m) for m in (*ENDPOINTS, *self.ctx.config.latency))
        return any(s is not None and s[:2] == (owner, app) for s in splits)

    def load(self, owner: str, app: str, request_id: str) -> FalRequest:
        doc = self.ctx.store.get(KIND, request_id)
        if doc is None or (doc["owner"], doc["app"]) != (owner, app):
            raise REQUEST_NOT_FOUND
        return FalRequest.from_doc(doc)

    def queue_position(self, req: FalRequest, now: float) -> int:
        # Requests for the same app submitted earlier and still waiting (0 = next to run).
        ahead = 0
        for doc in self.ctx.store.all(KIND):
            if doc["seq"] < req.seq and (doc["owner"], doc["app"]) == (req.owner, req.app):
                if FalRequest.from_doc(doc).phase(now)[0] == "IN_QUEUE":
                    ahead += 1
        return ahead

    # -- routes ----------------------------------------------------------------------------------
    async def dispatch(self, request: Request) -> Response:
        path: str = request.path_params["path"]
        parts = path.strip("/").split("/")
        if len(parts) >= 4 and parts[2] == "requests":
            self.authenticate(request)
            rest = tuple(parts[4:])
            handler = self.queue_ops.get((request.method, rest))
            if handler is None:
                known = any(r == rest for _, r in self.queue_ops)
                raise FalError(405, "Method Not Allowed") if known else FalError(404, "Not Found")
            doc = self.ctx.store.get(KIND, parts[3])
            if doc is None or (doc["owner"], doc["app"]) != (parts[0], parts[1]):
                raise CANCEL_NOT_FOUND if handler == self.cancel else REQUEST_NOT_FOUND
            return await handler(request, FalRequest.from_doc(doc))
        if request.method == "POST":
            return await self.submit(request, path)
        self.authenticate(request)
        if split_model_id(path) is not None:
            raise FalError(405, "Method Not Allowed")
        raise FalError(404, "Not Found")

    async def submit(self, request: Request, path: str) -> Response:
        ctx = self.ctx
        user_id = self.authenticate(request)
        value, problem = await self.read_json(request)
        prompt = value.get("prompt") if isinstance(value, dict) else None
        faulted = await self.submit_fault(request, prompt)
        if faulted is not None:
            return faulted
        # The app is routed before its body is read, as fal's front end does: an unknown app is a 404
        # whatever the body.
        ids = split_model_id(path)
        spec = self.endpoint_for(path.strip("/")) if ids is not None else None
        if ids is None or spec is None:
            if ids is not None and self.known_app(ids[0], ids[1]):
                raise FalError(404, "Not Found")  # the app exists; its FastAPI has no such route
            raise FalError(404, f"Application '{path.strip('/')}' not found")
        if problem is not None:
            raise problem
        webhook_url = request.query_params.get("fal_webhook")
        if webhook_url is not None:
            try:  # urlsplit raises on some garbage ("http://[::1/"): a 400, never a 500 (issue 12)
                parts = urlsplit(webhook_url)
                usable = parts.scheme in ("http", "https") and bool(parts.hostname)
            except ValueError:
                usable = False
            if not usable:
                raise FalError(400, "fal_webhook must be an absolute http(s) URL.")
        fields, errors = validate_input(spec, value)
        if errors and self.opts.validate_on_submit:
            raise FalError(422, errors)
        request_id = ctx.ids.uuid("fal.request")
        plan = ctx.scenarios.plan(SERVICE, request.headers, fields.get("prompt") or "", spec.latency, request_id)
        now = ctx.clock.now()
        req = FalRequest(
            id=request_id,
            model_id=path.strip("/"),
            owner=ids[0],
            app=ids[1],
            created_at=now,
            user_id=user_id,
            prompt=fields.get("prompt", ""),
            width=fields.get("width", 1280),
            height=fields.get("height", 720),
            seconds=fields.get("seconds", 5),
            audio=fields.get("audio", False),
            seed=fields.get("seed") or plan.seed,
            plan=plan.to_doc(),
            errors=errors,
            webhook_url=webhook_url,
            seq=ctx.store.next_counter("fal.request.seq"),
        )
        ctx.store.put(KIND, request_id, req.to_doc())
        if webhook_url:
            self.dispatcher.watch(request_id)
        return JSONResponse(
            {
                "status": "IN_QUEUE",
                "request_id": request_id,
                "gateway_request_id": request_id,
                **req.urls(self.base_url),
                "queue_position": self.queue_position(req, now),
            }
        )

    def status_payload(self, req: FalRequest, logs: bool) -> tuple[dict[str, Any], int]:
        now = self.ctx.clock.now()
        queued = req.phase(now)[0] == "IN_QUEUE"  # the position scan only where it is shown
        body = req.render_status(now, self.base_url, self.queue_position(req, now) if queued else 0, logs)
        return body, 200 if body["status"] == "COMPLETED" or not self.opts.status_202 else 202

    async def status(self, request: Request, req: FalRequest) -> Response:
        faulted = await self.status_fault(request, req.plan, req.id)
        if faulted is not None:
            return faulted
        body, code = self.status_payload(req, _with_logs(request))
        return JSONResponse(body, status_code=code)

    async def stream(self, request: Request, req: FalRequest) -> Response:
        logs = _with_logs(request)
        ctx = self.ctx

        async def events() -> AsyncIterator[bytes]:
            last: dict[str, Any] | None = None
            while True:
                current = self.load(req.owner, req.app, req.id)  # reloaded: a cancel changes the record
                body, _ = self.status_payload(current, logs)
                if body != last:
                    yield b"data: " + dumps(body) + b"\n\n"
                    last = body
                if body["status"] == "COMPLETED":
                    return
                now = ctx.clock.now()
                due = min(filter(None, (current.next_change(now), now + STREAM_TICK)))
                await _until(ctx, due)

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    async def result(self, request: Request, req: FalRequest) -> Response:
        now = self.ctx.clock.now()
        if req.phase(now)[0] != "COMPLETED":
            raise STILL_RUNNING
        if req.result_expired(now, self.opts.result_ttl):
            raise FalError(404, "Request result has expired.")
        code, body = self.result_body(req, now)
        return JSONResponse(body, status_code=code)

    async def cancel(self, request: Request, req: FalRequest) -> Response:
        now = self.ctx.clock.now()
        phase = req.phase(now)[0]
        if phase == "COMPLETED":
            raise ALREADY_COMPLETED
        if phase == "IN_QUEUE" or self.opts.cancel_running:
            req.cancelled_at = now
            self.ctx.store.put(KIND, req.id, req.to_doc())
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202)

    async def video_file(self, request: Request) -> Response:
        doc = self.ctx.store.get(KIND, request.path_params["request_id"])
        if doc is None or request.path_params["name"] != "output.mp4":
            raise FalError(404, "File not found.")
        req = FalRequest.from_doc(doc)
        now = self.ctx.clock.now()
        if req.phase(now) != ("COMPLETED", "completed"):
            raise FalError(404, "File not found.")
        if not req.content_available(now, self.opts.content_ttl):
            raise FalError(404, "File has expired.")
        faulted, fault = await self.content_fault(request, req.plan, req.id)
        if faulted is not None:
            return faulted
        data = await self.ctx.media.aget(VideoSpec(req.width, req.height, req.seconds, req.audio, req.seed))
        return truncated(fault, data, self.ctx.clock, "video/mp4") or ranged_response(request, data)

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(webhooks.jwks(self.key))


def _with_logs(request: Request) -> bool:
    return request.query_params.get("logs", "").strip().lower() in ("1", "true")


async def _until(ctx: EmulatorContext, due: float) -> None:
    """Wait until the clock reaches ``due``: a clock timer, so virtual time (``advance``) wakes it too."""
    wake = asyncio.Event()

    async def fire() -> None:
        wake.set()

    handle = ctx.clock.call_at(due, fire)
    try:
        await wake.wait()
    finally:
        handle.cancel()
