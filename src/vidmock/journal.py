"""A request journal (WireMock-style): every call an emulator received, with what it answered.

Kept in memory and capped; secrets in headers are masked before they are recorded.
"""

from __future__ import annotations

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


@dataclass
class Entry:
    service: str
    at: float
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    response: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service, "at": self.at, "method": self.method, "path": self.path,
            "query": self.query, "headers": self.headers, "body": self.body, "status": self.status,
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
