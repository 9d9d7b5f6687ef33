"""How the gateway calls Alibaba DashScope (gateway.md §5.3 "Alibaba", G1 ``createAlibabaVideoJob``,
W1 ``fetchAlibabaStatus``).

Submit ``{model, input: {prompt}, parameters: {size: "W*H", duration}}`` with
``X-DashScope-Async: enable``; the id is ``output.task_id``. The poll keeps ``output.task_status`` as
given (the gateway normalises PENDING/RUNNING/SUCCEEDED/FAILED/CANCELED; UNKNOWN falls back to
queued) and reads ``output.video_url``. A FAILED task's error is ``{code, message, details}`` from the
flat ``output.code`` / ``output.message`` (chosen: W1's normaliser is known only by its default text).
"""

from __future__ import annotations

from typing import Any

import httpx

from ...config import ServerConfig
from ..base import KeyedClient, PollResult, SubmitContext, SubmitResult, UpstreamError, poll_request, upstream_json

SYNTHESIS = "/api/v1/services/aigc/video-generation/video-synthesis"
TOKEN = "vidmock-dashscope-key"
FAILED = "Alibaba video generation failed"
PROGRESS = {"RUNNING": 50, "SUCCEEDED": 100, "FAILED": 100}  # chosen, as for ByteDance


class AlibabaClient(KeyedClient):
    provider = "alibaba"
    default_token = TOKEN

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req = ctx.request
        body = {
            "model": ctx.mapping.external_id,
            "input": {"prompt": req.prompt},
            "parameters": {"size": req.routing_size.replace("x", "*"), "duration": req.seconds},
        }
        response = await http.post(SYNTHESIS, json=body, headers={**self._headers(), "X-DashScope-Async": "enable"})
        data = upstream_json(response)
        output = _object(data.get("output"))
        task_id = output.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            message, code = _text(data.get("message")), _text(data.get("code"))
            raise UpstreamError(502, f"Alibaba video API error: {message} (code {code})")
        return SubmitResult(task_id, "queued", 0, data)

    def content_path(self, upstream_id: str) -> str | None:
        return None  # the video is at output.video_url

    def content_headers(self) -> dict[str, str]:
        return {}  # output.video_url is a signed object URL: no credential

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        body = await poll_request(http, "GET", f"/api/v1/tasks/{upstream_id}", headers=self._headers())
        output = _object(body.get("output"))
        raw_status, raw_url = output.get("task_status"), output.get("video_url")
        status = raw_status if isinstance(raw_status, str) else ""
        url = raw_url if isinstance(raw_url, str) and raw_url else None
        error = None
        if status.upper() == "FAILED":
            details = {k: output[k] for k in ("code", "message") if isinstance(output.get(k), str)}
            error = {"code": details.get("code"), "message": details.get("message") or FAILED, "details": details}
        return PollResult(status, PROGRESS.get(status.upper()), error=error, content_url=url, raw=body)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """How a JavaScript template literal prints a missing field."""
    return str(value) if value is not None else "undefined"


def build_client(config: ServerConfig) -> AlibabaClient:
    return AlibabaClient()
