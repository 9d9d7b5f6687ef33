"""DashScope's error envelope: ``{"request_id", "code", "message"}`` (providers.md §8).

DashScope's own documentation is not among the reference sources; the codes and texts below are the
ones DashScope publishes in its error-code list (unverified here), marked where chosen.
"""

from __future__ import annotations

from ..kit import ProviderError

CODES = {
    400: "InvalidParameter",
    401: "InvalidApiKey",
    403: "AccessDenied",
    404: "NotFound",
    413: "InvalidParameter",
    429: "Throttling.RateQuota",
    500: "InternalError",
    503: "ServiceUnavailable",
}
MESSAGES = {
    429: "Requests rate limit exceeded, please try again later.",
    500: "An internal error has occured, please try again later or contact service support.",
    503: "The service is temporarily unavailable, please try again later.",
}  # 503 text chosen


class DashScopeError(ProviderError):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(status, message)
        self.code = code or CODES.get(status, "InternalError")

    def body(self, request_id: str | None = None) -> dict[str, str]:
        return {"request_id": request_id or "", "code": self.code, "message": self.message}


def invalid(message: str) -> DashScopeError:
    return DashScopeError(400, message, "InvalidParameter")


NO_API_KEY = DashScopeError(401, "No API-key provided.", "InvalidApiKey")
# Video synthesis is asynchronous only: a call without `X-DashScope-Async: enable` is refused.
SYNC_REFUSED = DashScopeError(403, "current user api does not support synchronous calls", "AccessDenied")
