"""Reading the Videos API's request bodies: JSON, multipart (the SDK's ``videos.create``, ``edit``,
``extend``, ``create_character`` always send multipart, changes-2026-12.md §4.1) and form-encoded."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from ..kit import BadBody, Emulator, ProviderError
from .errors import OpenAIError

Body = tuple[dict[str, Any], list[tuple[str, bytes]]]
INVALID_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you "
    "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
    "but what was sent was not valid JSON. If you have trouble figuring out how to fix "
    "this, please contact us through our help center at help.openai.com.)"
)


async def read_parts(em: Emulator, request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """(fields, files by name as (mime, bytes)) from a multipart, form or JSON body."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        form = await em.form(request)  # a BadBody is rendered by the kit (``unreadable``)
        return dict(form.fields), {part.name: (part.content_type, part.data) for part in form.files}
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl((await request.body()).decode("utf-8", "replace"))), {}
    return await _json_object(em, request), {}


async def read_body(em: Emulator, request: Request) -> tuple[Body, ProviderError | None]:
    """((fields, input_reference files as (mime, bytes)), None) from a JSON or multipart body, or
    (({}, []), the error) for one that does not read: returned, so a submit fault comes first."""
    try:
        return await _read_body(em, request), None
    except BadBody as problem:
        return ({}, []), em.unreadable(request, problem)
    except OpenAIError as err:
        return ({}, []), err


async def _read_body(em: Emulator, request: Request) -> Body:
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        form = await em.form(request)
        fields: dict[str, Any] = {}
        for name, value in form.fields:
            if name == "input_reference":
                raise OpenAIError(
                    400,
                    "Invalid 'input_reference': expected a file upload.",
                    param="input_reference",
                    code="invalid_type",
                )
            fields[name] = value
        files: list[tuple[str, bytes]] = []
        for part in form.files:
            if part.name != "input_reference":
                raise OpenAIError(400, f"Unknown parameter: '{part.name}'.", param=part.name, code="unknown_parameter")
            files.append((part.content_type, part.data))
        return fields, files
    return await _json_object(em, request), []


async def _json_object(em: Emulator, request: Request) -> dict[str, Any]:
    value = await em.json_body(request)
    if not isinstance(value, dict):
        raise OpenAIError(
            400,
            f"Invalid type for body: expected an object, but got {json.dumps(value)[:40]} instead.",
            code="invalid_type",
        )
    return value
