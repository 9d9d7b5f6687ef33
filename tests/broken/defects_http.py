"""Broken gateways for the checks of family A (schemathesis) and G1 that had none (issue 15, item 8).

Same kinds as ``defects``: response rewrites (``MIDDLEWARE``; ``STATEFUL`` for one state per app) and
wrappers around the whole app (``WRAPPERS``), for defects in how or when an answer is sent rather than
in what it says. ``gateways.build`` assembles them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
Rewrite = Callable[[Scope, bytes, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes] | None]
NOT_FOUND = {"message": "Video not found", "type": "invalid_request_error", "param": None, "code": "not_found"}
# Wall seconds a slow create takes. The test sets the harness's create-latency limit below it: a loaded
# machine can only make the create slower, so the check cannot pass by accident.
CREATE_DELAY = 0.25


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _first_read_misses() -> Rewrite:
    """Reads are served by a replica that lags the primary: the first read of a job just created misses it
    and answers 404 `Video not found` (a read-after-write gap; the next read finds the job)."""
    created: set[str] = set()

    def rewrite(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
        parts = scope["path"].strip("/").split("/")
        if scope["method"] == "POST" and scope["path"] == "/v1/videos" and status == 200:
            video = _json(body)
            if isinstance(video, dict) and isinstance(video.get("id"), str):
                created.add(video["id"])
        elif scope["method"] == "GET" and len(parts) == 3 and parts[:2] == ["v1", "videos"] and parts[2] in created:
            created.discard(parts[2])
            return 404, {**headers, "content-type": "application/json"}, json.dumps({"error": NOT_FOUND}).encode()
        return None

    return rewrite


def _request_id_echoed_raw(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """`x-request-id` answers with the incoming header as sent, not the request id in use: empty when the
    caller sent none or an empty one (the gateway generated an id for its own logs and never shows it)."""
    sent = next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"x-request-id"), "")
    if headers.get("x-request-id") != sent:
        return status, {**headers, "x-request-id": sent}, body
    return None


def _validation_errors_as_200(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """Schema violations on create are answered 200 with the error envelope ("soft" errors, as some RPC
    frameworks do): a client that checks the status believes the job was created."""
    error = _json(body) if status == 400 and scope["method"] == "POST" else None
    message = error.get("error", {}).get("message", "") if isinstance(error, dict) else ""
    if isinstance(message, str) and message.startswith("Invalid request parameters: "):
        return 200, headers, body
    return None


class CutOffSignedUrlErrors:
    """The key-less content route's 401 is cut off: half the body is written, then the connection drops
    (a stream error in the signed-URL handler). Nothing answers, so schemathesis reports an error of its own."""

    def __init__(self, app: Any) -> None:
        self.app, self.state = app, app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/videos/logs/"):
            await self.app(scope, receive, send)
            return
        status = 0

        async def cut(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status == 401:
                body = message.get("body", b"")
                await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
                raise ConnectionResetError("signed-URL handler: stream closed mid-body")
            await send(message)

        await self.app(scope, receive, cut)


class SlowCreate:
    """Create waits for the upstream's first status poll before it answers (a synchronous create):
    ``CREATE_DELAY`` wall seconds on every create. Reads are untouched."""

    def __init__(self, app: Any) -> None:
        self.app, self.state = app, app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/v1/videos":
            await asyncio.sleep(CREATE_DELAY)  # test code: the defect is wall time, on purpose
        await self.app(scope, receive, send)


MIDDLEWARE: dict[str, Rewrite] = {
    "request_id_echoed_raw": _request_id_echoed_raw,
    "validation_errors_as_200": _validation_errors_as_200,
}
STATEFUL: dict[str, Callable[[], Rewrite]] = {"first_read_misses": _first_read_misses}  # one state per app
WRAPPERS: dict[str, Callable[[Any], Any]] = {
    "signed_url_errors_cut_off": CutOffSignedUrlErrors,
    "slow_create": SlowCreate,
}
