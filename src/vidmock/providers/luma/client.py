"""How a gateway would call Luma Dream Machine (providers.md §10; LLMGateway has no Luma integration,
gateway.md "Kling/Runway/Luma/fal", so this is the plain submit-and-poll a gateway would write).

Submit ``POST /dream-machine/v1/generations/video`` with ``{model, prompt, aspect_ratio, resolution,
duration, keyframes?}``: the size picks 9:16 or 16:9 and the resolution tag (480p → 540p, Luma's
lowest), the seconds pick ``5s`` or ``9s`` (the nearer of Luma's two). Keyframes are URLs only (Luma
fetches them), so a data: URL frame is refused before anything is sent. Poll
``GET /dream-machine/v1/generations/{id}``: ``dreaming`` is reported as ``in_progress`` (the gateway's
normaliser does not know Luma's word), ``assets.video`` is the content URL (no credential needed),
``failure_reason`` the error message. Paths carry ``/dream-machine/v1``: a real upstream in
``provider_urls["luma"]`` is given as its host (``https://api.lumalabs.ai``).
"""

from __future__ import annotations

from typing import Any

import httpx

from ...config import ServerConfig
from ...gateway.domain.request import ImageInput, is_portrait
from ...jsonutil import loads
from ..base import KeyedClient, PollResult, SubmitContext, SubmitResult, UpstreamError, poll_request

GENERATIONS = "/dream-machine/v1/generations"
TOKEN = "vidmock-luma-key"
FAILED = "Luma video generation failed"
RESOLUTIONS = {"480p": "540p", "720p": "720p", "1080p": "1080p", "4k": "4k"}
STATUS = {"queued": "queued", "dreaming": "in_progress", "completed": "completed", "failed": "failed"}


def error_message(response: httpx.Response) -> str:
    """Luma's ``detail``: a message, or FastAPI's validation list joined into one line."""
    try:
        body: Any = loads(response.content) if response.content else None
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail:
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = [str(p) for p in item.get("loc") or [] if p != "body"]
                parts.append(f"{'.'.join(loc)}: {item.get('msg')}" if loc else str(item.get("msg")))
        if parts:
            return "; ".join(parts)
    return f"Upstream provider error ({response.status_code})"


def _frame(image: ImageInput) -> dict[str, str]:
    if not image.url.startswith(("https://", "http://")):
        raise UpstreamError(400, "Luma takes keyframe images by URL only; a data: URL cannot be sent")
    return {"type": "image", "url": image.url}


class LumaClient(KeyedClient):
    provider = "luma"
    default_token = TOKEN

    def body(self, ctx: SubmitContext) -> dict[str, Any]:
        req = ctx.request
        body: dict[str, Any] = {
            "model": ctx.mapping.external_id,
            "prompt": req.prompt,
            "aspect_ratio": "9:16" if is_portrait(req.routing_size) else "16:9",
            "resolution": RESOLUTIONS.get(req.resolution, "720p"),
            "duration": "5s" if req.seconds <= 7 else "9s",
        }
        keyframes = {
            name: _frame(image)
            for name, image in (("frame0", req.image), ("frame1", req.last_frame))
            if image is not None
        }
        if keyframes:
            body["keyframes"] = keyframes
        return body

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        response = await http.post(f"{GENERATIONS}/video", json=self.body(ctx), headers=self._headers())
        if not response.is_success:
            raise UpstreamError(response.status_code, error_message(response))
        try:
            data: Any = loads(response.content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise UpstreamError(502, response.text or "Upstream provider returned an empty response")
        generation_id = data.get("id")
        if not isinstance(generation_id, str) or not generation_id:
            raise UpstreamError(502, "Luma generation response did not include an id")
        state = data.get("state")
        return SubmitResult(generation_id, STATUS.get(state, "queued") if isinstance(state, str) else "queued", 0, data)

    def content_path(self, upstream_id: str) -> str | None:
        return None  # the content is at assets.video

    def content_headers(self) -> dict[str, str]:
        return {}  # assets.video is a CDN URL: no credential

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        body = await poll_request(http, "GET", f"{GENERATIONS}/{upstream_id}", headers=self._headers())
        state = body.get("state")
        status = STATUS.get(state, "queued") if isinstance(state, str) else "queued"
        if status == "completed":
            assets = body.get("assets")
            video = assets.get("video") if isinstance(assets, dict) else None
            return PollResult(status, 100, content_url=video if isinstance(video, str) and video else None, raw=body)
        if status == "failed":
            reason = body.get("failure_reason")
            message = reason if isinstance(reason, str) and reason else FAILED
            return PollResult(status, 100, error={"message": message, "details": {"failure_reason": reason}}, raw=body)
        return PollResult(status, 0 if status == "queued" else None, raw=body)


def build_client(config: ServerConfig) -> LumaClient:
    return LumaClient()
