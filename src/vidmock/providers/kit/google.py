"""Google's error envelope, shared by the Vertex and Gemini API emulators (providers.md §2.4, §3.4):
``{"error": {"code": <HTTP status>, "message", "status": "<canonical code name>"}}``. Each of the two
keeps its own default messages; the envelope is defined once, here."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from .emulator import Emulator
from .errors import BadBody, ProviderError

# Veo's output sizes by aspect ratio and resolution: one model behind both APIs (providers.md §2.2, §3.2).
VEO_DIMENSIONS = {
    ("16:9", "720p"): (1280, 720),
    ("9:16", "720p"): (720, 1280),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "1080p"): (1080, 1920),
    ("16:9", "4k"): (3840, 2160),
    ("9:16", "4k"): (2160, 3840),
}

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",  # (not in the reference: chosen) Google answers a wrong verb as 404 mostly
    409: "ALREADY_EXISTS",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class GoogleError(ProviderError):
    def __init__(
        self, code: int, message: str, status: str | None = None, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(code, message)
        self.code, self.details = code, details
        self.status_name = status or STATUS_NAMES.get(code, "UNKNOWN")

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status_name}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def url_not_found(path: str) -> GoogleError:
    """What Google's front end answers for a path no API serves (and for a verb a path does not
    take): 404 ``NOT_FOUND`` in the JSON envelope (wording chosen: the real one is an HTML page for
    some paths and this envelope for API paths)."""
    return GoogleError(404, f"The requested URL {path} was not found on this server.")


class GoogleFrontEnd(Emulator):
    """What Google's front end answers for both Veo APIs: an unknown path or verb is NOT_FOUND, a body
    that is not JSON "Invalid JSON payload received."; each API keeps its own ``too_large`` text."""

    def route_not_found(self, request: Request) -> GoogleError:
        return url_not_found(request.url.path)

    def method_not_allowed(self, request: Request) -> GoogleError:
        return url_not_found(request.url.path)  # an unserved verb is a 404 too

    def unreadable(self, request: Request, problem: BadBody) -> ProviderError:
        return self.too_large() if problem.status == 413 else GoogleError(400, "Invalid JSON payload received.")
