"""A request journal (WireMock-style): every call an emulator received, with what it answered.

Kept in memory and bounded twice, in entries and in bytes (``--journal-entries``,
``--journal-bytes``): each entry keeps at most ``RAW_CAP`` bytes of each body, ``MAX_HEADER_BYTES``
of headers and ``MAX_PATH`` characters of path and query, so a long run of hostile requests (huge
headers, 50 MB prompts) leaves the journal's memory flat. Secrets are masked (``vidmock.masking``)
when an entry is first read.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .masking import mask, mask_headers, mask_json, mask_json_text, mask_query

__all__ = ["Entry", "Journal", "Raw", "RAW_CAP", "mask", "mask_headers", "mask_query", "summarise"]

DEFAULT_ENTRIES = 5000
DEFAULT_BYTES = 32 * 1024 * 1024
MAX_HEADER_BYTES = 8 * 1024  # headers kept per entry; the rest is dropped with a marker header
MAX_PATH = 2048  # characters of path and of query string kept per entry


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
    """A captured body for display, with any secret in it masked (a Sora dashboard webhook's
    ``secret``, a callback URL's ``?token=``)."""
    if not raw.size:
        return None
    if "json" in raw.content_type and raw.size <= RAW_CAP:
        try:
            value = json.loads(raw.data)
        except ValueError:
            pass
        else:
            value = mask_json(value)
            text = json.dumps(value)
            return value if len(text) <= MAX_BODY_TEXT else {"truncated": text[:MAX_BODY_TEXT]}
    if raw.content_type.startswith(("video/", "application/octet-stream", "image/")):
        return {"bytes": raw.size}
    text = mask_json_text(raw.data[:MAX_BODY_TEXT].decode("utf-8", "replace"))
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
        self.service, self.at, self.method, self.path = service, at, method, path[:MAX_PATH]
        # Raw ASGI headers and query bytes are masked when first read: masking every call was a
        # tenth of a create's cost, and most entries are never looked at.
        self._query, self._headers, self.status = query[:MAX_PATH], headers, status
        self._body, self._response = body, response
        self.size = 0  # bytes accounted to this entry by the journal (set by ``Journal.record``)

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

    def account(self) -> int:
        """Cap what this entry holds and return its size in bytes (approximate: the bytes of the
        strings it keeps, not Python's object overhead, which is bounded per entry anyway)."""
        size = 256 + len(self.path) + len(self._query) + len(self.method) + len(self.service)
        headers = self._headers
        if isinstance(headers, list):
            kept: list[tuple[bytes, bytes]] = []
            used = 0
            for k, v in headers:
                used += len(k) + len(v)
                if used > MAX_HEADER_BYTES:
                    kept.append((b"x-vidmock-journal", b"headers truncated"))
                    break
                kept.append((k, v))
            self._headers = kept
            size += min(used, MAX_HEADER_BYTES)
        else:
            size += sum(len(k) + len(v) for k, v in headers.items())
        for part in (self._body, self._response):
            if isinstance(part, Raw):
                size += len(part.data)
            elif part is not None:
                size += len(str(part)) if not isinstance(part, (bytes, str)) else len(part)
        self.size = size
        return size


@dataclass
class Journal:
    """``limit`` entries and ``max_bytes`` bytes at most; the oldest entries go first."""

    limit: int = DEFAULT_ENTRIES
    max_bytes: int = DEFAULT_BYTES
    entries: deque[Entry] = field(default_factory=deque)
    bytes: int = 0  # the accounted size of the entries kept
    dropped: int = 0  # entries evicted to stay within the bounds

    def record(self, entry: Entry) -> Entry:
        self.bytes += entry.account()
        self.entries.append(entry)
        while self.entries and (len(self.entries) > self.limit or self.bytes > self.max_bytes):
            self.bytes -= self.entries.popleft().size
            self.dropped += 1
        return entry

    def stats(self) -> dict[str, int]:
        return {
            "entries": len(self.entries),
            "bytes": self.bytes,
            "dropped": self.dropped,
            "max_entries": self.limit,
            "max_bytes": self.max_bytes,
        }

    def for_service(self, service: str) -> list[Entry]:
        return [e for e in self.entries if e.service == service]

    def clear(self) -> None:
        self.entries.clear()
        self.bytes = 0
