"""The request journal (WireMock's request log): every request the gateway received, accepted or
rejected, with its status, the error it was answered with, its timing and masked headers.

The emulators already journal every call they receive (``journal.Journal``); this module records the
gateway side with an ASGI middleware and merges both into one view, ``GET /_vidmock/requests``
(filters: ``method``, ``path``, ``status``, ``surface``). Bounded like the emulator journal; secrets in
headers and query strings are masked with the journal's helpers before anyone reads them.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .journal import Journal
from .masking import mask_headers, mask_query
from .responses import JSONResponse

BODY_CAP = 4000  # bytes of a request or error body kept: enough for any create, never a video
GATEWAY = "gateway"
# Paths the gateway middleware leaves alone: the emulators journal their own calls, and the control
# plane and inspector are vidmock's, not the API under test.
NOT_LOGGED = ("/providers/", "/_vidmock", "/openapi.yaml")


@dataclass(frozen=True)
class RequestRecord:
    seq: int
    surface: str  # "gateway" or a provider id
    at: float  # clock time the request arrived
    method: str
    path: str
    query: str
    status: int
    error: str | None  # the message of a 4xx/5xx answer
    duration_ms: float | None  # wall time spent answering (None for emulator calls)
    headers: dict[str, str]
    body: Any  # parsed JSON when it is JSON, else text; at most BODY_CAP bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "surface": self.surface,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "headers": self.headers,
            "body": self.body,
        }


@dataclass
class RequestLog:
    """The gateway's received requests, newest last, at most ``limit`` of them."""

    limit: int = 2000
    records: deque[RequestRecord] = field(default_factory=deque)
    _seq: int = 0

    def add(self, **values: Any) -> RequestRecord:
        self._seq += 1
        record = RequestRecord(seq=self._seq, **values)
        self.records.append(record)
        while len(self.records) > self.limit:
            self.records.popleft()
        return record

    def clear(self) -> None:
        self.records.clear()


def parse_body(data: bytes, content_type: str) -> Any:
    if not data:
        return None
    if "json" in content_type:
        try:
            return json.loads(data)
        except ValueError:
            pass
    if content_type.startswith("multipart/"):
        return {"multipart": len(data)}
    return data[:BODY_CAP].decode("utf-8", "replace")


def error_message(body: Any) -> str | None:
    """The ``error.message`` of the gateway's and most providers' envelopes, or the text itself."""
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
        if isinstance(err, str):
            return err
        if isinstance(body.get("message"), str):
            return str(body["message"])
    if isinstance(body, str) and body:
        return body[:300]
    return None


class RequestLogMiddleware:
    """Records each gateway request with what it was answered. ``now`` is the emulated clock (when
    it arrived); ``timer`` measures how long the answer took (wall time, injectable)."""

    def __init__(
        self,
        app: Any,
        log: RequestLog,
        now: Callable[[], float],
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app, self.log, self.now, self.timer = app, log, now, timer

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(NOT_LOGGED):
            await self.app(scope, receive, send)
            return
        at, started = self.now(), self.timer()
        seen = bytearray()
        answer: dict[str, Any] = {"status": 0, "type": "", "body": bytearray()}

        async def tap_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request" and len(seen) < BODY_CAP:
                seen.extend(message.get("body", b"")[: BODY_CAP - len(seen)])
            return message

        async def tap_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                for key, value in message.get("headers", []):
                    if key.lower() == b"content-type":
                        answer["type"] = value.decode("latin-1")
            elif message["type"] == "http.response.body" and answer["status"] >= 400:
                body = answer["body"]
                if len(body) < BODY_CAP:
                    body.extend(message.get("body", b"")[: BODY_CAP - len(body)])
            await send(message)

        try:
            await self.app(scope, tap_receive, tap_send)
        finally:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            status = answer["status"] or 500
            error = None
            if status >= 400:
                error = error_message(parse_body(bytes(answer["body"]), answer["type"])) or f"HTTP {status}"
            self.log.add(
                surface=GATEWAY,
                at=at,
                method=scope.get("method", ""),
                path=path,
                query=mask_query(scope.get("query_string", b"").decode("latin-1")),
                status=status,
                error=error,
                duration_ms=round((self.timer() - started) * 1000, 3),
                headers=mask_headers(headers),
                body=parse_body(bytes(seen), headers.get("content-type", "")),
            )


def merged(log: RequestLog, journal: Journal) -> list[dict[str, Any]]:
    """Gateway records and emulator calls as one list in arrival order."""
    rows = [r.as_dict() for r in log.records]
    for entry in list(journal.entries):
        call = entry.as_dict()
        status = int(call.get("status") or 0)
        rows.append(
            {
                "seq": None,
                "surface": call["service"],
                "at": call["at"],
                "method": call["method"],
                "path": call["path"],
                "query": call.get("query") or "",
                "status": status,
                "error": error_message(call.get("response")) if status >= 400 else None,
                "duration_ms": None,
                "headers": call.get("headers") or {},
                "body": call.get("body"),
            }
        )
    rows.sort(key=lambda r: r["at"])  # stable: gateway records keep their order within one instant
    return rows


def inspector_rows(log: RequestLog, journal: Journal) -> Callable[[], list[dict[str, Any]]]:
    """The merged journal in the inspector's row shape (``inspector.request_log.RequestRow``): the path
    carries its query string and ``time`` is the arrival time on the server's clock."""

    def rows() -> list[dict[str, Any]]:
        return [
            {**r, "time": r["at"], "path": r["path"] + (f"?{r['query']}" if r.get("query") else "")}
            for r in merged(log, journal)
        ]

    return rows


def select(rows: Iterable[dict[str, Any]], filters: Mapping[str, str]) -> list[dict[str, Any]]:
    """``method`` and ``surface`` exact (case-insensitive method), ``path`` a prefix or ``*`` glob,
    ``status`` a code or a class (``4xx``)."""
    from fnmatch import fnmatchcase

    method = filters.get("method", "").upper()
    path, status, surface = filters.get("path", ""), filters.get("status", ""), filters.get("surface", "")
    out = []
    for row in rows:
        if method and row["method"].upper() != method:
            continue
        if surface and row["surface"] != surface:
            continue
        if path and not (fnmatchcase(row["path"], path) if "*" in path else row["path"].startswith(path)):
            continue
        if status and not _status_matches(int(row["status"]), status):
            continue
        out.append(row)
    return out


def _status_matches(code: int, wanted: str) -> bool:
    wanted = wanted.lower()
    if len(wanted) == 3 and wanted.endswith("xx") and wanted[0].isdigit():
        return code // 100 == int(wanted[0])
    return wanted.isdigit() and code == int(wanted)


FILTERS = ("method", "path", "status", "surface")


def request_routes(log: RequestLog, journal: Journal) -> list[Route]:
    """``GET /requests`` (mounted under ``/_vidmock``); ``DELETE /requests`` clears both journals."""

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            log.clear()
            journal.clear()
            return JSONResponse({"cleared": True})
        unknown = sorted(set(request.query_params) - set(FILTERS))
        if unknown:
            message = f"Unknown filter(s) {', '.join(unknown)}; expected some of {', '.join(FILTERS)}"
            return JSONResponse({"error": {"message": message}}, status_code=400)
        status = request.query_params.get("status", "")
        if status and not (status.isdigit() or (len(status) == 3 and status[0].isdigit() and status[1:] == "xx")):
            message = f"status: expected a code (404) or a class (4xx), got {status!r}"
            return JSONResponse({"error": {"message": message}}, status_code=400)
        rows = select(merged(log, journal), request.query_params)
        return JSONResponse({"requests": rows, "count": len(rows)})

    return [Route("/requests", requests, methods=["GET", "DELETE"])]
