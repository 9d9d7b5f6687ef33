"""How the gateway calls MiniMax (gateway.md §5.3, G1 ``createMinimaxVideoJob`` /
``createMinimaxV2VideoJob``, W1 ``fetchMinimaxStatus``; providers.md §6.6).

- v1 (Hailuo): ``POST /v1/video_generation`` ``{model, prompt, duration, resolution, first_frame_image?}``;
  ``1080P`` for 1080p and 4k sizes (duration capped at 6), else ``768P``.
- v2 (``MiniMax-H3-Max``): ``POST /v2/video_generation`` with ``content[]`` items, ``480P``/``768P``,
  and ``ratio`` ``adaptive`` with frames, else ``9:16``/``16:9``.
- A non-zero ``base_resp.status_code`` at submit is a 502 "MiniMax video API error: <msg> (code <n>)".
- v1 polls ``/v1/query/video_generation?task_id=``: ``Success`` → completed, ``Fail``/``Failed`` →
  failed, anything else → in_progress. v2 polls per ``MinimaxOptions.v2_poll`` (the gateway's v2
  contract is unknown, gateway.md §8): MiniMax's v2 query by default, whose generic statuses the
  gateway's table normalises and whose ``content.url`` becomes the content URL.
- Content of v1 jobs is streamed by the gateway from the provider (§1.5) through ``content_path``.
"""

from __future__ import annotations

from typing import Any

import httpx

from ...config import ServerConfig
from ...gateway.domain.request import is_portrait
from ..base import KeyedClient, PollResult, SubmitContext, SubmitResult, UpstreamError, poll_request, upstream_json
from .models import MinimaxOptions

TOKEN = "vidmock-minimax-key"
FAILED = "MiniMax video generation failed"
NO_ID = "MiniMax video response did not include a task id"
ID_FIELDS = ("name", "id", "request_id", "video_id", "task_id", "job_id", "taskId")


def is_v2(external_id: str) -> bool:
    """VGC ``isMinimaxV2VideoModel``: the H3 family goes to the v2 API."""
    return external_id.startswith("MiniMax-H3")


def _data_url(mime: str, data: str) -> str:
    return f"data:{mime};base64,{data}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _first_id(body: dict[str, Any]) -> str | None:
    data = _dict(body.get("data"))
    candidates = [body.get(k) for k in ID_FIELDS] + [data.get("taskId"), data.get("task_id"), data.get("id")]
    return next((c for c in candidates if isinstance(c, str) and c), None)


class MinimaxClient(KeyedClient):
    provider = "minimax"
    default_token = TOKEN

    def __init__(self, options: MinimaxOptions | None = None, token: str = TOKEN) -> None:
        super().__init__(token)
        self.options = options or MinimaxOptions()

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req = ctx.request
        if is_v2(ctx.mapping.external_id):
            content: list[dict[str, Any]] = [{"type": "text", "text": req.prompt}]
            for image, role in ((ctx.first_frame, "first_frame"), (ctx.last_frame, "last_frame")):
                if image is not None:
                    content.append(
                        {
                            "type": "image_url",
                            "image_url": {"url": _data_url(image.mime_type, image.base64)},
                            "role": role,
                        }
                    )
            frames = ctx.first_frame is not None or ctx.last_frame is not None
            body: dict[str, Any] = {
                "model": ctx.mapping.external_id,
                "content": content,
                "resolution": "480P" if req.resolution == "480p" else "768P",
                "duration": req.seconds,
                "ratio": "adaptive" if frames else ("9:16" if is_portrait(req.routing_size) else "16:9"),
            }
            path = "/v2/video_generation"
        else:
            resolution = "1080P" if req.resolution in ("1080p", "4k") else "768P"
            body = {
                "model": ctx.mapping.external_id,
                "prompt": req.prompt,
                "duration": min(req.seconds, 6) if resolution == "1080P" else req.seconds,
                "resolution": resolution,
            }
            if ctx.first_frame is not None:
                body["first_frame_image"] = _data_url(ctx.first_frame.mime_type, ctx.first_frame.base64)
            path = "/v1/video_generation"
        response = await http.post(path, json=body, headers={**self._headers(), "x-request-id": ctx.request_id})
        data = upstream_json(response)
        base = data.get("base_resp")
        code = base.get("status_code") if isinstance(base, dict) else None
        if isinstance(code, (int, float)) and not isinstance(code, bool) and code != 0:
            message = base.get("status_msg") if isinstance(base, dict) else None
            raise UpstreamError(502, f"MiniMax video API error: {message} (code {int(code)})")
        task_id = _first_id(data)
        if task_id is None:
            raise UpstreamError(502, NO_ID)
        return SubmitResult(task_id, "queued", 0, data)

    def content_path(self, upstream_id: str) -> str | None:
        # vidmock's one-step content route (see the emulator's docstring): the real lookup is
        # /v1/files/retrieve?file_id= → file.download_url, which this synchronous hook cannot do.
        return f"/_vidmock/content/{upstream_id}"

    def content_headers(self) -> dict[str, str]:
        return self._headers()

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        v2_route = is_v2(str(job.get("external_id") or "")) and self.options.v2_poll == "v2"
        if v2_route:
            body = await poll_request(http, "GET", f"/v2/query/video_generation/{upstream_id}", headers=self._headers())
        else:
            body = await poll_request(
                http, "GET", "/v1/query/video_generation", params={"task_id": upstream_id}, headers=self._headers()
            )
        return _v2_result(body) if v2_route else _v1_result(body)


def _v1_result(body: dict[str, Any]) -> PollResult:
    status = _str(body.get("status"))
    if status == "Success":
        return PollResult("completed", 100, raw=body)  # file_id stays in raw; content is streamed
    if status in ("Fail", "Failed"):
        base = _dict(body.get("base_resp"))
        code, message = base.get("status_code"), base.get("status_msg")
        error: dict[str, Any] = {"message": message if isinstance(message, str) and message and code != 0 else FAILED}
        if isinstance(code, int) and code != 0:
            error = {"code": str(code), **error, "details": base}
        return PollResult("failed", 100, error=error, raw=body)
    return PollResult("in_progress", None, raw=body)


def _v2_result(body: dict[str, Any]) -> PollResult:
    task = _dict(body["task"]) if isinstance(body.get("task"), dict) else body
    status = _str(task.get("status"))
    url = _str(_dict(task.get("content")).get("url")) or None
    if status.lower() in ("failed", "cancelled", "canceled", "expired"):
        raw_error = _dict(task.get("error"))
        message = raw_error.get("message")
        error: dict[str, Any] = {"message": message if isinstance(message, str) and message else FAILED}
        if isinstance(raw_error.get("code"), str):
            error = {"code": raw_error["code"], **error, "details": raw_error}
        return PollResult(status, 100, error=error, raw=body)
    return PollResult(status, 100 if status.lower() == "succeeded" else None, content_url=url, raw=body)


def build_client(config: ServerConfig, options: MinimaxOptions | None = None) -> MinimaxClient:
    return MinimaxClient(options)
