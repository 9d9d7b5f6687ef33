"""Rendering a scenario fault on a provider's wire, and the in-process transport that turns the
faults a socket would show (reset, hang, truncated body) into the httpx errors a client sees.

Each emulator passes its own ``error_body(status, code, message)`` so a 503 looks like that
provider's 503. A fault response behaves the same whoever calls: over a socket and in-process it
sends what it sends and drops the connection or waits for the client to give up; the in-process
transport (``asgi_call``) is a client like any other, whose ASGI ``receive`` tells the app at once
that nobody will wait (no time passes inside an in-process request) and which, like a socket client,
sees a cut body as a protocol error and no answer as a read timeout.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Self, TypeVar

import httpx
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..clock import Clock
from ..responses import JSONResponse

ErrorBody = Callable[[int, str | None, str | None], Any]
# The ASGI scope extension (``scope["extensions"]``, where a server declares what it offers) through
# which an in-process caller hands a request its meter of virtual clock seconds: the virtual clock
# cannot move inside a request, so a scripted delay is added there and compared with the caller's
# timeout afterwards (``exchange``). Over a socket there is no meter and a virtual delay is free.
WAIT_METER = "vidmock.virtual_wait"


class ConnectionReset(Exception):
    """The emulator drops the connection (a socket reset)."""


class Hang(Exception):
    """The emulator never answers; an in-process caller sees its read timeout at once."""


def wait_meter(scope: Scope) -> list[float] | None:
    """The in-process caller's meter of virtual seconds for this request, if it gave one."""
    meter = (scope.get("extensions") or {}).get(WAIT_METER)
    return meter if isinstance(meter, list) else None


async def fault_response(
    fault: dict[str, Any] | None, error_body: ErrorBody, clock: Clock, waited: list[float] | None = None
) -> Response | None:
    """A Response for ``fault``, or None to behave normally. ``delay`` waits (on the virtual clock:
    adds to ``waited``, the caller's meter) and then behaves normally."""
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
        await clock.wait(float(fault.get("seconds") or 0.0), waited)
        return None
    return None  # truncate applies to bodies; see truncate_body


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
        if not self.partial:  # a reset: the connection drops before a status line, on any transport
            raise ConnectionReset("connection reset by the emulator (scenario fault)")
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.partial, "more_body": True})
        # Raising mid-body makes the server close the socket: the client sees an incomplete read.
        raise ConnectionReset("connection closed mid-body by the emulator (scenario fault)")


class HangResponse(Response):
    """Never answers in time: holds the request until the client gives up (its disconnect), then
    sends nothing; a server frees it after ``Clock.hang``'s wall limit with a 504."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(b"")
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def client_gone() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        gone, limit = asyncio.ensure_future(client_gone()), asyncio.ensure_future(self.clock.hang())
        try:
            done, _ = await asyncio.wait({gone, limit}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            limit.cancel()
        if gone in done:
            return  # nobody is left to answer
        await JSONResponse({"error": {"message": "hung request released"}}, status_code=504)(scope, receive, send)


TIMEOUT_MESSAGE = "The operation was aborted due to timeout"  # what the gateway's fetch reports
T = TypeVar("T")


async def exchange(
    call: Callable[[list[float]], Awaitable[T]],
    request: Callable[[], httpx.Request],
    *,
    wall_timeout: float | None = None,
    clock_timeout: float | None = None,
) -> T:
    """One in-process exchange, as a socket client would live it: emulator faults become httpx
    errors, and the caller's read timeout holds, in wall time on real and scaled clocks and, on the
    virtual clock, against the delay the emulator scripted (``call`` gets the meter it adds up in)."""
    waited = [0.0]
    try:
        pending = call(waited)
        result = await (pending if wall_timeout is None else asyncio.wait_for(pending, wall_timeout))
    except ConnectionReset as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request()) from exc
    except (TimeoutError, Hang) as exc:
        raise httpx.ReadTimeout(str(exc) or TIMEOUT_MESSAGE, request=request()) from exc
    if clock_timeout is not None and waited[0] >= clock_timeout:
        raise httpx.ReadTimeout(
            f"{TIMEOUT_MESSAGE} (a scripted {waited[0]:g} s delay; the timeout is {clock_timeout:g} s)",
            request=request(),
        )
    return result


Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


async def asgi_call(
    app: ASGIApp, scope: Scope, body: bytes | AsyncIterator[bytes], waited: list[float] | None = None
) -> Answer:
    """Call ``app`` once as an in-process client: (status, headers, body) of its answer.

    The request body is delivered, then ``receive`` reports the client gone: it has nothing more to
    send, and no time can pass inside an in-process request, so an app that waits for more (a hung
    upstream) learns at once that its caller will not wait. An app that ends without answering is a
    read timeout (``Hang``) to this client, as to one on a socket. The scope declares ASGI spec 2.4, so
    Starlette streams responses without listening for that disconnect."""
    chunks = body.__aiter__() if not isinstance(body, bytes) else None
    sent = False
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = []
    parts: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        if chunks is None:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        try:
            return {"type": "http.request", "body": await chunks.__anext__(), "more_body": True}
        except StopAsyncIteration:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body" and scope["method"] != "HEAD":
            parts.append(message.get("body", b""))

    scope = {
        **scope,
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "extensions": {**(scope.get("extensions") or {}), WAIT_METER: waited if waited is not None else [0.0]},
    }
    await app(scope, receive, send)
    if status is None:
        raise Hang("the emulator did not answer (scenario fault)")
    return status, headers, b"".join(parts)


class InProcessTransport(httpx.AsyncBaseTransport):
    """ASGI in-process (an httpx transport on its public interface, as ``httpx.ASGITransport``),
    translating emulator faults into what a socket client would raise.

    ``clock_timeout`` (virtual clock) and ``wall_timeouts`` (real and scaled clocks: the request's own
    read timeout) make a scripted delay longer than the caller's timeout a timeout, as over a socket;
    without them only faults are translated.
    """

    def __init__(self, app: ASGIApp, *, clock_timeout: float | None = None, wall_timeouts: bool = False) -> None:
        self.app, self.clock_timeout, self.wall_timeouts = app, clock_timeout, wall_timeouts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        wall = (request.extensions.get("timeout") or {}).get("read") if self.wall_timeouts else None
        scope: Scope = {
            "type": "http",
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": ("127.0.0.1", 123),
            "root_path": "",
        }
        stream = request.stream
        body: bytes | AsyncIterator[bytes] = (
            stream.__aiter__() if isinstance(stream, httpx.AsyncByteStream) else b"".join(stream)
        )
        status, headers, data = await exchange(
            lambda waited: asgi_call(self.app, scope, body, waited),
            lambda: request,
            wall_timeout=wall,
            clock_timeout=self.clock_timeout,
        )
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(data), request=request)


class _NoCookies(httpx.Cookies):
    """The gateway's fetch() keeps no cookie jar; httpx's jar was a fifth of each upstream call."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class UpstreamClient(httpx.AsyncClient):
    """An httpx client as the gateway uses upstream: no cookies kept between calls, and, for one
    submit, the headers the gateway forwards to the provider (``with_headers``)."""

    _no_cookies = _NoCookies()

    def __init__(self, *, forwarded: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        # One transport (and one TLS context) shared by every per-submit copy (``with_headers``), built
        # from the settings httpx itself would build it from.
        transport = kwargs.pop("transport", None) or httpx.AsyncHTTPTransport(
            verify=kwargs.get("verify", True),
            cert=kwargs.get("cert"),
            http2=kwargs.get("http2", False),
            limits=kwargs.get("limits", httpx.Limits(max_connections=100, max_keepalive_connections=20)),
            trust_env=kwargs.get("trust_env", True),
        )
        super().__init__(transport=transport, **kwargs)
        self.forwarded = dict(forwarded or {})

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, value: Any) -> None:
        pass

    def with_headers(self, forwarded: Mapping[str, str]) -> Self:
        """This client (the same transport and settings) sending ``forwarded`` on every request.

        A shallow copy: every create forwards its seed, and building a new httpx client for it (its
        headers, URL, timeouts and proxy mounts parsed again) was a fifth of a create's cost
        (bench/create_cost.py). The copy shares what the rebuilt client shared (the transport) and
        the parsed settings, which httpx never mutates in place; only ``forwarded``, our own
        attribute, differs."""
        if not forwarded:
            return self
        clone = copy.copy(self)
        clone.forwarded = dict(forwarded)
        return clone

    def build_request(self, method: str, url: Any, **kwargs: Any) -> httpx.Request:
        request = super().build_request(method, url, **kwargs)
        for name, value in self.forwarded.items():
            request.headers[name] = value
        return request


def forwarding(http: httpx.AsyncClient, headers: Mapping[str, str]) -> httpx.AsyncClient:
    """``http`` for one submit that carries ``headers`` (the scenario and seed the gateway chose) to
    the provider; a plain httpx client is used as it is."""
    return http.with_headers(headers) if isinstance(http, UpstreamClient) else http
