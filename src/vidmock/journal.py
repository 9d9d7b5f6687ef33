"""A request journal (WireMock-style): every call an emulator received, with what it answered.

Kept in memory and capped; secrets in headers are masked before they are recorded.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

_SECRET_HEADERS = {"authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie"}


def mask(value: str) -> str:
    """Show enough of a secret to recognise it, never all of it."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "…" + value[-2:]


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (mask(v) if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}


_SECRET_PARAMS = {"key", "api_key", "token", "access_token"}


def mask_query(query: str) -> str:
    """A query string with credential parameters (Google's ``?key=``, signed ``token=``) masked."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, mask(v) if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="…*")


@dataclass(frozen=True)
class Raw:
    """Captured bytes, summarised only when someone reads the journal (not on the hot path)."""

    data: bytes  # at most RAW_CAP bytes of the body
    size: int  # the whole body's length
    content_type: str


MAX_BODY_TEXT = 4000  # characters of a body shown; inline videos are megabytes
# Bytes kept per body: no more than is ever shown. (A 16 KiB cap kept 80 MB of base64 video in a
# full journal of Vertex completions, a quarter of the 10,000-job benchmark's memory.)
RAW_CAP = MAX_BODY_TEXT


def summarise(raw: Raw) -> Any:
    if not raw.size:
        return None
    if "json" in raw.content_type and raw.size <= RAW_CAP:
        try:
            value = json.loads(raw.data)
        except ValueError:
            pass
        else:
            text = json.dumps(value)
            return value if len(text) <= MAX_BODY_TEXT else {"truncated": text[:MAX_BODY_TEXT]}
    if raw.content_type.startswith(("video/", "application/octet-stream", "image/")):
        return {"bytes": raw.size}
    text = raw.data[:MAX_BODY_TEXT].decode("utf-8", "replace")
    return text if raw.size <= MAX_BODY_TEXT else {"truncated": text}


class Entry:
    """One call an emulator received. ``body`` and ``response`` may be given as ``Raw`` captures;
    they are parsed the first time they are read."""

    def __init__(
        self,
        service: str,
        at: float,
        method: str,
        path: str,
        query: str | bytes,
        headers: dict[str, str] | list[tuple[bytes, bytes]],
        body: Any,
        status: int = 0,
        response: Any = None,
    ) -> None:
        self.service, self.at, self.method, self.path = service, at, method, path
        # Raw ASGI headers and query bytes are masked when first read: masking every call was a
        # tenth of a create's cost, and most entries are never looked at.
        self._query, self._headers, self.status = query, headers, status
        self._body, self._response = body, response

    @property
    def query(self) -> str:
        if isinstance(self._query, bytes):
            self._query = mask_query(self._query.decode("latin-1")) if self._query else ""
        return self._query

    @property
    def headers(self) -> dict[str, str]:
        if isinstance(self._headers, list):
            self._headers = mask_headers({k.decode("latin-1"): v.decode("latin-1") for k, v in self._headers})
        return self._headers

    @property
    def body(self) -> Any:
        if isinstance(self._body, Raw):
            self._body = summarise(self._body)
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        self._body = value

    @property
    def response(self) -> Any:
        if isinstance(self._response, Raw):
            self._response = summarise(self._response)
        return self._response

    @response.setter
    def response(self, value: Any) -> None:
        self._response = value

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "response": self.response,
        }


@dataclass
class Journal:
    limit: int = 5000
    entries: deque[Entry] = field(default_factory=deque)

    def record(self, entry: Entry) -> Entry:
        self.entries.append(entry)
        while len(self.entries) > self.limit:
            self.entries.popleft()
        return entry

    def for_service(self, service: str) -> list[Entry]:
        return [e for e in self.entries if e.service == service]

    def clear(self) -> None:
        self.entries.clear()
