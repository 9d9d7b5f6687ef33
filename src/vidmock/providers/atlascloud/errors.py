"""AtlasCloud's error answer. The reference covers only LLMGateway's client side (providers.md
§5.7), so the envelope is chosen in the style of AtlasCloud's success replies, which wrap
everything as ``{"code", "message", "data"}``: an error is ``{"code": <HTTP status>, "message"}``.
"""

from __future__ import annotations

from typing import Any

from ...responses import JSONResponse


class AtlasError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message

    def body(self) -> dict[str, Any]:
        return {"code": self.status, "message": self.message}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


DEFAULT_MESSAGES = {
    400: "Invalid request parameters",
    401: "Unauthorized: invalid or missing API key",
    404: "Not found",
    413: "Request entity too large",
    429: "Too many requests, please retry later",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
}


def error_body(status: int, code: str | None, message: str | None) -> dict[str, Any]:
    """A scenario status fault rendered as AtlasCloud would answer it."""
    return AtlasError(status, message or DEFAULT_MESSAGES.get(status, "Request failed")).body()


UNAUTHORIZED = AtlasError(401, DEFAULT_MESSAGES[401])
