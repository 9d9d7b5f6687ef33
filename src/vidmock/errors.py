"""The gateway's error envelope and the typed error every gateway layer raises.

The envelope is OpenAI-compatible (gateway.md §1.3): ``{"error": {"message", "type", "param", "code"}}``,
with ``type`` and ``code`` derived from the status unless given.
"""

from __future__ import annotations

from typing import Any

# status -> (type, code); gateway.md §1.3 (ER getOpenAIErrorMeta)
_META: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    402: ("invalid_request_error", "billing_error"),
    403: ("invalid_request_error", "permission_denied"),
    404: ("invalid_request_error", "not_found"),
    408: ("timeout_error", "timeout"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    504: ("timeout_error", "timeout"),
}


def error_meta(status: int) -> tuple[str, str | None]:
    if status in _META:
        return _META[status]
    if status >= 500:
        return ("api_error", None)
    return ("invalid_request_error", None)


def error_body(status: int, message: str, *, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    etype, default_code = error_meta(status)
    return {"error": {"message": message, "type": etype, "param": param, "code": code or default_code}}


class GatewayError(Exception):
    """An HTTP error the gateway answers with, rendered in the envelope above."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message)
