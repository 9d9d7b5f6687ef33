"""The JSON response every vidmock surface answers with: Starlette's ``JSONResponse`` rendered
through ``jsonutil`` (same compact UTF-8 bytes, a tenth of the cost; a create or a poll renders two,
the emulator's and the gateway's)."""

from __future__ import annotations

from typing import Any

from starlette import responses

from .jsonutil import dumps


class JSONResponse(responses.JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content)
