"""How a gateway would call Kling directly (providers.md §5): submit, then poll the task.

LLMGateway itself reaches Kling only through AtlasCloud (§5.7), so nothing here is its code; this
client is written the way a gateway would use the documented API, and chosen where it must choose:

* Submit: ``image2video`` when a first or last frame is given (``image`` / ``image_tail``: raw base64
  without a ``data:`` prefix, or the caller's own http(s) URL, which Kling fetches), else
  ``text2video`` with ``aspect_ratio`` 16:9, 9:16 or 1:1 from the size. ``model_name`` is the mapping's
  external id, ``duration`` the seconds **as a string**, ``mode`` ``pro`` for 1080p and above, else
  ``std``; ``sound`` ("on"/"off" from the audio flag) only on the models that take it. Reference
  inputs have no place on these endpoints: refused with 400 before any call.
* The upstream id is ``data.task_id``; the poll path needs the task type, read back from the job's
  ``image_count`` (frames ⇒ image2video).
* Poll: ``submitted`` → queued, ``processing`` → in_progress, ``succeed`` → completed with the first
  ``task_result.videos[].url`` (expiring 30 days after ``updated_at``), ``failed`` → failed with
  ``task_status_msg``.
* Auth: a fresh JWT per request from the AccessKey/SecretKey pair. The token's times are the server's:
  the client keeps the offset between its own clock and the ``Date`` of the last answer, and when a
  token is refused as not yet valid or expired (1003/1004) it re-signs with the corrected time and
  retries once (as SDKs do for clock skew). Against the emulator on a virtual clock this is what makes
  wall-clock tokens work; against the real API the offset stays near zero.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from ...config import ServerConfig
from ...gateway.domain.request import ImageInput
from ...jsonutil import loads
from ..base import PollFailure, PollResult, PreparedImage, SubmitContext, SubmitResult, UpstreamError, poll_json
from . import auth
from .models import DEV_ACCESS_KEY, DEV_SECRET_KEY, MEDIA_TTL, MODELS, KlingOptions

FAILED = "Kling video generation failed"
NO_ID = "Kling video response did not include a task id"
SKEW_CODES = (1003, 1004)


class KlingClient:
    provider = "kling"

    def __init__(
        self, access_key: str = DEV_ACCESS_KEY, secret_key: str = DEV_SECRET_KEY, now: Callable[[], float] = time.time
    ) -> None:
        # Wall time is right here: this is the caller's side, which signs with its own clock; the
        # offset learned from the server's Date header aligns it with the emulator's clock.
        self.access_key, self.secret_key, self.now = access_key, secret_key, now
        self.offset = 0.0

    def token(self) -> str:
        return auth.encode(self.access_key, self.secret_key, self.now() + self.offset)

    def _learn(self, response: httpx.Response) -> None:
        # Behind a server that adds its own Date, the emulator's comes last.
        for value in reversed(response.headers.get_list("date")):
            try:
                self.offset = parsedate_to_datetime(value).timestamp() - self.now()
                return
            except (TypeError, ValueError, IndexError):
                continue

    async def _send(self, http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in (1, 2):
            response = await http.request(method, path, headers={"Authorization": f"Bearer {self.token()}"}, **kwargs)
            self._learn(response)
            if attempt == 1 and response.status_code == 401 and _code(response) in SKEW_CODES:
                continue
            return response
        raise AssertionError("unreachable")

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req = ctx.request
        if ctx.references or req.reference_videos or req.reference_audios:
            raise UpstreamError(400, "reference inputs are unsupported on Kling video models")
        model = ctx.mapping.external_id
        body: dict[str, Any] = {
            "model_name": model,
            "prompt": req.prompt,
            "duration": str(req.seconds),
            "mode": "pro" if req.resolution in ("1080p", "4k") else "std",
        }
        if ctx.first_frame is None and ctx.last_frame is None:
            kind = "text2video"
            body["aspect_ratio"] = _aspect(req.routing_size)
        else:
            kind = "image2video"
            if ctx.first_frame is not None:
                body["image"] = _image(req.image, ctx.first_frame)
            if ctx.last_frame is not None:
                body["image_tail"] = _image(req.last_frame, ctx.last_frame)
        spec = MODELS.get(model)
        if spec is not None and spec.sound:
            body["sound"] = "on" if req.audio else "off"
        try:
            response = await self._send(http, "POST", f"/v1/videos/{kind}", json=body)
        except httpx.HTTPError as exc:
            raise UpstreamError(502, str(exc) or type(exc).__name__) from exc
        envelope = _envelope(response)
        data = _dict(envelope.get("data"))
        task_id = data.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise UpstreamError(502, NO_ID)
        status = data.get("task_status")
        return SubmitResult(task_id, status if isinstance(status, str) and status else "submitted", 0, envelope)

    def content_path(self, upstream_id: str) -> str | None:
        return None  # the content is task_result.videos[].url

    def content_headers(self) -> dict[str, str]:
        return {}  # video URLs are CDN URLs: no credential

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        kind = "image2video" if int(job.get("image_count") or 0) > 0 else "text2video"
        try:
            response = await self._send(http, "GET", f"/v1/videos/{kind}/{quote(upstream_id, safe='')}")
        except httpx.HTTPError as exc:
            raise PollFailure(str(exc) or type(exc).__name__) from exc
        body = poll_json(response)
        code = body.get("code")
        if code not in (0, None):
            raise PollFailure(f"Kling status request failed: {body.get('message')} (code {code})")
        data = _dict(body.get("data"))
        status = data.get("task_status")
        if status == "succeed":
            updated = data.get("updated_at")
            done = updated / 1000 if isinstance(updated, (int, float)) and not isinstance(updated, bool) else None
            return PollResult(
                "completed",
                100,
                content_url=_video_url(data),
                completed_at=done,
                expires_at=done + MEDIA_TTL if done is not None else None,
                raw=body,
            )
        if status == "failed":
            message = data.get("task_status_msg")
            error = {"message": message if isinstance(message, str) and message else FAILED, "details": data}
            return PollResult("failed", None, error=error, raw=body)
        if status == "processing":
            return PollResult("in_progress", None, raw=body)
        return PollResult("queued", 0, raw=body)  # submitted, or anything unknown


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _code(response: httpx.Response) -> Any:
    try:
        body = loads(response.content)
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _envelope(response: httpx.Response) -> dict[str, Any]:
    """A create answer's body, or UpstreamError: the HTTP status with Kling's message on a non-2xx,
    502 for a 2xx that is not JSON or carries a non-zero code."""
    try:
        body: Any = loads(response.content) if response.content else None
    except (ValueError, RecursionError):
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    code = body.get("code") if isinstance(body, dict) else None
    if not response.is_success:
        text = (
            f"Kling video API error: {message} (code {code})"
            if isinstance(message, str) and message
            else f"Upstream provider error ({response.status_code})"
        )
        raise UpstreamError(response.status_code, text)
    if not isinstance(body, dict):
        raise UpstreamError(502, response.text or "Upstream provider returned an empty response")
    if code != 0:
        raise UpstreamError(502, f"Kling video API error: {message} (code {code})")
    return body


def _video_url(data: dict[str, Any]) -> str | None:
    result = data.get("task_result")
    videos = result.get("videos") if isinstance(result, dict) else None
    for video in videos if isinstance(videos, list) else []:
        if isinstance(video, dict) and isinstance(video.get("url"), str) and video["url"]:
            return str(video["url"])
    return None


def _aspect(size: str) -> str:
    w, h = (int(x) for x in size.lower().split("x"))
    return "9:16" if h > w else "1:1" if h == w else "16:9"


def _image(given: ImageInput | None, prepared: PreparedImage) -> str:
    """A URL the caller gave is passed on (Kling fetches URLs); anything else is raw base64."""
    if prepared.source == "placeholder" and given is not None and given.url.startswith(("http://", "https://")):
        return given.url
    return prepared.base64


def build_client(config: ServerConfig, options: KlingOptions | None = None) -> KlingClient:
    access_key, secret_key = (options or KlingOptions()).keys[0]
    return KlingClient(access_key, secret_key)
