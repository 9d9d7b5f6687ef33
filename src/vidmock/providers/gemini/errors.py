"""Google's error envelope: ``{"error": {"code", "message", "status"}}`` (providers.md §2.4)."""

from __future__ import annotations

from typing import Any

from ...responses import JSONResponse

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
MESSAGES = {
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please "
    "retry or report in https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}


class GoogleError(Exception):
    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.code)


def error_body(status: int, code: str | None, message: str | None) -> dict[str, Any]:
    """A scenario fault as the Gemini API renders that status (``code`` may name the gRPC status)."""
    body = GoogleError(status, message or MESSAGES.get(status, "The request failed."), code).body()
    if status == 429:  # Google puts the retry hint in the body, not in Retry-After (providers.md §2.4)
        body["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}]
    return body


# What generativelanguage.googleapis.com answers a call without an API key.
NO_KEY = GoogleError(
    403,
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API.",
)
