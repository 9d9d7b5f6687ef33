"""HTTP plumbing every provider emulator shares: request journaling and bounded JSON bodies."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..clock import Clock
from ..journal import Entry, Journal, mask_headers, mask_query

MAX_JOURNAL_BODY = 4000  # characters of a body kept in the journal; inline videos are megabytes


def _summarise(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "json" in content_type:
        try:
            value = json.loads(raw)
        except ValueError:
            pass
        else:
            text = json.dumps(value)
            return value if len(text) <= MAX_JOURNAL_BODY else {"truncated": text[:MAX_JOURNAL_BODY]}
    if content_type.startswith(("video/", "application/octet-stream", "image/")):
        return {"bytes": len(raw)}
    return raw[:MAX_JOURNAL_BODY].decode("utf-8", "replace")


class JournalMiddleware:
    """Records each request and its response in the journal under ``service``."""

    def __init__(self, app: ASGIApp, service: str, journal: Journal, clock: Clock) -> None:
        self.app, self.service, self.journal, self.clock = app, service, journal, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def receive_wrapper() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        entry = Entry(self.service, self.clock.now(), scope["method"], scope["path"],
                      mask_query(scope.get("query_string", b"").decode("latin-1")), mask_headers(headers), None)
        out: list[bytes] = []
        out_type = ""

        async def send_wrapper(message: Message) -> None:
            nonlocal out_type
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                for k, v in message.get("headers", []):
                    if k.lower() == b"content-type":
                        out_type = v.decode("latin-1")
            elif message["type"] == "http.response.body" and sum(map(len, out)) < 1_000_000:
                out.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            entry.body = _summarise(b"".join(chunks), headers.get("content-type", ""))
            entry.response = _summarise(b"".join(out), out_type)
            self.journal.record(entry)


async def read_json(request: Request, limit: int) -> tuple[Any, str | None]:
    """(value, None) or (None, reason). Reads at most ``limit`` bytes; a second call reuses the body."""
    raw = getattr(request, "_body", None)
    if raw is None:
        size = 0
        parts: list[bytes] = []
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None, "too_large"
            parts.append(chunk)
        raw = b"".join(parts)
        request._body = raw  # Starlette's own cache attribute: later reads see the same bytes
    try:
        return json.loads(raw, parse_constant=_reject_constant), None
    except (ValueError, RecursionError):
        return None, "invalid_json"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
