"""OpenAI's error envelope: ``{"error": {"message", "type", "param", "code"}}`` (providers.md §1.4).

Job failures are different: a failed ``Video`` carries ``error: {code, message}`` with no ``type``
or ``param`` (``VideoCreateError``); those are built in ``models``, not here.
"""

from __future__ import annotations

from ..kit import ProviderError


class OpenAIError(ProviderError):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(status, message)
        self.type, self.param, self.code = type, param, code

    def body(self, request_id: str | None = None) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


# What a scripted HTTP fault looks like on OpenAI's wire when the scenario gives no code or message.
# The 500 and 503 texts are the API's well-known ones; the 429 wording and the ``requests`` type
# follow the general API's rate-limit errors (unverified for videos, providers.md §1.5).
_FAULTS: dict[int, tuple[str, str | None, str]] = {
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for videos per min (RPM). Please try again later. "
        "Visit https://platform.openai.com/account/rate-limits to learn more.",
    ),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def fault_error(status: int, code: str | None, message: str | None) -> OpenAIError:
    """OpenAI's error for a status when nothing more specific is known (a scenario fault)."""
    kind, default_code, default_message = _FAULTS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None, f"Request failed ({status}).")
    )
    return OpenAIError(status, message or default_message, type=kind, code=code or default_code)


def supported(values: tuple[str, ...] | list[str]) -> str:
    """``'4', '8', and '12'`` / ``'asc' and 'desc'``: how OpenAI lists allowed values."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def invalid_value(value: object, allowed: tuple[str, ...] | list[str], param: str) -> OpenAIError:
    # Text from the field (providers.md §1.2); the code value is unverified (§1.5).
    return OpenAIError(
        400, f"Invalid value: '{value}'. Supported values are: {supported(allowed)}.", param=param, code="invalid_value"
    )


def invalid_type(param: str, expected: str, value: object) -> OpenAIError:
    return OpenAIError(
        400,
        f"Invalid type for '{param}': expected {expected}, but got {_json_type(value)} instead.",
        param=param,
        code="invalid_type",
    )


def missing(param: str) -> OpenAIError:
    return OpenAIError(400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


# The real API's text for a request without a key; the brief asks for code invalid_api_key (the
# real API uses that code for a wrong key; vidmock accepts any non-empty key).
MISSING_KEY = OpenAIError(
    401,
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if "
    "you're accessing the API from your browser and are prompted for a username and password. You can "
    "obtain an API key from https://platform.openai.com/account/api-keys.",
    code="invalid_api_key",
)


def not_found(video_id: str) -> OpenAIError:
    # Wording unverified (providers.md §1.5 "unknown video id": 404 invalid_request_error).
    return OpenAIError(404, f"Video with id '{video_id}' not found.", param="video_id", code=None)
