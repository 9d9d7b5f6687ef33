"""A recording reverse proxy: every request goes to the upstream as it came (the user's own key and
network), and every exchange is kept with the time it happened on the injected clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from ..masking import mask_headers

BODY_LIMIT = 64 * 1024  # JSON bodies kept per exchange; a video download is counted, not kept
# Headers that belong to one hop, not to the request (RFC 9110 §7.6.1), and ones httpx sets itself.
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}


@dataclass(frozen=True)
class Exchange:
    at: float  # clock time the request arrived
    method: str
    path: str
    query: str
    status: int  # 0: the upstream could not be reached
    request_headers: dict[str, str]  # masked
    request_body: Any  # parsed JSON or None
    response_headers: dict[str, str]
    response_body: Any  # parsed JSON, or {"bytes": n} for anything else
    response_raw: bytes  # the exact JSON bytes (for re-parsing with the provider's client); b"" otherwise


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


class Recorder:
    """An ASGI app forwarding to ``upstream`` through ``http`` and appending to ``exchanges``.
    ``on_exchange`` runs after each one (the CLI rewrites the scenario file there)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        upstream: str,
        now: Callable[[], float],
        on_exchange: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.http, self.upstream, self.now = http, upstream.rstrip("/"), now
        self.exchanges: list[Exchange] = []
        self.on_exchange = on_exchange

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self.forward(request)
        await response(scope, receive, send)

    async def forward(self, request: Request) -> Response:
        at = self.now()
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        query = request.url.query
        url = f"{self.upstream}{request.url.path}" + (f"?{query}" if query else "")
        try:
            upstream = await self.http.request(request.method, url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            self._keep(Exchange(at, request.method, request.url.path, query, 0, mask_headers(headers),
                                _json(body), {}, {"error": str(exc) or type(exc).__name__}, b""))  # fmt: skip
            return Response(status_code=502, content=f"vidmock record: upstream unreachable: {exc}")
        data = upstream.content
        kind = upstream.headers.get("content-type", "")
        parsed = _json(data) if "json" in kind and len(data) <= BODY_LIMIT else None
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP | {"content-encoding"}}
        self._keep(
            Exchange(
                at,
                request.method,
                request.url.path,
                query,
                upstream.status_code,
                mask_headers(headers),
                _json(body) if body else None,
                mask_headers(out_headers),
                parsed if parsed is not None else {"bytes": len(data)},
                data if parsed is not None else b"",
            )
        )
        return Response(content=data, status_code=upstream.status_code, headers=out_headers)

    def _keep(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        if self.on_exchange is not None:
            self.on_exchange(exchange)
