"""The inspector's "Requests" panel reads incoming requests through one small interface.

``RequestSource`` is any callable returning rows (``RequestRow``: method, path, status, time,
surface, error; extra keys are ignored). Today the source is the journal of calls the provider
emulators received (``journal_requests``); a journal of every request the gateway and each emulator
received plugs in with one argument to ``inspector_routes(runtime, requests=...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict

from ..journal import Journal


class RequestRow(TypedDict):
    method: str
    path: str  # with the query string, if any (credentials masked by the source)
    status: int  # 0: no response (the connection failed)
    time: float  # when it arrived, on the server's clock (seconds since the epoch)
    surface: str  # who received it: "gateway", a provider id, "control"…
    error: str | None  # the error message the response carried, if any


RequestSource = Callable[[], Sequence[Mapping[str, Any]]]
MAX_ERROR = 300  # characters of an error message shown in a row


def journal_requests(journal: Journal) -> RequestSource:
    """The upstream journal as a ``RequestSource``: what each provider emulator received."""

    def rows() -> list[RequestRow]:
        out: list[RequestRow] = []
        for entry in list(journal.entries):
            path = entry.path + (f"?{entry.query}" if entry.query else "")
            error = error_message(entry.response) if entry.status >= 400 or entry.status == 0 else None
            out.append(
                RequestRow(
                    method=entry.method,
                    path=path,
                    status=entry.status,
                    time=entry.at,
                    surface=entry.service,
                    error=error,
                )
            )
        return out

    return rows


def error_message(response: Any) -> str | None:
    """The message in the error envelopes the emulated APIs use (``{"error": {"message"}}``,
    ``{"error": "…"}``, ``{"message"}``, ``{"detail"}``), or the text itself."""
    found: Any = None
    if isinstance(response, dict):
        err = response.get("error")
        if isinstance(err, dict):
            found = err.get("message") or err.get("code")
        elif err:
            found = err
        found = found or response.get("message") or response.get("detail") or response.get("msg")
    elif isinstance(response, str):
        found = response
    if found is None or found == "":
        return None
    message = str(found)
    return message if len(message) <= MAX_ERROR else message[:MAX_ERROR] + "…"
