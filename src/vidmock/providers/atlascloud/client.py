"""How the gateway calls KLING v3.0 on AtlasCloud (gateway.md §5.3, G1 ``createAtlasCloudVideoJob``,
W1 ``fetchAtlasCloudStatus``; providers.md §5.7).

The upstream model is computed, not the mapping's ``externalId``: ``kwaivgi/kling-v3.0-4k/<task>``
for 4k sizes, else ``-turbo`` or ``-std``; ``<task>`` is ``image-to-video`` with frames. Frames that
are not https URLs (data URLs, and http URLs, which the gateway has fetched) are uploaded first and
the first http(s) URL in the upload reply is used.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from ...config import ServerConfig
from ...gateway.domain.request import ImageInput, is_portrait
from ..base import (
    KeyedClient,
    PollResult,
    PreparedImage,
    SubmitContext,
    SubmitResult,
    UpstreamError,
    poll_request,
    upstream_json,
)

GENERATE = "/api/v1/model/generateVideo"
UPLOAD = "/api/v1/model/uploadMedia"
PREDICTION = "/api/v1/model/prediction"
TOKEN = "vidmock-atlascloud-key"
FAILED = "AtlasCloud video generation failed"
NO_ID = "AtlasCloud video response did not include a prediction id"
NO_UPLOAD_URL = "AtlasCloud media upload did not return a usable URL"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg", "image/webp": "webp", "image/gif": "gif"}
# The gateway's generic id lookup, in its order (gateway.md §5.3).
ID_FIELDS = ("name", "id", "request_id", "video_id", "task_id", "job_id", "taskId")


def upstream_model(external_id: str, resolution: str, frames: bool) -> str:
    tier = "4k" if resolution == "4k" else ("turbo" if external_id.endswith("-turbo") else "std")
    return f"kwaivgi/kling-v3.0-{tier}/{'image-to-video' if frames else 'text-to-video'}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def first_id(body: dict[str, Any]) -> str | None:
    data = _dict(body.get("data"))
    candidates = [body.get(k) for k in ID_FIELDS] + [data.get("taskId"), data.get("task_id"), data.get("id")]
    return next((c for c in candidates if isinstance(c, str) and c), None)


def first_url(value: Any) -> str | None:
    """The first http(s) URL anywhere in a JSON value, depth first in document order."""
    if isinstance(value, str):
        return value if value.startswith(("http://", "https://")) else None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        found = first_url(item)
        if found:
            return found
    return None


class AtlasCloudClient(KeyedClient):
    provider = "atlascloud"
    default_token = TOKEN

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req = ctx.request
        frames = req.input_mode == "frames"
        body: dict[str, Any] = {
            "model": upstream_model(ctx.mapping.external_id, req.resolution, frames),
            "prompt": req.prompt,
            "duration": req.seconds,
            "aspect_ratio": "9:16" if is_portrait(req.routing_size) else "16:9",
        }
        if not ctx.mapping.external_id.endswith("-turbo"):
            body["sound"] = req.audio  # turbo always renders sound; the gateway never sends it (§5.4)
        if req.image is not None and ctx.first_frame is not None:
            body["image"] = await self._image_url(http, req.image, ctx.first_frame)
        if req.last_frame is not None and ctx.last_frame is not None:
            body["end_image"] = await self._image_url(http, req.last_frame, ctx.last_frame)
        if ctx.references:
            body["reference_image_urls"] = [
                await self._image_url(http, original, prepared)
                for original, prepared in zip(req.reference_images, ctx.references, strict=False)
            ]
        if req.reference_videos:
            body["reference_video_urls"] = list(req.reference_videos)
        response = await http.post(GENERATE, json=body, headers={**self._headers(), "x-request-id": ctx.request_id})
        data = upstream_json(response)
        prediction_id = first_id(data)
        if prediction_id is None:
            raise UpstreamError(502, NO_ID)
        return SubmitResult(prediction_id, "queued", 0, data)  # the gateway forces queued at submit

    async def _image_url(self, http: httpx.AsyncClient, original: ImageInput, prepared: PreparedImage) -> str:
        if original.url.startswith("https://"):
            return original.url
        ext = EXTENSIONS.get(prepared.mime_type.lower(), "png")
        files = {"file": (f"input.{ext}", base64.b64decode(prepared.base64), prepared.mime_type)}
        response = await http.post(UPLOAD, files=files, headers=self._headers())
        url = first_url(upstream_json(response))
        if url is None:
            raise UpstreamError(502, NO_UPLOAD_URL)
        return url

    def content_path(self, upstream_id: str) -> str | None:
        return None  # the video is the first of data.outputs[], a plain URL

    def content_headers(self) -> dict[str, str]:
        return {}

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        body = await poll_request(http, "GET", f"{PREDICTION}/{upstream_id}", headers=self._headers())
        data = _dict(body["data"]) if isinstance(body.get("data"), dict) else body
        raw_status = data.get("status")
        status = raw_status if isinstance(raw_status, str) else ""
        outputs = data.get("outputs") if isinstance(data.get("outputs"), list) else []
        first = outputs[0] if outputs else None
        url = first if isinstance(first, str) else first.get("url") if isinstance(first, dict) else None
        url = url if isinstance(url, str) and url else None
        lowered = status.lower()
        if lowered in ("failed", "error"):
            message = data.get("error") if isinstance(data.get("error"), str) and data.get("error") else FAILED
            return PollResult(status, 100, error={"message": message}, raw=body)
        if lowered in ("completed", "succeeded", "success", "done"):
            return PollResult(status, 100, content_url=url, raw=body)
        return PollResult(status, None, content_url=url, raw=body)


def build_client(config: ServerConfig) -> AtlasCloudClient:
    return AtlasCloudClient()
