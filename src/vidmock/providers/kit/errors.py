"""The one error base every emulator raises (as moto's ``JsonRESTError`` is for its services).

A provider subclasses ``ProviderError`` and keeps only its envelope: ``body`` (what the JSON says),
and, where its wire differs, ``http_status`` (Avalanche and MiniMax v1 answer errors on HTTP 200) or
``headers``. The kit renders every one the same way, from one exception handler per emulator app
looked up by class (Starlette's exception handlers walk the MRO), so no route wraps its own
``try``/``except``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ...responses import JSONResponse


class ProviderError(Exception):
    """An answer in the provider's own envelope. ``request_id`` is the emulator's id for the request
    when the provider puts one in its error bodies (Ark, DashScope, Kling, MiniMax v2), else None."""

    status: int = 500

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message

    def body(self, request_id: str | None = None) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define its envelope (body)")

    def http_status(self) -> int:
        return self.status

    def headers(self) -> dict[str, str] | None:
        return None

    def response(self, request_id: str | None = None) -> Response:
        return JSONResponse(self.body(request_id), status_code=self.http_status(), headers=self.headers())


class BodyTooLarge(Exception):
    """A request body went past the emulator's limit while it was being read (a chunked body with
    no Content-Length, or one that sent more than it declared). Rendered as the provider's 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


class BadBody(Exception):
    """A body that cannot be read as the declared format (JSON that does not parse or decode,
    a multipart form that breaks the grammar or a limit). ``status`` is 400 or 413; ``form`` tells a
    multipart body from a JSON one."""

    def __init__(self, status: int, reason: str, *, form: bool = False) -> None:
        super().__init__(reason)
        self.status, self.reason, self.form = status, reason, form


class ObjectStoreError(ProviderError):
    """An object store's JSON answer for a missing or expired file behind a download URL
    (``{"Code": "NoSuchKey", "Message": …}``), for the providers whose video URLs point at one
    (Ark's TOS, MiniMax's OSS). Shape chosen: the reference gives none."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, message)
        self.code = code

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        return {"Code": self.code, "Message": self.message}


NO_SUCH_KEY = ObjectStoreError(404, "NoSuchKey", "The specified key does not exist.")
EXPIRED = ObjectStoreError(403, "AccessDenied", "Request has expired.")
