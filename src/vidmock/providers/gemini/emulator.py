"""Veo on the Gemini API (``google-ai-studio``): routes and the HTTP adapter over ``models``.

Wire format per providers.md §2, under the real ``/v1beta`` prefix:

- ``POST /v1beta/models/{model}:predictLongRunning`` → ``{"name": "models/{model}/operations/{id}"}``;
- ``GET /v1beta/{operation name}`` polls (a plain GET, unlike Vertex); a bare ``operations/{id}``
  is accepted too, for pollers that kept only the id (§2.7 item 3);
- ``GET /v1beta/files/{id}:download?alt=media`` serves the MP4 with byte ranges, for 2 days after
  the operation is done (§2.7 item 5); after that, or for an id never issued, the Files API's 403.

Every route needs an API key (``x-goog-api-key`` or ``?key=``; any non-empty value). Errors use
Google's envelope. The gateway does not route here (gateway.md §8): it serves teams that call the
Gemini API directly, including through the official ``google-genai`` SDK (2.x).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...media import VideoSpec
from ...responses import JSONResponse
from ..faults import truncated
from ..http import ranged_response
from ..kit.google import GoogleFrontEnd
from .errors import NO_KEY, GoogleError, fault_error
from .models import DEFAULT_LATENCY, FILE_KIND, KIND, Operation, dimensions, parse_predict

SERVICE = "google-ai-studio"
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"  # operation and file ids: 12 lowercase alnum (§13)


class GeminiEmulator(GoogleFrontEnd):
    service = SERVICE
    max_body = 64 * 1024 * 1024
    submit_path = "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"

    def example_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": "vidmock-example-key"}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1beta/models/{model_action}", self.model_action, methods=["POST"]),
            Route("/v1beta/models/{model}/operations/{op_id}", self.get_operation, methods=["GET"]),
            Route("/v1beta/operations/{op_id}", self.get_operation, methods=["GET"]),
            Route("/v1beta/files/{file_action:path}", self.file_action, methods=["GET"]),
        ]

    def error(self, status: int, code: str | None, message: str | None) -> GoogleError:
        return fault_error(status, code, message)

    def too_large(self) -> GoogleError:
        return GoogleError(413, f"Request payload size exceeds the limit: {self.body_limit} bytes.")

    async def model_action(self, request: Request) -> Response:
        _authenticate(request)
        ctx = self.ctx
        model, _, action = request.path_params["model_action"].rpartition(":")
        latency = ctx.config.latency.get(model, DEFAULT_LATENCY.get(model)) if model else None
        if action != "predictLongRunning" or latency is None:
            raise GoogleError(
                404,
                f"models/{model or action} is not found for API version v1beta, or is not "
                f"supported for {action or 'this method'}. Call ListModels to see the list of "
                "available models and their supported methods.",
            )
        value, faulted = await self.submit_body(request, _prompt)
        if faulted is not None:
            return faulted
        fields = parse_predict(model, value)
        op_id = ctx.ids.new("gemini.op", 12, ALPHABET)
        name = f"models/{model}/operations/{op_id}"
        plan = ctx.scenarios.plan(SERVICE, request.headers, fields["prompt"], latency, name)
        files = [ctx.ids.new("gemini.file", 12, ALPHABET) for _ in range(fields["sample_count"])]
        op = Operation(
            id=op_id, model=model, created_at=ctx.clock.now(), seed=plan.seed, plan=plan.to_doc(), files=files, **fields
        )
        ctx.store.put(KIND, op_id, op.to_doc())
        for index, file_id in enumerate(files):
            ctx.store.put(FILE_KIND, file_id, {"operation": op_id, "index": index})
        return JSONResponse({"name": op.name})

    async def get_operation(self, request: Request) -> Response:
        _authenticate(request)
        ctx = self.ctx
        op_id = request.path_params["op_id"]
        model = request.path_params.get("model")
        doc = ctx.store.get(KIND, op_id)
        if doc is None or (model is not None and doc["model"] != model):
            shown = f"models/{model}/operations/{op_id}" if model else f"operations/{op_id}"
            raise GoogleError(404, f"Operation {shown} not found.")
        faulted = await self.status_fault(request, doc["plan"], Operation.from_doc(doc).name)
        return faulted or JSONResponse(Operation.from_doc(doc).render(ctx.clock.now(), self.base_url))

    async def file_action(self, request: Request) -> Response:
        _authenticate(request)
        ctx = self.ctx
        raw = request.path_params["file_action"]
        # google-genai shortens only https:// video URIs to a file id; given an http:// URI (an emulator
        # on loopback) it sends the whole URI as the name: …/files/http://host/v1beta/files/ID:download
        # ?alt=media:download?alt=media. Read the id from that too, so the SDK works unchanged here.
        file_id, _, action = raw.rsplit("/files/", 1)[-1].partition(":")
        if action != "download":
            raise GoogleError(
                404,
                f"Method files/{file_id}:{action} not found."
                if action
                else "Only generated videos are emulated: use files/{id}:download?alt=media.",
            )
        if request.query_params.get("alt", "").split(":")[0] != "media":
            raise GoogleError(400, "Download requires alt=media.")
        ref = ctx.store.get(FILE_KIND, file_id)
        doc = ctx.store.get(KIND, ref["operation"]) if ref is not None else None
        op = Operation.from_doc(doc) if doc is not None else None
        now = ctx.clock.now()
        if ref is None or op is None or not op.file_available(now):
            # The Files API's answer for a file that is gone (or never was).
            raise GoogleError(403, f"You do not have permission to access the File {file_id} or it may not exist.")
        faulted, fault = await self.content_fault(request, op.plan, op.name)
        if faulted is not None:
            return faulted
        width, height = dimensions(op)
        spec = VideoSpec(width, height, op.duration, op.audio, op.seed + ref["index"])
        data = await ctx.media.aget(spec)
        return truncated(fault, data, ctx.clock, "video/mp4") or ranged_response(request, data)


def _prompt(value: Any) -> str:
    """The prompt, for a `[scenario:NAME]` marker."""
    try:
        prompt = value["instances"][0].get("prompt", "")
    except (TypeError, KeyError, IndexError, AttributeError):
        return ""
    return prompt if isinstance(prompt, str) else ""


def _authenticate(request: Request) -> None:
    if not (request.headers.get("x-goog-api-key") or request.query_params.get("key")):
        raise NO_KEY
