"""Luma's error envelope: FastAPI's ``{"detail": …}``.

api.lumalabs.ai is served by uvicorn (its ``Server`` header) and answers errors the FastAPI way
(third-party clients and tests in the wild parse ``body.detail``). The reference (providers.md §10.5)
leaves the envelope open, so this is chosen, in two shapes:

* ``{"detail": "<message>"}`` for API-level refusals (400 with the texts of Luma's "Errors" page,
  401, 404, 413, scripted faults);
* ``{"detail": [{"type", "loc", "msg", "input"}, …]}`` with 422 for a body that does not fit the
  request schema (wrong types, a value outside a closed enum, malformed JSON): pydantic v2's
  validation errors as FastAPI renders them.
"""

from __future__ import annotations

from typing import Any

from ..kit import ProviderError

# What a scripted fault says when the scenario gives no message (texts chosen; FastAPI's phrase
# for the status where Luma's own text is unknown).
MESSAGES = {
    400: "Bad Request",
    401: "Invalid API key",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    429: "Too many requests, please slow down",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class LumaError(ProviderError):
    """An error answer: ``detail`` is a message, or a list of validation errors (422)."""

    def __init__(self, status: int, detail: str | list[dict[str, Any]]) -> None:
        super().__init__(status, detail if isinstance(detail, str) else f"{len(detail)} validation error(s)")
        self.detail = detail

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        return {"detail": self.detail}

    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": "Bearer"} if self.status == 401 else None


def issue(kind: str, loc: tuple[str | int, ...], msg: str, value: Any) -> dict[str, Any]:
    """One pydantic v2 validation error, as FastAPI lists it."""
    return {"type": kind, "loc": list(loc), "msg": msg, "input": value}


def invalid(errors: list[dict[str, Any]]) -> LumaError:
    return LumaError(422, errors)


def bad_request(message: str) -> LumaError:
    return LumaError(400, message)


def fault_error(status: int, code: str | None, message: str | None) -> LumaError:
    """A scenario fault rendered the way Luma renders that status (``code`` has no place in it)."""
    return LumaError(
        status, message or MESSAGES.get(status, "Internal Server Error" if status >= 500 else "Bad Request")
    )


NOT_AUTHENTICATED = LumaError(401, "Not authenticated")  # FastAPI HTTPBearer's text for a missing header
INVALID_KEY = LumaError(401, "Invalid API key")
TOO_LARGE = LumaError(413, "Request body too large")
NOT_FOUND = LumaError(404, "Not Found")  # an unknown route, as FastAPI answers it
METHOD_NOT_ALLOWED = LumaError(405, "Method Not Allowed")


def generation_not_found(generation_id: str) -> LumaError:
    return LumaError(404, f"Generation {generation_id} not found")
