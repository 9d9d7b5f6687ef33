"""How the gateway calls xAI (gateway.md §5.3 "xAI", G1 ``createXaiVideoJob``, W1 generic poll).

Submit ``{model, prompt, size, duration, image?: {url: "data:…"}}``; the id is the first non-empty
string among the generic id keys (typically ``request_id``). The poll is the worker's generic one:
the status string as given, ``progress`` when numeric, the error from ``body.error``, and the content
URL from ``url`` / ``video_url`` / ``output_url`` / ``video.url``. With no URL the gateway streams
``content_path`` with its own credential.
"""

from __future__ import annotations

from typing import Any

import httpx

from ...config import ServerConfig
from ..base import KeyedClient, PollResult, SubmitContext, SubmitResult, UpstreamError, poll_request, upstream_json

TOKEN = "vidmock-xai-key"
ID_KEYS = ("name", "id", "request_id", "video_id", "task_id", "job_id", "taskId")


def upstream_id(data: dict[str, Any]) -> str | None:
    """gateway.md §5.3: the first non-empty string among the id keys, then under ``data``."""
    for key in ID_KEYS:
        if isinstance(data.get(key), str) and data[key]:
            return str(data[key])
    nested = data.get("data")
    if isinstance(nested, dict):
        for key in ("taskId", "task_id", "id"):
            if isinstance(nested.get(key), str) and nested[key]:
                return str(nested[key])
    return None


def content_url(body: dict[str, Any]) -> str | None:
    for key in ("url", "video_url", "output_url"):
        if isinstance(body.get(key), str) and body[key]:
            return str(body[key])
    video = body.get("video")
    if isinstance(video, dict) and isinstance(video.get("url"), str) and video["url"]:
        return str(video["url"])
    return None


def extract_error(body: dict[str, Any]) -> dict[str, Any] | None:
    """W1 ``extractError``: ``body.error`` as an object, else nothing."""
    error = body.get("error")
    if not isinstance(error, dict):
        return None
    message = error.get("message")
    return {
        "code": error["code"] if isinstance(error.get("code"), str) else None,
        "message": message if isinstance(message, str) and message else "Video generation failed",
        "details": error,
    }


class XaiClient(KeyedClient):
    provider = "xai"
    default_token = TOKEN

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req = ctx.request
        body: dict[str, Any] = {
            "model": ctx.mapping.external_id,
            "prompt": req.prompt,
            "size": req.routing_size,
            "duration": req.seconds,
        }
        if ctx.first_frame is not None:  # xAI takes the first frame only, inlined as a data URL
            body["image"] = {"url": f"data:{ctx.first_frame.mime_type};base64,{ctx.first_frame.base64}"}
        data = upstream_json(await http.post("/v1/videos/generations", json=body, headers=self._headers()))
        video_id = upstream_id(data)
        if video_id is None:
            raise UpstreamError(502, "xAI video response did not include a request id")
        return SubmitResult(video_id, "queued", 0, data)

    def content_path(self, upstream_id: str) -> str | None:
        return f"/v1/videos/{upstream_id}/content"

    def content_headers(self) -> dict[str, str]:
        return self._headers()

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        body = await poll_request(http, "GET", f"/v1/videos/{upstream_id}", headers=self._headers())
        status, raw = body.get("status"), body.get("progress")
        progress = int(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
        return PollResult(
            status if isinstance(status, str) else "queued",
            progress,
            error=extract_error(body),
            content_url=content_url(body),
            raw=body,
        )


def build_client(config: ServerConfig) -> XaiClient:
    return XaiClient()
