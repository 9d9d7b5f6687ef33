"""How the gateway calls Avalanche (gateway.md §5.3 "Avalanche", G3 and W1).

Submit: images first (each data URL through ``/api/file-base64-upload``), then Veo ``generate`` or
Sora ``createTask``; application errors (``{code ≠ 200, msg}`` in HTTP 200) map through
``upstream_json`` like any other (§6), and the gateway redacts them because the mapping is stealth.
Poll: ``record-info`` (Veo) or ``recordInfo`` (Sora). A Veo job asked at 1080p or 4k is not done
when the record says success: the client then fetches the upgrade on every poll and shows the job
as ``in_progress`` at 95 until the upgrade answers with a URL.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ...config import ServerConfig
from ...gateway.domain.request import RESOLUTION, is_portrait
from ..base import (
    KeyedClient,
    PollFailure,
    PollResult,
    PreparedImage,
    SubmitContext,
    SubmitResult,
    UpstreamError,
    poll_json,
    upstream_json,
)

TOKEN = "vidmock-avalanche-key"
UPLOAD_PATH = "videos/input-images"
SORA_IDS = ("sora-2", "sora-2-pro")
FAILED = "Avalanche video generation failed"
SORA_FAILED = "Avalanche Sora video generation failed"
NO_TASK_ID = "Avalanche video response did not include a task id"  # chosen, in the gateway's pattern
NO_FILE_URL = "Avalanche file upload did not return a usable file URL"  # G3
UPGRADE_PROGRESS = 95


class AvalancheClient(KeyedClient):
    provider = "avalanche"
    default_token = TOKEN

    async def _upload(self, http: httpx.AsyncClient, image: PreparedImage) -> str:
        response = await http.post(
            "/api/file-base64-upload",
            headers=self._headers(),
            json={"base64Data": f"data:{image.mime_type};base64,{image.base64}", "uploadPath": UPLOAD_PATH},
        )
        data = _dict(upstream_json(response).get("data"))
        for key in ("fileUrl", "downloadUrl"):
            if isinstance(data.get(key), str) and data[key].startswith(("http://", "https://")):
                return str(data[key])
        raise UpstreamError(502, NO_FILE_URL)

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req, external_id = ctx.request, ctx.mapping.external_id
        portrait = is_portrait(req.routing_size)
        frames = [i for i in (ctx.first_frame, ctx.last_frame) if i is not None]
        urls = [await self._upload(http, image) for image in (*frames, *ctx.references)]
        headers = {**self._headers(), "x-request-id": ctx.request_id}
        if external_id in SORA_IDS:
            task_input: dict[str, Any] = {
                "prompt": req.prompt,
                "aspect_ratio": "portrait" if portrait else "landscape",
                "n_frames": str(req.seconds),
                "remove_watermark": True,
                "upload_method": "s3",
            }
            if urls:
                task_input["image_urls"] = urls
            if external_id == "sora-2-pro":
                task_input["size"] = "high" if req.resolution == "1080p" else "standard"
            body: dict[str, Any] = {
                "model": f"{external_id}-{'image' if urls else 'text'}-to-video",
                "input": task_input,
            }
            response = await http.post("/api/v1/jobs/createTask", json=body, headers=headers)
        else:
            kind = (
                "FIRST_AND_LAST_FRAMES_2_VIDEO" if frames else "REFERENCE_2_VIDEO" if ctx.references else "TEXT_2_VIDEO"
            )
            body = {
                "prompt": req.prompt,
                "model": external_id,
                "aspect_ratio": "9:16" if portrait else "16:9",
                "generationType": kind,
                "enableFallback": False,
            }
            if urls:
                body["imageUrls"] = urls
            response = await http.post("/api/v1/veo/generate", json=body, headers=headers)
        reply = upstream_json(response)
        data = _dict(reply.get("data"))
        task_id = data.get("taskId") or data.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise UpstreamError(502, NO_TASK_ID)
        return SubmitResult(task_id, "queued", 0, reply)

    def content_path(self, upstream_id: str) -> str | None:
        return None  # content is the result URL

    def content_headers(self) -> dict[str, str]:
        return {}

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        try:
            if job.get("external_id") in SORA_IDS:
                return await self._poll_sora(http, upstream_id)
            return await self._poll_veo(http, upstream_id, RESOLUTION.get(str(job.get("size")), "720p"))
        except httpx.HTTPError as exc:
            raise PollFailure(str(exc) or type(exc).__name__) from exc

    async def _get_data(
        self, http: httpx.AsyncClient, path: str, upstream_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        body = poll_json(await http.get(path, params={"taskId": upstream_id}, headers=self._headers()))
        if body.get("code") != 200 or not isinstance(body.get("data"), dict):
            raise PollFailure(f"Avalanche status request failed: {body.get('msg')} (code {body.get('code')})")
        return body, body["data"]

    async def _poll_veo(self, http: httpx.AsyncClient, upstream_id: str, resolution: str) -> PollResult:
        body, data = await self._get_data(http, "/api/v1/veo/record-info", upstream_id)
        flag = data.get("successFlag")
        if flag in (2, 3, -1):
            error: dict[str, Any] = {"message": _text(data.get("errorMessage")) or FAILED}
            if data.get("errorCode") is not None:
                error = {"code": str(data["errorCode"]), **error}
            return PollResult("failed", 100, error=error, raw=body)
        if flag != 1:
            return PollResult("in_progress", 50, raw=body)
        if resolution in ("1080p", "4k"):
            url = await self._upgrade(http, upstream_id, resolution)
            if url is None:
                return PollResult("in_progress", UPGRADE_PROGRESS, raw=body)
            return PollResult("completed", 100, content_url=url, raw=body)
        return PollResult("completed", 100, content_url=_first(_dict(data.get("response")).get("resultUrls")), raw=body)

    async def _upgrade(self, http: httpx.AsyncClient, upstream_id: str, resolution: str) -> str | None:
        """The 1080p/4k URL, or None while the upgrade is pending (any code other than 200)."""
        if resolution == "1080p":
            response = await http.get(
                "/api/v1/veo/get-1080p-video", params={"taskId": upstream_id, "index": 0}, headers=self._headers()
            )
        else:
            response = await http.post(
                "/api/v1/veo/get-4k-video", json={"taskId": upstream_id, "index": 0}, headers=self._headers()
            )
        body = poll_json(response)
        data = _dict(body.get("data"))
        if body.get("code") != 200:
            return None
        return _text(data.get("resultUrl")) or _first(data.get("resultUrls"))

    async def _poll_sora(self, http: httpx.AsyncClient, upstream_id: str) -> PollResult:
        body, data = await self._get_data(http, "/api/v1/jobs/recordInfo", upstream_id)
        state = data.get("state")
        if state == "success":
            try:
                result = json.loads(data.get("resultJson") or "{}")
            except ValueError as exc:
                raise PollFailure(f"Avalanche Sora resultJson is not valid JSON: {exc}") from exc
            urls = result.get("resultUrls") if isinstance(result, dict) else None
            return PollResult("completed", 100, content_url=_first(urls), raw=body)
        if state == "fail":
            error: dict[str, Any] = {"message": _text(data.get("failMsg")) or SORA_FAILED}
            if _text(data.get("failCode")):
                error = {"code": str(data["failCode"]), **error}
            return PollResult("failed", 100, error=error, raw=body)
        if state in ("waiting", "queuing"):
            return PollResult("queued", 0, raw=body)
        return PollResult("in_progress", 50, raw=body)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _first(urls: Any) -> str | None:
    return _text(urls[0]) if isinstance(urls, list) and urls else None


def build_client(config: ServerConfig) -> AvalancheClient:
    return AvalancheClient()
