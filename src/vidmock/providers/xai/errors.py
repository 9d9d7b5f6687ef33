"""xAI's error envelope: ``{"code": "<slug>", "error": "<message>"}``.

xAI's own documentation is not among the reference sources (providers.md §7); the envelope and the
slugs (``invalid-argument``, ``unauthenticated:no-credentials``) are those api.x.ai is publicly seen
to answer. Slugs for other statuses are (not in the reference: chosen) in the same style.
"""

from __future__ import annotations

from ..kit import ProviderError

SLUGS = {
    400: "invalid-argument",
    401: "unauthenticated:no-credentials",
    403: "permission-denied",
    404: "not-found",
    409: "failed-precondition",
    413: "invalid-argument",
    429: "resource-exhausted",
    500: "internal",
    502: "unavailable",
    503: "unavailable",
    504: "deadline-exceeded",
}
MESSAGES = {
    429: "Too many requests: you are sending requests too frequently.",
    500: "An internal error occurred. Please try again later.",
    503: "The service is currently unavailable. Please try again later.",
}


class XaiError(ProviderError):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(status, message)
        self.code = code or SLUGS.get(status, "unknown")

    def body(self, request_id: str | None = None) -> dict[str, str]:
        return {"code": self.code, "error": self.message}


def fault_error(status: int, code: str | None, message: str | None) -> XaiError:
    """An error for a status (a scenario fault, an unknown route) the way api.x.ai renders it."""
    return XaiError(status, message or MESSAGES.get(status, "The request failed."), code)


NO_CREDENTIALS = XaiError(401, "No credentials presented.")
