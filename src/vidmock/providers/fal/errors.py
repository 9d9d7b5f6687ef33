"""fal's error envelope: FastAPI's ``{"detail": …}``.

fal's queue and its model apps are FastAPI services, so every error body is ``{"detail": <text>}`` or,
for a model's input validation, ``{"detail": [{"loc", "msg", "type"}, …]}`` (pydantic's list; fal's
"Model Errors" page documents the same shape). The texts below are the ones fal is publicly seen to
answer where one is known (``No user found for Key ID and Secret``, ``Invalid Key Authorization header
format…``, ``Request is still in progress``); the others are (not in the reference: chosen) in the same
style.

The cancel route answers a status word instead (``{"status": "NOT_FOUND"}``,
``{"status": "ALREADY_COMPLETED"}``), as fal's queue API reference lists for that operation.
"""

from __future__ import annotations

from typing import Any

from ..kit import ProviderError

MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Request Entity Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FalError(ProviderError):
    """An HTTP error in fal's envelope; ``detail`` is a string or pydantic's list of error objects."""

    def __init__(self, status: int, detail: str | list[dict[str, Any]], body: dict[str, Any] | None = None) -> None:
        super().__init__(status, detail if isinstance(detail, str) else str(detail))
        self.detail, self.answer = detail, body

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        return self.answer if self.answer is not None else {"detail": self.detail}


def fault_error(status: int, code: str | None, message: str | None) -> FalError:
    """A scenario fault rendered the way fal renders that status (``code`` has no place in the envelope)."""
    return FalError(status, message or MESSAGES.get(status, "Request failed"))


def validation_error(loc: list[Any], msg: str, type_: str) -> dict[str, Any]:
    """One pydantic error object, as a model app's 422 lists them."""
    return {"loc": loc, "msg": msg, "type": type_}


MISSING_AUTH = FalError(401, "Missing authorization header. Use 'Authorization: Key <key_id>:<key_secret>'.")
BAD_KEY_FORMAT = FalError(401, "Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'.")
BAD_AUTH_SCHEME = FalError(401, "Invalid authorization header. Use 'Authorization: Key <key_id>:<key_secret>'.")
UNKNOWN_KEY = FalError(401, "No user found for Key ID and Secret")
REQUEST_NOT_FOUND = FalError(404, "Request not found")
STILL_RUNNING = FalError(400, "Request is still in progress")
CANCEL_NOT_FOUND = FalError(404, "Request not found", {"status": "NOT_FOUND"})
ALREADY_COMPLETED = FalError(400, "Request already completed", {"status": "ALREADY_COMPLETED"})
