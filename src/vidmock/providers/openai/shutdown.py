"""The Videos API after its shutdown on 2026-09-24 (changes-2026-12.md §4.1), behind
``ServerConfig.openai_shutdown``.

What the real API answers since was not found (one reseller answered "model not found"), so this is
the most plausible answer, unverified: a create names its model and gets OpenAI's usual unknown-model
error (404 ``model_not_found``, ``type: invalid_request_error``, ``param: model``); every other video
route is gone, so it answers as any path the API does not serve (404 ``Invalid URL (METHOD path)``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .errors import OpenAIError
from .models import DEFAULT_MODEL

METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]
ReadParts = Callable[[Request], Awaitable[tuple[dict[str, Any], dict[str, Any]]]]


def model_not_found(model: str) -> OpenAIError:
    return OpenAIError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        param="model",
        code="model_not_found",
    )


def routes(route_not_found: Callable[[Request], OpenAIError], read_parts: ReadParts) -> list[BaseRoute]:
    """The video routes of a shut-down API: ``read_parts`` reads a create's body (JSON or multipart)."""

    async def create(request: Request) -> Response:
        fields, _ = await read_parts(request)
        model = fields.get("model")
        raise model_not_found(model if isinstance(model, str) and model else DEFAULT_MODEL)

    async def gone(request: Request) -> Response:
        raise route_not_found(request)

    return [
        Route("/v1/videos", create, methods=["POST"]),
        Route("/v1/videos", gone, methods=["GET"]),
        Route("/v1/videos/{rest:path}", gone, methods=METHODS),
    ]
