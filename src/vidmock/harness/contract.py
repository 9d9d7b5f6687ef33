"""Small oracles shared by several families: the error envelope and the validation message format
(gateway.md §1.3, §2)."""

from __future__ import annotations

import re
from typing import Any

# Default error type and code per status (gateway.md §1.3); `None` means the key must be null.
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
# `<path>: <message>` entries joined by ", "; a path is dotted (`reference_videos.0`) or empty.
VALIDATION = re.compile(r"^Invalid request parameters: [\w.\[\]-]*: .+")
INVALID_JSON = "Invalid JSON in request body"


def expected_meta(status: int) -> tuple[str, str | None]:
    if status in _META:
        return _META[status]
    return ("api_error", None) if status >= 500 else ("invalid_request_error", None)


def envelope_problem(status: int, body: Any, *, strict_meta: bool = True) -> str | None:
    """Why ``body`` is not the OpenAI-compatible envelope for ``status``; None when it is.

    ``strict_meta`` also checks the default ``type``/``code`` for the status: the gateway uses
    them for every error it raises itself (the harness only asks for that on its own probes, where
    the status is known to come from the gateway rather than passed through from upstream).
    """
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return f'body is not {{"error": {{...}}}}: {str(body)[:200]}'
    err = body["error"]
    missing = [k for k in ("message", "type", "param", "code") if k not in err]
    if missing:
        return f"error object lacks {', '.join(missing)}"
    if not isinstance(err["message"], str) or not err["message"]:
        return "error.message is not a non-empty string"
    if not isinstance(err["type"], str):
        return "error.type is not a string"
    if strict_meta:
        want_type, want_code = expected_meta(status)
        if err["type"] != want_type or err["code"] != want_code:
            return f"status {status} should carry type={want_type!r} code={want_code!r}, got type={err['type']!r} code={err['code']!r}"
    return None


def message_of(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))
    return ""


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def expected_range(header: str, total: int) -> tuple[int, int] | None:
    """The inclusive slice the contract promises for ``Range: header`` on ``total`` bytes (206), or
    None for a refusal (416 ``Content-Range: bytes */TOTAL``). One range only: ``bytes=A-B`` (end
    clamped to the size), ``bytes=A-``, ``bytes=-N``; start ≥ size, start > end, ``bytes=-0``,
    ``bytes=-``, several ranges, other units and garbage are unsatisfiable (openapi.yaml, content)."""
    m = _RANGE.fullmatch(header.strip())
    if m is None or total <= 0 or m.group(1) == m.group(2) == "":
        return None
    first, last = m.group(1), m.group(2)
    if first == "":
        n = int(last)
        return (max(0, total - n), total - 1) if n > 0 else None
    start = int(first)
    if start >= total or (last != "" and start > int(last)):
        return None
    return start, total - 1 if last == "" else min(int(last), total - 1)
