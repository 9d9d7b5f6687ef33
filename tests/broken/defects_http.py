"""Broken gateways for the checks of family A (schemathesis) and G1 that had none (issue 15, item 8).

Same kinds as ``defects``: response rewrites (``MIDDLEWARE``) and wrappers around the whole app (``WRAPPERS``), for defects in how or when an answer is sent rather than
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
REPLICA_LAG = 1.0  # gateway seconds


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


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


class ReplicaLag:
    """Reads are served by a replica that applies writes ``REPLICA_LAG`` seconds late (on the gateway's
    clock): a job (or its content) read right after its create is 404 `Video not found` until the replica
    catches up, which on a virtual clock nobody advances (family A) it never does."""

    def __init__(self, app: Any) -> None:
        self.app, self.state = app, app.state
        self.created: dict[str, float] = {}  # job id -> gateway time of its create

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        parts, now = scope["path"].strip("/").split("/"), self.state.vidmock.clock.now()
        if scope["method"] == "POST" and scope["path"] == "/v1/videos":
            await self.app(scope, receive, self._recording(send, now))
            return
        job = parts[2] if len(parts) in (3, 4) and parts[:2] == ["v1", "videos"] else ""
        if job and parts[3:] in ([], ["content"]) and now - self.created.get(job, -1e18) < REPLICA_LAG:
            body = json.dumps({"error": NOT_FOUND}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _recording(self, send: Send, now: float) -> Send:
        chunks: list[bytes] = []

        async def record(message: Any) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                video = None if message.get("more_body") else _json(b"".join(chunks))
                if isinstance(video, dict) and video.get("object") == "video" and isinstance(video.get("id"), str):
                    self.created[video["id"]] = now
            await send(message)

        return record


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
WRAPPERS: dict[str, Callable[[Any], Any]] = {
    "replica_lag": ReplicaLag,
    "signed_url_errors_cut_off": CutOffSignedUrlErrors,
    "slow_create": SlowCreate,
}
