"""The webhooks OpenAI sends for Sora videos (providers.md §1.6, webhooks.md §2–§4).

Events ``video.completed`` and ``video.failed`` go to every registered endpoint subscribed to them
when a video reaches a terminal status. The payload is thin, so the receiver must GET the video::

    {"id": "evt_…", "object": "event", "created_at": 1758941485, "type": "video.completed",
     "data": {"id": "video_…"}}

Signed with Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature:
v1,<base64>`` keyed with the base64-decoded part of the endpoint's ``whsec_`` secret), re-signed
with a fresh timestamp on every attempt, same id and same bytes.

On the real service endpoints are configured in the dashboard. vidmock stands in for it with
``POST /dashboard/webhooks {url, secret?, events?}`` on this emulator (``GET`` lists them without
secrets, ``DELETE /dashboard/webhooks/{id}`` removes one, ``GET /dashboard/webhooks/deliveries``
shows every attempt). Nothing here exists on api.openai.com.

Choices where the reference is silent:

* ``webhook-id`` is the event id (``evt_…``): Standard Webhooks only asks for an id stable across
  retries, and the event id is exactly that.
* ``expired`` (the unofficial status) sends ``video.failed``: only two video events exist.
* ``created_at`` is when the video reached its terminal status.
* Retries: 1 min doubling, capped at 24 h, none due more than 72 h after the first attempt
  ("exponential backoff for up to 72 h", §1.6); 30 s timeout; any 2xx succeeds, 3xx fails.
* Videos are tracked while at least one endpoint is registered (from create, or from the
  registration for videos still running then): an endpoint registered after a video ended gets
  nothing for it.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...responses import JSONResponse
from ...webhooks import sign
from ...webhooks.schemes import WHSEC_PREFIX, mask_secret, standard_key
from ..base import EmulatorContext
from ..callbacks import Attempt, CallbackDispatcher, Event, RetryPolicy
from ..http import read_json
from .errors import OpenAIError
from .models import KIND, TERMINAL, Video

SERVICE = "openai"
ENDPOINT_KIND = "openai.webhook_endpoint"
EVENTS = ("video.completed", "video.failed")
POLICY = RetryPolicy(max_attempts=100, first_delay=60.0, max_delay=86400.0, timeout=30.0, give_up_after=72 * 3600.0)
KEY_BYTES = (24, 64)  # Standard Webhooks: secrets are 24–64 random bytes


def event_type(status: str) -> str:
    return "video.completed" if status == "completed" else "video.failed"


def build_dispatcher(ctx: EmulatorContext) -> CallbackDispatcher:
    def observe(video_id: str, now: float) -> str | None:
        doc = ctx.store.get(KIND, video_id)
        return None if doc is None else Video.from_doc(doc).status(now)

    def emit(video_id: str, before: str | None, status: str, now: float) -> list[Event]:
        if status not in TERMINAL:
            return []
        kind = event_type(status)
        targets = [e for e in ctx.store.all(ENDPOINT_KIND) if kind in e["events"]]
        if not targets:
            return []
        video = Video.from_doc(ctx.store.get(KIND, video_id) or {})
        event_id = "evt_" + ctx.ids.new("openai.event", 32, "0123456789abcdef")
        created = video.finished_at if video.finished_at is not None else now
        payload = {
            "id": event_id,
            "object": "event",
            "created_at": int(created),
            "type": kind,
            "data": {"id": video_id},
        }
        body = json.dumps(payload, separators=(",", ":"))
        return [Event(event_id, kind, e["url"], body, endpoint=e["id"]) for e in reversed(targets)]

    def signer(row: Attempt, timestamp: int, body: bytes) -> dict[str, str] | None:
        endpoint = ctx.store.get(ENDPOINT_KIND, row.endpoint or "")
        if endpoint is None:
            return None
        return sign("standard", endpoint["secret"], row.event_id, timestamp, body)

    return CallbackDispatcher(
        SERVICE, ctx.clock, ctx.store, ctx.ids, POLICY, observe=observe, emit=emit, terminal=TERMINAL, sign=signer
    )


def track(ctx: EmulatorContext, dispatcher: CallbackDispatcher, video: Video) -> None:
    """A new video: tracked only when someone listens."""
    if ctx.store.count(ENDPOINT_KIND):
        dispatcher.watch(video.id)


def dashboard_routes(ctx: EmulatorContext, dispatcher: CallbackDispatcher) -> list[Route]:
    async def register(request: Request) -> Response:
        value, problem = await read_json(request, 64 * 1024)
        if problem or not isinstance(value, dict):
            raise OpenAIError(400, "Expected a JSON object with 'url', and optionally 'secret' and 'events'.")
        url, secret, events = value.get("url"), value.get("secret"), value.get("events", list(EVENTS))
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise OpenAIError(400, "Invalid 'url': expected an http(s) URL.", param="url", code="invalid_value")
        if not isinstance(events, list) or not events or any(e not in EVENTS for e in events):
            raise OpenAIError(
                400,
                f"Invalid 'events': expected a non-empty subset of {list(EVENTS)}.",
                param="events",
                code="invalid_value",
            )
        if secret is None:
            raw = bytes.fromhex(ctx.ids.new("openai.webhook_secret", 64, "0123456789abcdef"))
            secret = WHSEC_PREFIX + base64.b64encode(raw).decode()
        _check_secret(secret)
        now = ctx.clock.now()
        endpoint_id = "we_" + ctx.ids.new("openai.webhook_endpoint", 32, "0123456789abcdef")
        endpoint: dict[str, Any] = {
            "id": endpoint_id,
            "object": "webhook_endpoint",
            "url": url,
            "events": list(dict.fromkeys(events)),
            "secret": secret,
            "created_at": int(now),
        }
        ctx.store.put(ENDPOINT_KIND, endpoint_id, endpoint)
        for doc in ctx.store.all(KIND):  # videos still running now will be reported to it too
            status = Video.from_doc(doc).status(now)
            if status not in TERMINAL and not dispatcher.watching(doc["id"]):
                dispatcher.watch(doc["id"], status)
        return JSONResponse(endpoint)  # the secret is shown here only (§1.6 "shown once")

    async def list_endpoints(request: Request) -> Response:
        data = [{**e, "secret": mask_secret(e["secret"])} for e in reversed(ctx.store.all(ENDPOINT_KIND))]
        return JSONResponse({"object": "list", "data": data})

    async def remove(request: Request) -> Response:
        endpoint_id = request.path_params["endpoint_id"]
        if ctx.store.get(ENDPOINT_KIND, endpoint_id) is None:
            raise OpenAIError(404, f"No webhook endpoint found with id '{endpoint_id}'.", param="endpoint_id")
        ctx.store.delete(ENDPOINT_KIND, endpoint_id)
        return JSONResponse({"id": endpoint_id, "object": "webhook_endpoint.deleted", "deleted": True})

    async def deliveries(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": dispatcher.rows(request.query_params.get("video_id"))})

    def handled(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                response: Response = await handler(request)
                return response
            except OpenAIError as err:
                return err.response()

        return endpoint

    return [
        Route("/dashboard/webhooks", handled(register), methods=["POST"]),
        Route("/dashboard/webhooks", handled(list_endpoints), methods=["GET"]),
        Route("/dashboard/webhooks/deliveries", handled(deliveries), methods=["GET"]),
        Route("/dashboard/webhooks/{endpoint_id}", handled(remove), methods=["DELETE"]),
    ]


def _check_secret(secret: Any) -> None:
    if not isinstance(secret, str) or not secret.startswith(WHSEC_PREFIX):
        raise OpenAIError(
            400, "Invalid 'secret': expected 'whsec_' followed by base64.", param="secret", code="invalid_value"
        )
    try:
        key = standard_key(secret)
    except ValueError as exc:
        raise OpenAIError(400, f"Invalid 'secret': {exc}.", param="secret", code="invalid_value") from None
    if not KEY_BYTES[0] <= len(key) <= KEY_BYTES[1]:
        raise OpenAIError(
            400,
            f"Invalid 'secret': the key must decode to {KEY_BYTES[0]}–{KEY_BYTES[1]} bytes.",
            param="secret",
            code="invalid_value",
        )
