"""How a gateway calls fal's queue (providers.md §11): submit, then poll status and fetch the result.

LLMGateway has no fal client in the reference, so this is the straightforward one the queue API
implies (chosen throughout):

- submit ``POST /{model_id}`` with the model's own input: ``prompt``, ``duration`` as the endpoint's
  enum string (``"5"``, ``"8s"``), ``aspect_ratio`` and ``resolution`` from the size, ``generate_audio``
  where the endpoint has it, and the first frame as a data URI in ``image_url``;
- poll ``GET /{owner}/{app}/requests/{id}/status`` (the model id's path is not part of it);
  ``IN_QUEUE`` → ``queued``, ``IN_PROGRESS`` → ``in_progress``; ``COMPLETED`` with ``error`` → ``failed``
  (``canceled`` for a cancelled request), else ``GET`` the result once and take ``video.url``.

fal errors are ``{"detail": …}``; a string detail (or the first pydantic message) becomes the
UpstreamError message.
"""

from __future__ import annotations

from math import gcd
from typing import Any

import httpx

from ...config import ServerConfig
from ...jsonutil import loads
from ..base import KeyedClient, PollResult, SubmitContext, SubmitResult, UpstreamError, poll_request
from .models import ENDPOINTS, split_model_id

TOKEN = "vidmock-fal-key:vidmock-fal-secret"


def detail_message(body: Any, status: int) -> str:
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail and isinstance(detail[0], dict) and isinstance(detail[0].get("msg"), str):
        loc = ".".join(str(p) for p in detail[0].get("loc") or [])
        return f"{loc}: {detail[0]['msg']}" if loc else str(detail[0]["msg"])
    return f"Upstream provider error ({status})"


def _aspect(size: str, allowed: tuple[str, ...]) -> str:
    w, h = (int(x) for x in size.lower().split("x"))
    d = gcd(w, h)
    exact = f"{w // d}:{h // d}"
    if not allowed or exact in allowed:
        return exact
    # Nearest allowed ratio (1366x768 is not exactly 16:9).
    return min(allowed, key=lambda a: abs(int(a.split(":")[0]) / int(a.split(":")[1]) - w / h))


def build_input(model_id: str, ctx: SubmitContext) -> dict[str, Any]:
    req = ctx.request
    spec = ENDPOINTS.get(model_id)
    body: dict[str, Any] = {"prompt": req.prompt}
    if spec is None:
        body["duration"] = str(req.seconds)
        body["aspect_ratio"] = _aspect(req.routing_size, ())
    else:
        body["duration"] = f"{req.seconds}s" if spec.default_duration.endswith("s") else str(req.seconds)
        body["aspect_ratio"] = _aspect(req.routing_size, spec.aspect_ratios)
        short = min(int(x) for x in req.routing_size.lower().split("x"))
        if len(spec.resolutions) > 1 and f"{short}p" in spec.resolutions:
            body["resolution"] = f"{short}p"
        if spec.audio is not None:
            body["generate_audio"] = req.audio
    if ctx.first_frame is not None:
        body["image_url"] = f"data:{ctx.first_frame.mime_type};base64,{ctx.first_frame.base64}"
    return body


class FalClient(KeyedClient):
    provider = "fal"
    default_token = TOKEN
    auth_scheme = "Key"

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        model_id = ctx.mapping.external_id.strip("/")
        response = await http.post(f"/{model_id}", json=build_input(model_id, ctx), headers=self._headers())
        try:
            data: Any = loads(response.content) if response.content else {}
        except ValueError:
            data = None
        if not response.is_success:
            raise UpstreamError(response.status_code, detail_message(data, response.status_code))
        request_id = data.get("request_id") if isinstance(data, dict) else None
        if not isinstance(request_id, str) or not request_id:
            raise UpstreamError(502, "fal queue response did not include a request_id")
        return SubmitResult(request_id, "queued", 0, data)

    def content_path(self, upstream_id: str) -> str | None:
        return None  # the result carries a file URL

    def content_headers(self) -> dict[str, str]:
        return self._headers()

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        ids = split_model_id(str(job.get("external_id") or ""))
        owner, app = ids[:2] if ids is not None else ("fal-ai", "unknown")
        root = f"/{owner}/{app}/requests/{upstream_id}"
        body = await poll_request(http, "GET", f"{root}/status", headers=self._headers())
        status = body.get("status")
        if status == "IN_QUEUE":
            return PollResult("queued", 0, raw=body)
        if status == "IN_PROGRESS":
            return PollResult("in_progress", None, raw=body)
        if status != "COMPLETED":
            return PollResult(status if isinstance(status, str) else "queued", None, raw=body)
        error = body.get("error")
        if error:
            kind = body.get("error_type")
            return PollResult(
                "canceled" if kind == "request_cancelled" else "failed",
                error={"code": kind if isinstance(kind, str) else None, "message": str(error), "details": body},
                raw=body,
            )
        result = await poll_request(http, "GET", root, headers=self._headers())
        video = result.get("video")
        url = video.get("url") if isinstance(video, dict) else None
        if not isinstance(url, str) or not url:
            return PollResult(
                "failed",
                error={"code": None, "message": "fal result did not include a video URL", "details": result},
                raw=result,
            )
        return PollResult("completed", 100, content_url=url, raw={**body, "result": result})


def build_client(config: ServerConfig) -> FalClient:
    return FalClient()
