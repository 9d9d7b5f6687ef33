"""Kling's error envelope (providers.md §5.4): the HTTP status plus ``{code, message, request_id}``.

Codes and HTTP statuses are the official table ("General Information → Error Code"); the table gives
a meaning per code, not the ``message`` text the API puts in the body, so the default messages below
are the table's definitions in English (chosen). Validation errors carry a specific message, as the
table's advice "see the message field" for 1201 implies.
"""

from __future__ import annotations

from typing import Any

from ..kit import ProviderError

# code → (HTTP status, default message): the official table.
CODES: dict[int, tuple[int, str]] = {
    1000: (401, "Authentication failed"),
    1001: (401, "Authorization is empty"),
    1002: (401, "Authorization is invalid"),
    1003: (401, "Authorization is not yet valid"),
    1004: (401, "Authorization has expired"),
    1100: (429, "Account exception"),
    1101: (429, "Account in arrears"),
    1102: (429, "Resource pack depleted or expired"),
    1103: (403, "Unauthorized access to the requested resource, such as the API or model"),
    1200: (400, "Invalid request parameters"),
    1201: (400, "Invalid parameters"),
    1202: (404, "The requested method is invalid"),
    1203: (404, "The requested resource does not exist"),
    1300: (400, "The request triggered a platform policy"),
    1301: (400, "The request triggered the content security policy of the platform"),
    1302: (429, "The API request is too fast, exceeding the platform's rate limit"),
    1303: (429, "parallel task over resource pack limit"),  # the wording practitioners quote for 1303
    1304: (429, "The request triggered the platform's IP allowlist policy"),
    5000: (500, "Server internal error"),
    5001: (503, "Server temporarily unavailable, usually due to maintenance"),
    5002: (504, "Server internal timeout, usually due to a backlog"),
}
# The code a scripted fault gets when its scenario names only an HTTP status (chosen per status).
STATUS_CODES = {
    400: 1200,
    401: 1000,
    403: 1103,
    404: 1203,
    413: 1200,
    429: 1302,
    500: 5000,
    502: 5000,
    503: 5001,
    504: 5002,
}


class KlingError(ProviderError):
    """One error answer; ``status`` defaults to the table's HTTP status for ``code``."""

    def __init__(self, code: int, message: str | None = None, status: int | None = None) -> None:
        default_status, default_message = CODES.get(code, (500, "Server internal error"))
        super().__init__(status or default_status, message or default_message)
        self.code = code

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "request_id": request_id or ""}


def invalid(message: str) -> KlingError:
    """400 / 1201: a parameter with a wrong key or an illegal value."""
    return KlingError(1201, message)


def fault_body(status: int, code: str | None, message: str | None, request_id: str) -> dict[str, Any]:
    """A scenario's status fault in Kling's envelope. A numeric scenario ``code`` is sent as a number
    (Kling's codes are integers); any other string is passed through as the scenario wrote it."""
    wire: int | str
    if code is not None and str(code).isdigit():
        wire = int(code)
    elif code is not None:
        wire = code
    else:
        wire = STATUS_CODES.get(status, 5000 if status >= 500 else 1200)
    default = CODES.get(wire, (status, "Request failed"))[1] if isinstance(wire, int) else "Request failed"
    return {"code": wire, "message": message or default, "request_id": request_id}


def input_moderation() -> KlingError:
    return KlingError(
        1301, "The input triggered the content security policy of the platform, please modify it and try again"
    )
