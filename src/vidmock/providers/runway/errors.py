"""Runway's error envelope: ``{"error": "<human readable>"}`` (providers.md §9.4).

A body that fails validation answers 400 with zod-style ``issues`` and a ``docUrl`` next to the
``error`` text, as the live API was captured answering (``"Validation of body failed"``; the issue
shapes are zod v4's: ``invalid_type``, ``invalid_value``, ``too_small``, ``too_big``,
``invalid_union`` with ``"No matching discriminator"``, ``unrecognized_keys``, ``custom``). A task
that does not exist answers 404 ``{"error": "Could not find Task"}`` (also captured). Texts for
401, the version header, 405, 413 and the load-shedding statuses are not documented anywhere in the
reference and are (chosen) in the same plain style.
"""

from __future__ import annotations

from typing import Any

from ..kit import ProviderError

DOC_URL = "https://docs.dev.runwayml.com/api"
VALIDATION_FAILED = "Validation of body failed"
TASK_NOT_FOUND = "Could not find Task"
MESSAGES = {
    400: "Bad request.",
    401: "Invalid API key.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Request body is too large.",
    429: "You have exceeded the rate limit for your organization. Please retry later.",
    500: "An unexpected error occurred.",
    502: "Runway is temporarily shedding load. Please retry.",
    503: "Runway is temporarily shedding load. Please retry.",
    504: "Runway is overloaded and could not complete the request. Please retry.",
}

Issue = dict[str, Any]


class RunwayError(ProviderError):
    def __init__(self, status: int, message: str, issues: list[Issue] | None = None) -> None:
        super().__init__(status, message)
        self.issues = issues

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        if self.issues is None:
            return {"error": self.message}
        return {"error": self.message, "issues": self.issues, "docUrl": DOC_URL}


def validation_error(issues: list[Issue]) -> RunwayError:
    return RunwayError(400, VALIDATION_FAILED, issues)


def fault_error(status: int, code: str | None, message: str | None) -> RunwayError:
    """A status (a scenario fault, an unknown route) the way Runway renders it (Runway has no error
    codes, so a scenario's ``code`` is not shown)."""
    return RunwayError(status, message or MESSAGES.get(status, "The request failed."))


# -- zod v4 issue shapes ------------------------------------------------------------------------------


def type_name(value: Any) -> str:
    """What zod calls a received value in ``Invalid input: expected X, received Y``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def invalid_type(path: list[Any], expected: str, value: Any, missing: bool = False) -> Issue:
    received = "undefined" if missing else type_name(value)
    return {
        "expected": expected,
        "code": "invalid_type",
        "path": path,
        "message": f"Invalid input: expected {expected}, received {received}",
    }


def not_int(path: list[Any]) -> Issue:
    return {
        "expected": "int",
        "format": "safeint",
        "code": "invalid_type",
        "path": path,
        "message": "Invalid input: expected int, received number",
    }


def invalid_value(path: list[Any], values: tuple[Any, ...]) -> Issue:
    shown = "|".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)
    if len(values) == 1:
        return {
            "code": "invalid_value",
            "values": list(values),
            "path": path,
            "message": f"Invalid input: expected {shown}",
        }
    return {
        "code": "invalid_value",
        "values": list(values),
        "path": path,
        "message": f"Invalid option: expected one of {shown}",
    }


def too_small(path: list[Any], origin: str, minimum: int) -> Issue:
    what = {
        "number": f"number to be >={minimum}",
        "string": f"string to have >={minimum} characters",
        "array": f"array to have >={minimum} items",
    }[origin]
    return {
        "origin": origin,
        "code": "too_small",
        "minimum": minimum,
        "inclusive": True,
        "path": path,
        "message": f"Too small: expected {what}",
    }


def too_big(path: list[Any], origin: str, maximum: int) -> Issue:
    what = {
        "number": f"number to be <={maximum}",
        "string": f"string to have <={maximum} characters",
        "array": f"array to have <={maximum} items",
    }[origin]
    return {
        "origin": origin,
        "code": "too_big",
        "maximum": maximum,
        "inclusive": True,
        "path": path,
        "message": f"Too big: expected {what}",
    }


def no_discriminator(path: list[Any]) -> Issue:
    return {
        "code": "invalid_union",
        "errors": [],
        "note": "No matching discriminator",
        "discriminator": "model",
        "path": path,
        "message": "Invalid input",
    }


def unrecognized(keys: list[str]) -> Issue:
    quoted = ", ".join(f'"{k}"' for k in keys)
    return {
        "code": "unrecognized_keys",
        "keys": keys,
        "path": [],
        "message": f"Unrecognized key{'s' if len(keys) > 1 else ''}: {quoted}",
    }


def custom(path: list[Any], message: str) -> Issue:
    return {"code": "custom", "path": path, "message": message}
