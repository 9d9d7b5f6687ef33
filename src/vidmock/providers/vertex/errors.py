"""Google's error envelope: ``{"error": {"code", "message", "status"}}`` (providers.md §2.4)."""

from __future__ import annotations

from ..kit.google import GoogleError

__all__ = ["DEFAULT_MESSAGES", "UNAUTHENTICATED", "GoogleError", "fault_error"]

DEFAULT_MESSAGES = {
    429: "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model "
    "with base model: veo-3.1-generate-001. Please submit a quota increase request.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


def fault_error(status: int, code: str | None, message: str | None) -> GoogleError:
    """A scripted fault as Vertex answers it."""
    return GoogleError(status, message or DEFAULT_MESSAGES.get(status, "The service is currently unavailable."))


UNAUTHENTICATED = GoogleError(
    401,
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
)
