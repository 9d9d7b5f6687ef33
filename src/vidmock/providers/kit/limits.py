"""Request-size limits every emulator enforces, and the ASGI middleware that enforces them.

The limits (``EmulatorLimits``, defined beside ``EmulatorContext`` in ``base``) are options carried on ``EmulatorContext`` (not globals), with defaults that match the
gateway's own body limit (``ServerConfig.max_body_bytes``, 64 MiB), so nothing the gateway forwards
is refused by an emulator that a direct client could not also send.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..base import EmulatorLimits
from .errors import BodyTooLarge

DEFAULT_MAX_BODY = EmulatorLimits.max_body_bytes  # ServerConfig.max_body_bytes: the gateway's own limit
__all__ = ["DEFAULT_MAX_BODY", "BodyLimit", "EmulatorLimits"]


class BodyLimit:
    """Refuses a declared ``Content-Length`` over ``limit`` at once (the body is never read) and cuts
    a streamed body off at ``limit``: the app's next read raises ``BodyTooLarge``, which the emulator
    renders as its 413."""

    def __init__(self, app: ASGIApp, limit: int, refuse: Callable[[Scope], Awaitable[Response]]) -> None:
        self.app, self.limit, self.refuse = app, limit, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope["headers"]:
            # A 5,000-digit length is over any limit: compared by length before int() (which caps digits).
            if key == b"content-length" and value.isdigit() and (len(value) > 18 or int(value) > self.limit):
                response = await self.refuse(scope)
                await response(scope, receive, send)
                return
        size = 0

        async def bounded() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, bounded, send)
