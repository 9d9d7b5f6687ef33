"""Rendering a scenario fault on a provider's wire, and the in-process transport that turns the
faults a socket would show (reset, hang, truncated body) into the httpx errors a client sees.

Each emulator passes its own ``error_body(status, code, message)`` so a 503 looks like that
provider's 503.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..clock import VIRTUAL_WAIT, Clock
from ..responses import JSONResponse
from ..scenarios import UnknownScenario

ErrorBody = Callable[[int, str | None, str | None], Any]
IN_PROCESS = "vidmock.in_process"


class ConnectionReset(Exception):
    """The emulator drops the connection (a socket reset)."""


class Hang(Exception):
    """The emulator never answers; an in-process caller sees its read timeout at once."""


async def fault_response(
    fault: dict[str, Any] | None, error_body: ErrorBody, clock: Clock, normal: Callable[[], Any] | None = None
) -> Response | None:
    """A Response for ``fault``, or None to behave normally. ``delay`` waits and then behaves normally."""
    if fault is None:
        return None
    kind = fault["kind"]
    if kind == "status":
        headers = {}
        if fault.get("retry_after") is not None:
            headers["Retry-After"] = str(int(fault["retry_after"]))
        body = fault.get("body")
        if body is None:
            body = error_body(fault["status"], fault.get("code"), fault.get("message"))
        return JSONResponse(body, status_code=fault["status"], headers=headers)
    if kind == "malformed_json":
        return Response(b'{"status": "queued", "id": ', media_type="application/json")
    if kind == "reset":
        return CutResponse(b"", clock)
    if kind == "hang":
        return HangResponse(clock)
    if kind == "delay":
        await clock.wait(float(fault.get("seconds") or 0.0))
        return None
    return None  # truncate applies to bodies; see truncate_body


async def submit_fault_response(
    ctx: Any, service: str, headers: Any, prompt: Any, error_body: ErrorBody, *, raise_unknown: bool = False
) -> Response | None:
    """The chosen scenario's next submit fault for ``service``, rendered; None to create normally.
    A scenario name that does not exist is the caller's mistake: a 400 in the provider's envelope
    (or, with ``raise_unknown``, UnknownScenario for an emulator that answers it its own way)."""
    try:
        fault = ctx.scenarios.submit_fault(service, headers, prompt if isinstance(prompt, str) else "")
    except UnknownScenario as exc:
        if raise_unknown:
            raise
        return JSONResponse(error_body(400, None, str(exc)), status_code=400)
    return await fault_response(fault, error_body, ctx.clock)


def truncated(fault: dict[str, Any] | None, body: bytes, clock: Clock, media_type: str) -> Response | None:
    """For a ``truncate`` fault: a response that announces all of ``body`` and then breaks off."""
    if fault is None or fault["kind"] != "truncate":
        return None
    return CutResponse(body[: int(fault.get("bytes") or 0)], clock, declared=len(body), media_type=media_type)


class CutResponse(Response):
    """Sends the status line and ``partial`` bytes of a longer body, then drops the connection."""

    def __init__(
        self, partial: bytes, clock: Clock, declared: int = 1024, media_type: str = "application/json"
    ) -> None:
        super().__init__(b"", media_type=media_type)
        self.partial, self.declared = partial, declared
        self.headers["content-length"] = str(declared)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get(IN_PROCESS) and not self.partial:
            raise ConnectionReset("connection reset by the emulator (scenario fault)")
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.partial, "more_body": True})
        # Raising mid-body makes the server close the socket: the client sees an incomplete read.
        raise ConnectionReset("connection closed mid-body by the emulator (scenario fault)")


class HangResponse(Response):
    """Never answers in time: a socket client waits until its own timeout."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(b"")
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get(IN_PROCESS):
            raise Hang("the emulator did not answer (scenario fault)")
        await self.clock.hang()
        await JSONResponse({"error": {"message": "hung request released"}}, status_code=504)(scope, receive, send)


TIMEOUT_MESSAGE = "The operation was aborted due to timeout"  # what the gateway's fetch reports
T = TypeVar("T")


async def exchange(
    call: Awaitable[T],
    request: Callable[[], httpx.Request],
    *,
    wall_timeout: float | None = None,
    clock_timeout: float | None = None,
) -> T:
    """One in-process exchange, as a socket client would live it: emulator faults become httpx
    errors, and the caller's read timeout holds, in wall time on real and scaled clocks and, on the
    virtual clock, against the delay the emulator scripted (``Clock.wait`` adds it up there)."""
    waited = [0.0]
    token = VIRTUAL_WAIT.set(waited)
    try:
        result = await (call if wall_timeout is None else asyncio.wait_for(call, wall_timeout))
    except ConnectionReset as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request()) from exc
    except (TimeoutError, Hang) as exc:
        raise httpx.ReadTimeout(str(exc) or TIMEOUT_MESSAGE, request=request()) from exc
    finally:
        VIRTUAL_WAIT.reset(token)
    if clock_timeout is not None and waited[0] >= clock_timeout:
        raise httpx.ReadTimeout(
            f"{TIMEOUT_MESSAGE} (a scripted {waited[0]:g} s delay; the timeout is {clock_timeout:g} s)",
            request=request(),
        )
    return result


class InProcessTransport(httpx.AsyncBaseTransport):
    """ASGI in-process, translating emulator faults into what a socket client would raise.

    ``clock_timeout`` (virtual clock) and ``wall_timeouts`` (real and scaled clocks: the request's own
    read timeout) make a scripted delay longer than the caller's timeout a timeout, as over a socket;
    without them only faults are translated.
    """

    def __init__(self, app: ASGIApp, *, clock_timeout: float | None = None, wall_timeouts: bool = False) -> None:
        async def marked(scope: Scope, receive: Receive, send: Send) -> None:
            scope[IN_PROCESS] = True
            await app(scope, receive, send)

        self._inner = httpx.ASGITransport(app=marked)
        self._clock_timeout, self._wall_timeouts = clock_timeout, wall_timeouts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        wall = (request.extensions.get("timeout") or {}).get("read") if self._wall_timeouts else None
        return await exchange(
            self._inner.handle_async_request(request),
            lambda: request,
            wall_timeout=wall,
            clock_timeout=self._clock_timeout,
        )


def json_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class _NoCookies(httpx.Cookies):
    """The gateway's fetch() keeps no cookie jar; httpx's jar was a fifth of each upstream call."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class UpstreamClient(httpx.AsyncClient):
    """An httpx client as the gateway uses upstream: no cookies kept between calls."""

    _no_cookies = _NoCookies()

    @property  # type: ignore[override]
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, value: Any) -> None:
        pass
