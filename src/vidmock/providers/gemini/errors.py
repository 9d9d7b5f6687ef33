"""Google's error envelope: ``{"error": {"code", "message", "status"}}`` (providers.md §2.4)."""

from __future__ import annotations

from ..kit.google import GoogleError

__all__ = ["MESSAGES", "NO_KEY", "GoogleError", "fault_error"]

MESSAGES = {
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please "
    "retry or report in https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}


def fault_error(status: int, code: str | None, message: str | None) -> GoogleError:
    """A scenario fault as the Gemini API renders that status (``code`` may name the gRPC status)."""
    # Google puts the retry hint in the body, not in Retry-After (providers.md §2.4).
    retry = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}] if status == 429 else None
    return GoogleError(status, message or MESSAGES.get(status, "The request failed."), code, retry)


# What generativelanguage.googleapis.com answers a call without an API key.
NO_KEY = GoogleError(
    403,
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API.",
)
