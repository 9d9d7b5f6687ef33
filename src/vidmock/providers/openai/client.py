"""How the gateway calls OpenAI Sora (gateway.md §5.3 "OpenAI (Sora)", G1 ``createOpenAIVideoJob``,
W1 generic poll; errors per §6)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from ...config import ServerConfig
from ..base import KeyedClient, PollResult, SubmitContext, SubmitResult, UpstreamError, poll_request, upstream_json

TOKEN = "vidmock-openai-key"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg", "image/webp": "webp", "image/gif": "gif"}


class OpenAIClient(KeyedClient):
    provider = "openai"
    default_token = TOKEN

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req = ctx.request
        fields = {
            "model": ctx.mapping.external_id,
            "prompt": req.prompt,
            "size": req.routing_size,
            "seconds": str(req.seconds),
        }
        headers = {**self._headers(), "x-request-id": ctx.request_id}
        if ctx.references:
            files = [
                (
                    "input_reference",
                    (
                        f"input_reference_{i}.{EXTENSIONS.get(ref.mime_type, 'png')}",
                        base64.b64decode(ref.base64),
                        ref.mime_type,
                    ),
                )
                for i, ref in enumerate(ctx.references)
            ]
            response = await http.post("/v1/videos", data=fields, files=files, headers=headers)
        else:
            response = await http.post("/v1/videos", json=fields, headers=headers)
        data = upstream_json(response)
        video_id = data.get("id")
        if not isinstance(video_id, str) or not video_id:
            raise UpstreamError(502, "OpenAI video response did not include an id")
        progress = data.get("progress")
        return SubmitResult(
            video_id,
            status if isinstance(status := data.get("status"), str) else "queued",
            progress if isinstance(progress, int) and not isinstance(progress, bool) else 0,
            data,
        )

    def content_path(self, upstream_id: str) -> str | None:
        return f"/v1/videos/{upstream_id}/content"

    def content_headers(self) -> dict[str, str]:
        """Headers the gateway sends when it proxies ``content_path``: OpenAI wants the key there too."""
        return dict(self._headers())

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        body = await poll_request(http, "GET", f"/v1/videos/{upstream_id}", headers=self._headers())
        status = body.get("status")
        status = status if isinstance(status, str) else "queued"
        raw_progress = body.get("progress")
        progress = (
            int(raw_progress) if isinstance(raw_progress, (int, float)) and not isinstance(raw_progress, bool) else None
        )
        if status.lower() == "completed":
            body = {**body, **await self._content_json(http, upstream_id)}
        error = None
        raw_error = body.get("error")
        if isinstance(raw_error, dict):
            message = raw_error.get("message")
            error = {
                "code": raw_error.get("code") if isinstance(raw_error.get("code"), str) else None,
                "message": message if isinstance(message, str) and message else "Video generation failed",
                "details": raw_error,
            }
        return PollResult(
            status,
            progress,
            error=error,
            expires_at=_number(body.get("expires_at")),
            completed_at=_number(body.get("completed_at")),
            raw=body,
        )

    async def _content_json(self, http: httpx.AsyncClient, upstream_id: str) -> dict[str, Any]:
        """G1 also asks the content route for JSON (redirects not followed) and merges a JSON reply
        into the status; the binary reply is not read."""
        try:
            async with http.stream(
                "GET",
                self.content_path(upstream_id) or "",
                follow_redirects=False,
                headers={**self._headers(), "Accept": "application/json"},
            ) as response:
                if not response.is_success or "json" not in response.headers.get("content-type", ""):
                    return {}
                value = (await response.aread()) or b"{}"
        except httpx.HTTPError:
            return {}
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def build_client(config: ServerConfig) -> OpenAIClient:
    return OpenAIClient()
