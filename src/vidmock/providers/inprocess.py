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
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlencode

import httpx
from starlette.types import ASGIApp

from .faults import InProcessTransport, UpstreamClient, asgi_call, exchange

# Paths the fast path takes as they are: no percent-encoding or normalisation needed.
_PLAIN_PATH = re.compile(r"^/[A-Za-z0-9/._~:@!$&'()*+,;=%-]*$")
_JSON_TYPE = (b"content-type", b"application/json")
URL_CACHE = 256  # parsed request URLs kept per client (creates reuse theirs; polls' ids vary)


class InProcessClient(UpstreamClient):
    """An upstream client bound to an in-process ASGI app (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str,
        forwarded: Mapping[str, str] | None = None,
        clock_timeout: float | None = None,
        wall_timeouts: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            transport=InProcessTransport(app, clock_timeout=clock_timeout, wall_timeouts=wall_timeouts),
            base_url=base_url,
            forwarded=forwarded,
            **kwargs,
        )
        self.app = app
        self.clock_timeout = clock_timeout
        self.wall_timeout = self.timeout.read if wall_timeouts else None
        url = httpx.URL(base_url)
        self.prefix = url.raw_path.decode("ascii").rstrip("/")
        self.server = (url.host, url.port or 80)
        # httpx's default headers (user-agent, accept…) as the emulator would see them over a socket.
        self.defaults = [(k.lower(), v) for k, v in self.headers.raw]
        self.host = (b"host", url.netloc)
        self.urls: dict[str, httpx.URL] = {}  # shared with ``with_headers`` copies, as it should be

    async def request(
        self,
        method: str,
        url: Any,
        *,
        content: Any = None,
        data: Any = None,
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
            if url.is_absolute_url and (url.host, url.port or 80) != self.server:
                return None
            path, _, query = url.raw_path.decode("ascii").partition("?")
            if params:
                return None
        elif isinstance(url, str) and url.startswith("/"):
            path, _, query = url.partition("?")
            path = self.prefix + path
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
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("ascii"),
            "query_string": query,
            "headers": self._merge(headers, body, is_json),
            "server": self.server,
            "client": ("127.0.0.1", 123),
            "root_path": "",
        }
        status, out_headers, data = await exchange(
            lambda waited: asgi_call(self.app, scope, body, waited),
            lambda: self._request(method, raw_path, query),
            wall_timeout=self.wall_timeout,
            clock_timeout=self.clock_timeout,
        )
        response = httpx.Response(
            status, headers=out_headers, stream=httpx.ByteStream(data), request=self._request(method, raw_path, query)
        )
        response.read()  # complete already: the body is the emulator's bytes, read through httpx's public API
        return response

    def _merge(self, headers: Any, body: bytes, is_json: bool) -> list[tuple[bytes, bytes]]:
        given: dict[bytes, bytes] = {}
        if headers:
            for k, v in headers.items() if isinstance(headers, Mapping) else headers:
                given[_b(k).lower()] = _b(v)
        for k, v in self.forwarded.items():
            given[_b(k).lower()] = _b(v)
        merged = [self.host]
        merged += [(k, v) for k, v in self.defaults if k not in given]
        if body or is_json:
            merged.append((b"content-length", str(len(body)).encode()))
        if is_json and b"content-type" not in given:
            merged.append(_JSON_TYPE)
        merged += given.items()
        return merged

    def _request(self, method: str, raw_path: str, query: bytes) -> httpx.Request:
        netloc = self.host[1].decode("ascii")
        text = f"http://{netloc}{raw_path}" + (f"?{query.decode('ascii')}" if query else "")
        # httpx validates a URL character by character (tens of microseconds); a create's URL is the
        # same every time, so parsed URLs (immutable) are kept, a bounded number of them.
        url = self.urls.get(text)
        if url is None:
            if len(self.urls) >= URL_CACHE:
                self.urls.clear()
            url = self.urls[text] = httpx.URL(text)
        return httpx.Request(method, url)


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
