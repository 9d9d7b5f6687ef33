"""A gateway-side client for Veo on the Gemini API.

LLMGateway has no ``google-ai-studio`` video path (gateway.md §8; providers.md §2), and no catalogue
mapping names this provider, so the gateway never calls this client. It exists because every plugin
has one, and it shows how a gateway would speak the protocol: submit with ``x-goog-api-key``, poll
with a plain GET of the operation name, ``done:true`` with a sample → completed with the file URI as
the content URL, the safety block → completed with no content (as the gateway treats Vertex's),
``error`` → failed.
"""

from __future__ import annotations

from typing import Any

import httpx

from ...config import ServerConfig
from ...gateway.domain.request import is_portrait
from ..base import (
    KeyedClient,
    PollResult,
    SubmitContext,
    SubmitResult,
    UpstreamError,
    pending_or_failed_operation,
    poll_request,
    upstream_json,
)

TOKEN = "vidmock-gemini-key"
FAILED = "Google AI Studio video generation failed"  # (not in the reference: chosen)


class GeminiClient(KeyedClient):
    provider = "google-ai-studio"
    default_token = TOKEN
    auth_header = "x-goog-api-key"
    auth_scheme = None

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req = ctx.request
        instance: dict[str, Any] = {"prompt": req.prompt}
        for key, image in (("image", ctx.first_frame), ("lastFrame", ctx.last_frame)):
            if image is not None:
                instance[key] = {"bytesBase64Encoded": image.base64, "mimeType": image.mime_type}
        if ctx.references:
            instance["referenceImages"] = [
                {"image": {"bytesBase64Encoded": r.base64, "mimeType": r.mime_type}, "referenceType": "asset"}
                for r in ctx.references
            ]
        body = {
            "instances": [instance],
            "parameters": {
                "aspectRatio": "9:16" if is_portrait(req.routing_size) else "16:9",
                "durationSeconds": req.seconds,
                "sampleCount": 1,
                "resolution": req.resolution if req.resolution in ("1080p", "4k") else "720p",
            },
        }
        response = await http.post(
            f"/v1beta/models/{ctx.mapping.external_id}:predictLongRunning", json=body, headers=self._headers()
        )
        data = upstream_json(response)
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise UpstreamError(502, "Google AI Studio video response did not include an operation name")
        return SubmitResult(name, "completed" if data.get("done") is True else "queued", 0, data)

    def content_path(self, upstream_id: str) -> str | None:
        return None  # the content is the sample's file URI

    def content_headers(self) -> dict[str, str]:
        return self._headers()

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        op = await poll_request(http, "GET", f"/v1beta/{upstream_id}", headers=self._headers())
        unfinished = pending_or_failed_operation(op, FAILED)
        if unfinished is not None:
            return unfinished
        generated = (op.get("response") or {}).get("generateVideoResponse") or {}
        samples = generated.get("generatedSamples") or []
        video = samples[0].get("video") if samples and isinstance(samples[0], dict) else None
        uri = video.get("uri") if isinstance(video, dict) and isinstance(video.get("uri"), str) else None
        return PollResult("completed", 100, content_url=uri, content_type="video/mp4", raw=op)


def build_client(config: ServerConfig) -> GeminiClient:
    return GeminiClient()
