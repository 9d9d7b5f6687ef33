"""ModelArk's error envelope (providers.md §4.4).

``{"error": {"code": "InvalidParameter", "message": "… Request id: 0217…", "param": "…",
"type": "BadRequest"}}``: the SDK reads ``code``, ``param`` and ``type`` from ``body.error``, and
messages often end with "Request id: …", so every message here gets that suffix when rendered.
The ``type`` per HTTP status is not in the reference (chosen, in the style of its one example).
"""

from __future__ import annotations

from ..kit import ProviderError

TYPES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "BadRequest",
    429: "TooManyRequests",
    500: "InternalServiceError",
    503: "ServiceUnavailable",
}


class ArkError(ProviderError):
    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(status, message)
        self.code, self.param = code, param

    def body(self, request_id: str | None = None) -> dict[str, object]:
        error: dict[str, object] = {
            "code": self.code,
            "message": f"{self.message} Request id: {request_id}",
            "param": self.param or "",
            "type": TYPES.get(self.status, "BadRequest"),
        }
        return {"error": error}


def invalid(param: str, detail: str) -> ArkError:
    """400 ``InvalidParameter`` (message wording chosen; the code is the reference's)."""
    return ArkError(
        400, "InvalidParameter", f"The parameter `{param}` specified in the request is not valid: {detail}.", param
    )


def missing(param: str) -> ArkError:
    """400 ``MissingParameter``."""
    return ArkError(
        400, "MissingParameter", f"The request failed because it is missing the required parameter `{param}`.", param
    )


def model_not_found(model: str) -> ArkError:
    """404 for a wrong or undated model id (§4.7 item 6)."""
    return ArkError(
        404,
        "InvalidEndpointOrModel.NotFound",
        f"The model or endpoint {model} does not exist or you do not have access to it.",
        "model",
    )


def task_not_found(task_id: str) -> ArkError:
    return ArkError(404, "ResourceNotFound", f"The specified task {task_id} is not found.", "id")


# What a scripted HTTP fault looks like on Ark's wire when the scenario gives no code or message
# (codes from §4.4's table; messages chosen).
_FAULTS = {
    400: ("InvalidParameter", "The request failed because a parameter is not valid."),
    401: ("AuthenticationError", "The API key or AK/SK in the request is missing or invalid."),
    403: ("AccessDenied", "You do not have permission to access this resource."),
    404: ("ResourceNotFound", "The specified resource is not found."),
    429: (
        "RateLimitExceeded.EndpointRPMExceeded",
        "The request has exceeded the RPM (requests per minute) limit of the endpoint. Please retry later.",
    ),
    500: ("InternalServiceError", "The service encountered an unexpected internal error."),
    503: ("ServerOverloaded", "The service is currently overloaded. Please retry later."),
}


def fault_error(status: int, code: str | None, message: str | None) -> ArkError:
    """A scenario fault as an Ark error (the caller renders it with the request id)."""
    default_code, default_message = _FAULTS.get(
        status, ("InternalServiceError" if status >= 500 else "InvalidParameter", f"The request failed ({status}).")
    )
    return ArkError(status, code or default_code, message or default_message)


AUTHENTICATION = ArkError(401, "AuthenticationError", "The API key or AK/SK in the request is missing or invalid.")

INPUT_TEXT_SENSITIVE = ArkError(
    400,
    "InputTextSensitiveContentDetected",
    "The request failed because the input text may contain sensitive information.",
)

# The task-level error of an output-moderated task (§4.4: failed task, ``error.code`` set).
OUTPUT_VIDEO_SENSITIVE = {
    "code": "OutputVideoSensitiveContentDetected",
    "message": "The request failed because the output video may contain sensitive information.",
}
