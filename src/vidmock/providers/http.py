"""HTTP plumbing the emulator kit stands on: request journaling, ranged files, bearer tokens, and a
bounded JSON reader for routes with a limit of their own."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..clock import Clock
from ..journal import RAW_CAP, Entry, Journal, Raw
from ..jsonutil import loads
from ..ranges import Unsatisfiable, parse_range


class JournalMiddleware:
    """Records each request and its response in the journal under ``service``."""

    def __init__(self, app: ASGIApp, service: str, journal: Journal, clock: Clock) -> None:
        self.app, self.service, self.journal, self.clock = app, service, journal, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size_in = 0

        async def receive_wrapper() -> Message:
            nonlocal size_in
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                if size_in < RAW_CAP:
                    chunks.append(body)
                size_in += len(body)
            return message

        raw_headers = scope["headers"]
        entry = Entry(
            self.service,
            self.clock.now(),
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            list(raw_headers),
            None,
        )
        out: list[bytes] = []
        out_type = ""
        size_out = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal out_type, size_out
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                for k, v in message.get("headers", []):
                    if k.lower() == b"content-type":
                        out_type = v.decode("latin-1")
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                if size_out < RAW_CAP:
                    out.append(body)
                size_out += len(body)
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            # Kept raw and summarised when read: parsing every body here was a fifth of a poll's cost.
            in_type = next((v.decode("latin-1") for k, v in raw_headers if k == b"content-type"), "")
            entry.body = Raw(b"".join(chunks)[:RAW_CAP], size_in, in_type)
            entry.response = Raw(b"".join(out)[:RAW_CAP], size_out, out_type)
            self.journal.record(entry)


async def read_json(request: Request, limit: int) -> tuple[Any, str | None]:
    """(value, None) or (None, reason), reading at most ``limit`` bytes of the body once. Emulator
    routes read bodies through the kit (``Emulator.read_json``); this is for a route with a lower
    limit of its own (OpenAI's dashboard webhooks)."""
    size = 0
    parts: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None, "too_large"
        parts.append(chunk)
    try:
        return loads(b"".join(parts)), None
    except (ValueError, RecursionError, UnicodeError, OverflowError):
        return None, "invalid_json"


def ranged_response(request: Request, data: bytes, media_type: str = "video/mp4") -> Response:
    """A file the way object stores and CDNs serve it: 200, 206 for one range, or an empty 416."""
    headers = {"Accept-Ranges": "bytes"}
    try:
        part = parse_range(request.headers.get("range"), len(data), request.headers.get("if-range"))
    except Unsatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{len(data)}"})
    if part is None:
        return Response(data, media_type=media_type, headers=headers)
    return Response(
        data[part.start : part.end + 1],
        status_code=206,
        media_type=media_type,
        headers={**headers, "Content-Range": f"bytes {part.start}-{part.end}/{len(data)}"},
    )


def bearer_token(request: Request) -> str:
    """The token of an ``Authorization: Bearer …`` header, or "" when there is none (any non-empty
    token is accepted by emulators that do not keep keys)."""
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.startswith("Bearer ") else ""
