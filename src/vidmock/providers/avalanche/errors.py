"""Avalanche's error envelope: Kie-style application errors inside HTTP 200.

Every reply is ``{"code": <n>, "msg": "…", "data": …}``; success is ``code: 200``. A failure is
a different ``code`` with HTTP status 200 all the same, which is why the gateway's
``fetchUpstreamJson`` checks ``{code, msg}`` on an OK response (gateway.md §6). The reference names
no code list for Avalanche; the set below follows Kie's published list (docs.kie.ai "response
status codes": 200, 400, 401, 402, 404, 422, 429, 455, 500, 501, 505). Messages are chosen.

What the emulator produces by itself: 401 (no Bearer key), 422 (bad parameters, unknown task,
upgrade still processing), 413 (a body over the limit). The others (402, 429, 455, 500, 501, 505)
come from scenarios: ``{status: 200, body: {code: 402, msg: "…"}}`` for an application error, or
``{status: 500}`` for an HTTP-level failure, rendered by ``fault_body`` in the same envelope.
"""

from __future__ import annotations

from typing import Any

from ..kit import ProviderError

MESSAGES: dict[int, str] = {
    400: "Bad request: the request could not be processed.",
    401: "You do not have access permissions.",
    402: "The current credits are insufficient. Please top up.",
    404: "The requested resource does not exist.",
    413: "The request body is too large.",
    422: "Parameter validation failed.",
    429: "The request rate is too high. Please try again later.",
    455: "The service is under maintenance. Please try again later.",
    500: "Server exception, please try again later or contact customer service.",
    501: "Generation failed.",
    505: "This feature is currently disabled.",
}


class KieError(ProviderError):
    """``{code, msg, data}``. Application errors ride on HTTP 200 (the status line says nothing about
    the outcome); ``http`` is the status line for the few answers that are not the API's (a file
    that is not there, a path no route serves)."""

    def __init__(self, code: int, msg: str | None = None, data: Any = None, *, http: int = 200) -> None:
        super().__init__(code, msg or MESSAGES.get(code, "Error"))
        self.code, self.msg, self.data, self.http = code, self.message, data, http

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg, "data": self.data}

    def http_status(self) -> int:
        return self.http


def invalid(message: str) -> KieError:
    return KieError(422, message)


def record_null() -> KieError:
    """An unknown (or other-variant) task id: Kie answers "recordInfo is null"."""
    return KieError(422, "recordInfo is null")


def fault_body(status: int, code: str | None, message: str | None) -> dict[str, Any]:
    """A scenario fault in Avalanche's envelope; the HTTP status is the scenario's own."""
    return {"code": status, "msg": message or MESSAGES.get(status, "Server exception."), "data": None}


UNAUTHORIZED = KieError(401)
