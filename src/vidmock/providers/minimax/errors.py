"""MiniMax's two error shapes.

- v1 (providers.md §6.4): ``base_resp {status_code, status_msg}``, typically inside an HTTP 200
  (unverified in the reference, so ``MinimaxOptions.http_errors`` can answer with a matching HTTP
  status instead).
- v2 (MiniMax's V2 API reference pages): a real HTTP status with
  ``{"type": "error", "error": {"type", "message": "… (<code>)", "http_code"}, "request_id"}``.
"""

from __future__ import annotations

from typing import Any

from ...responses import JSONResponse
from ..kit import ProviderError

# base_resp codes (providers.md §6.4) with the HTTP status the V2 API pairs them with.
HTTP_STATUS = {1000: 500, 1001: 504, 1002: 429, 1004: 401, 1008: 402, 1024: 500, 1026: 422, 1027: 422, 2013: 400}
MESSAGES = {
    1000: "unknown error",
    1001: "request timeout",
    1002: "rate limit, please retry later",
    1004: "login fail: Please carry the API secret key in the 'Authorization' field of the request header",
    1008: "insufficient balance",
    1024: "internal error",
    1026: "input contains sensitive content",
    1027: "generated video contains sensitive content",
    2013: "invalid params",
}
V2_TYPES = {
    400: "bad_request_error",
    401: "authorized_error",
    402: "insufficient_balance_error",
    404: "not_found_error",
    422: "unprocessable_entity_error",
    429: "rate_limit_error",
}
CODE_FOR_STATUS = {400: 2013, 401: 1004, 402: 1008, 404: 2013, 413: 2013, 422: 1026, 429: 1002, 504: 1001}


class MinimaxError(ProviderError):
    """A ``base_resp`` code; rendered v1 or v2 by the route it answers (``MinimaxEmulator.render``).
    ``http`` fixes the status line (a path no route serves), else it follows the code."""

    def __init__(self, code: int, message: str | None = None, *, http: int | None = None) -> None:
        self.code, self.http = code, http
        super().__init__(http or HTTP_STATUS.get(code, 500), message or MESSAGES.get(code, "unknown error"))

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        return self.v1_body()

    def v1_body(self, **extra: Any) -> dict[str, Any]:
        return {**extra, "base_resp": {"status_code": self.code, "status_msg": self.message}}

    def v1_response(self, http_errors: bool, **extra: Any) -> JSONResponse:
        return JSONResponse(self.v1_body(**extra), status_code=self.status if http_errors or self.http else 200)

    def v2_body(self, request_id: str) -> dict[str, Any]:
        status = self.status
        return {
            "type": "error",
            "error": {
                "type": V2_TYPES.get(status, "server_error"),
                "message": f"{self.message} ({self.code})",
                "http_code": str(status),
            },
            "request_id": request_id,
        }

    def v2_response(self, request_id: str) -> JSONResponse:
        return JSONResponse(self.v2_body(request_id), status_code=self.status)


def invalid(detail: str) -> MinimaxError:
    return MinimaxError(2013, f"invalid params, {detail}")


def code_for(status: int, code: str | None) -> int:
    """A scenario fault's base_resp code: its own numeric ``code`` if given, else one for the status."""
    if code is not None and code.isdigit():
        return int(code)
    return CODE_FOR_STATUS.get(status, 1000)
