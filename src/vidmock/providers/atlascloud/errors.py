"""AtlasCloud's error answer. The reference covers only LLMGateway's client side (providers.md
§5.7), so the envelope is chosen in the style of AtlasCloud's success replies, which wrap
everything as ``{"code", "message", "data"}``: an error is ``{"code": <HTTP status>, "message"}``.
"""

from __future__ import annotations

from typing import Any

from ..kit import ProviderError


class AtlasError(ProviderError):
    def body(self, request_id: str | None = None) -> dict[str, Any]:
        return {"code": self.status, "message": self.message}


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


def fault_error(status: int, code: str | None, message: str | None) -> AtlasError:
    """A status (a scenario fault, an unknown route) as AtlasCloud would answer it."""
    return AtlasError(status, message or DEFAULT_MESSAGES.get(status, "Request failed"))


UNAUTHORIZED = AtlasError(401, DEFAULT_MESSAGES[401])
