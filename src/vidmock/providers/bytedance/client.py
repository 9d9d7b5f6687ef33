"""How the gateway calls ByteDance Seedance on ModelArk (gateway.md §5.3, G1
``createBytedanceVideoJob``, W1 ``fetchBytedanceStatus``).

Paths carry ``/api/v3``: the in-process base URL is the emulator's root, so a real upstream in
``provider_urls["bytedance"]`` is given as its host (``https://ark.ap-southeast.bytepluses.com``).
"""

from __future__ import annotations

from typing import Any

import httpx

from ...config import ServerConfig
from ...gateway.domain.request import is_portrait
from ..base import KeyedClient, PollResult, SubmitContext, SubmitResult, UpstreamError, poll_request, upstream_json

TASKS = "/api/v3/contents/generations/tasks"
TOKEN = "vidmock-bytedance-key"
FAILED = "ByteDance video generation failed"


class BytedanceClient(KeyedClient):
    provider = "bytedance"
    default_token = TOKEN

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req = ctx.request
        external_id = ctx.mapping.external_id
        content: list[dict[str, Any]] = [{"type": "text", "text": req.prompt}]
        for image, role in ((ctx.first_frame, "first_frame"), (ctx.last_frame, "last_frame")):
            if image is not None:
                content.append(
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:{image.mime_type};base64,{image.base64}"},
                        "role": role,
                    }
                )
        for image in ctx.references:
            content.append(
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:{image.mime_type};base64,{image.base64}"},
                    "role": "reference_image",
                }
            )
        for url in req.reference_videos:
            content.append({"type": "video_url", "video_url": {"url": url}, "role": "reference_video"})
        for url in req.reference_audios:
            content.append({"type": "audio_url", "audio_url": {"url": url}, "role": "reference_audio"})
        body: dict[str, Any] = {
            "model": external_id,
            "content": content,
            "duration": req.seconds,
            "ratio": "9:16" if is_portrait(req.routing_size) else "16:9",
            "generate_audio": req.audio,
        }
        if external_id.startswith("dreamina-"):
            body["resolution"] = req.resolution if req.resolution in ("1080p", "480p") else "720p"
        response = await http.post(TASKS, json=body, headers={**self._headers(), "x-request-id": ctx.request_id})
        data = upstream_json(response)
        task_id = data.get("id")
        if not isinstance(task_id, str) or not task_id:
            raise UpstreamError(502, "ByteDance video response did not include a task id")
        status = data.get("status")
        return SubmitResult(task_id, status if isinstance(status, str) and status else "queued", 0, data)

    def content_path(self, upstream_id: str) -> str | None:
        return None  # the content is at content.video_url

    def content_headers(self) -> dict[str, str]:
        return {}  # content.video_url is a signed object URL: no credential

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        body = await poll_request(http, "GET", f"{TASKS}/{upstream_id}", headers=self._headers())
        data = body["data"] if isinstance(body.get("data"), dict) else body
        status = data.get("status")
        status = status if isinstance(status, str) else ""
        raw_content = data.get("content")
        content: dict[str, Any] = raw_content if isinstance(raw_content, dict) else {}
        video_url = content.get("video_url") if isinstance(content.get("video_url"), str) else None
        if status in ("succeeded", "completed"):
            return PollResult(status, 100, content_url=video_url, raw=body)
        if status == "running":
            return PollResult(status, 50, raw=body)
        if status == "failed":
            error = data.get("error")
            if isinstance(error, dict):
                message = (
                    error.get("message") if isinstance(error.get("message"), str) and error.get("message") else FAILED
                )
                out: dict[str, Any] = {"message": message, "details": error}
                if isinstance(error.get("code"), str):
                    out = {"code": error["code"], **out}
            else:
                out = {"message": FAILED}
            return PollResult(status, 100, error=out, raw=body)
        return PollResult(status, None, content_url=video_url, raw=body)


def build_client(config: ServerConfig) -> BytedanceClient:
    return BytedanceClient()
