"""The gateway's upstream client when the provider emulator runs in the same process.

The wire stays the same: the emulator receives an ASGI HTTP request with the method, path, query,
headers and body bytes a socket would carry, through its own routes and journal, and the gateway
gets back an ``httpx.Response``. What is skipped is httpx's request pipeline (URL merging, auth,
redirect and cookie handling, stream wrappers and the ASGI transport's event plumbing), which the
profiler showed was about a third of a create's cost. Anything that is not a plain call (form data,
file uploads, streaming, odd URLs) takes the ordinary httpx path through ``InProcessTransport``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlencode

import httpx
from starlette.types import ASGIApp, Message

from .faults import IN_PROCESS, InProcessTransport, UpstreamClient, exchange

# Paths the fast path takes as they are: no percent-encoding or normalisation needed.
_PLAIN_PATH = re.compile(r"^/[A-Za-z0-9/._~:@!$&'()*+,;=%-]*$")
_JSON_TYPE = (b"content-type", b"application/json")


class InProcessClient(UpstreamClient):
    """An upstream client bound to an in-process ASGI app (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str,
        forwarded: Callable[[], Mapping[str, str]],
        clock_timeout: float | None = None,
        wall_timeouts: bool = False,
        **kwargs: Any,
    ) -> None:
        async def forward(request: httpx.Request) -> None:
            for name, value in forwarded().items():
                request.headers[name] = value

        super().__init__(
            transport=InProcessTransport(app, clock_timeout=clock_timeout, wall_timeouts=wall_timeouts),
            base_url=base_url,
            event_hooks={"request": [forward]},
            **kwargs,
        )
        self._app = app
        self._clock_timeout = clock_timeout
        self._wall_timeout = self.timeout.read if wall_timeouts else None
        self._forwarded = forwarded
        url = httpx.URL(base_url)
        self._prefix = url.raw_path.decode("ascii").rstrip("/")
        self._server = (url.host, url.port or 80)
        # httpx's default headers (user-agent, accept…) as the emulator would see them over a socket.
        self._defaults = [(k.lower(), v) for k, v in self.headers.raw]
        self._host = (b"host", url.netloc)

    async def request(
        self,
        method: str,
        url: Any,
        *,
        content: Any = None,
        data: Any = None,  # type: ignore[override]
        files: Any = None,
        json: Any = None,
        params: Any = None,
        headers: Any = None,
        **kwargs: Any,
    ) -> httpx.Response:
        target = self._target(url, params) if data is None and files is None and not kwargs.get("cookies") else None
        body = _body(content, json)
        if target is None or body is None:
            return await super().request(
                method,
                url,
                content=content,
                data=data,
                files=files,
                json=json,
                params=params,
                headers=headers,
                **kwargs,
            )
        return await self._call(method, target[0], target[1], headers, body, json is not None and content is None)

    def _target(self, url: Any, params: Any) -> tuple[str, bytes] | None:
        """(raw path, query string) for a call the fast path can make, else None."""
        if isinstance(url, httpx.URL):
            if url.is_absolute_url and (url.host, url.port or 80) != self._server:
                return None
            path, _, query = url.raw_path.decode("ascii").partition("?")
            if params:
                return None
        elif isinstance(url, str) and url.startswith("/"):
            path, _, query = url.partition("?")
            path = self._prefix + path
            if params:
                if query or not isinstance(params, Mapping):
                    return None
                query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
        else:
            return None
        if not _PLAIN_PATH.match(path):
            return None
        return path, query.encode("ascii")

    async def _call(
        self, method: str, raw_path: str, query: bytes, headers: Any, body: bytes, is_json: bool
    ) -> httpx.Response:
        merged = self._merge(headers, body, is_json)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("ascii"),
            "query_string": query,
            "headers": merged,
            "server": self._server,
            "client": ("127.0.0.1", 123),
            "root_path": "",
            IN_PROCESS: True,
        }
        sent = False
        status = 500
        out_headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status, out_headers
            if message["type"] == "http.response.start":
                status, out_headers = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body" and method != "HEAD":
                parts.append(message.get("body", b""))

        await exchange(
            self._app(scope, receive, send),
            lambda: self._request(method, raw_path, query),
            wall_timeout=self._wall_timeout,
            clock_timeout=self._clock_timeout,
        )
        return _response(status, out_headers, b"".join(parts), self._request(method, raw_path, query))

    def _merge(self, headers: Any, body: bytes, is_json: bool) -> list[tuple[bytes, bytes]]:
        given: dict[bytes, bytes] = {}
        if headers:
            for k, v in headers.items() if isinstance(headers, Mapping) else headers:
                given[_b(k).lower()] = _b(v)
        for k, v in self._forwarded().items():
            given[_b(k).lower()] = _b(v)
        merged = [self._host]
        merged += [(k, v) for k, v in self._defaults if k not in given]
        if body or is_json:
            merged.append((b"content-length", str(len(body)).encode()))
        if is_json and b"content-type" not in given:
            merged.append(_JSON_TYPE)
        merged += given.items()
        return merged

    def _request(self, method: str, raw_path: str, query: bytes) -> httpx.Request:
        # Built lazily by httpx only when read (response.request/url): a plain object is enough here.
        return _LazyRequest(method, self._host[1], raw_path, query)  # type: ignore[return-value]


class _LazyRequest(httpx.Request):
    """An httpx.Request whose URL is only parsed if someone looks at it."""

    def __init__(self, method: str, netloc: bytes, raw_path: str, query: bytes) -> None:
        self.method = method
        self._parts = (netloc, raw_path, query)
        self.extensions = {}

    @property  # type: ignore[override]
    def url(self) -> httpx.URL:
        netloc, raw_path, query = self._parts
        return httpx.URL(f"http://{netloc.decode('ascii')}{raw_path}" + (f"?{query.decode('ascii')}" if query else ""))


def _response(status: int, headers: list[tuple[bytes, bytes]], body: bytes, request: httpx.Request) -> httpx.Response:
    """A read, closed ``httpx.Response``. ``Response(content=…)`` re-derives content headers and reads
    the body through its decoder chain, ~40 % of a poll's client side; the body here is already
    complete and the headers are the emulator's own."""
    response = httpx.Response(status, stream=httpx.ByteStream(body), request=request)
    response.headers._list = [(k, k.lower(), v) for k, v in headers]  # what Headers(list) would build
    response._content = body
    response.is_stream_consumed = response.is_closed = True
    return response


def _body(content: Any, value: Any) -> bytes | None:
    if content is None and value is None:
        return b""
    if content is not None and value is None:
        if isinstance(content, bytes):
            return content
        if isinstance(content, str):
            return content.encode()
        return None  # iterators and streams: the ordinary path
    if content is None:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    return None


def _b(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("latin-1")
