"""How a gateway calls Runway: submit a task, then poll ``GET /v1/tasks/{id}``.

LLMGateway has no Runway integration (gateway.md §8), so this follows LiteLLM's mapping of the
OpenAI-style request onto Runway (providers.md §12): ``size "WxH"`` → ``ratio "W:H"``, ``seconds`` →
``duration``, an input image → ``promptImage`` (on ``/v1/image_to_video``; with a last frame, the
``[{uri, position}]`` array), and audio → ``audio`` for the Veo models that take it. Every call sends
``X-Runway-Version``. Status strings go to the gateway as given (``PENDING``, ``THROTTLED`` and
unknown strings normalise to queued, ``RUNNING`` to in_progress, ``SUCCEEDED`` to completed,
``FAILED`` to failed, ``CANCELLED`` to canceled); ``progress`` (0..1) becomes a percentage; the
content is ``output[0]``, a CDN URL fetched without credentials (so no ``content_path``).
"""

from __future__ import annotations

from typing import Any

import httpx

from ...config import ServerConfig
from ...jsonutil import loads
from ..base import KeyedClient, PollResult, SubmitContext, SubmitResult, UpstreamError, poll_request
from .models import VERSION, RunwayOptions

TOKEN = "key_" + "0" * 128  # the shape of a Runway key: key_ and 128 hex digits
FAILED = "Runway video generation failed"
CANCELLED = "Runway task was cancelled"
AUDIO_FIELD = ("veo3.1", "veo3.1_fast", "seedance2", "seedance2_fast", "seedance2_mini")


def upstream_error(response: httpx.Response) -> UpstreamError:
    """A non-2xx create: Runway's ``error`` text, with each validation issue's path and message."""
    try:
        body: Any = loads(response.content)
    except (ValueError, RecursionError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, str) or not error:
        return UpstreamError(response.status_code, response.text or f"Upstream provider error ({response.status_code})")
    issues = body.get("issues") if isinstance(body.get("issues"), list) else []
    details = [
        f"{'.'.join(str(p) for p in issue.get('path') or []) or '(body)'}: {issue.get('message')}"
        for issue in issues
        if isinstance(issue, dict)
    ]
    return UpstreamError(response.status_code, f"{error}: {'; '.join(details)}" if details else error)


class RunwayClient(KeyedClient):
    provider = "runway"
    default_token = TOKEN

    def __init__(self, token: str = TOKEN, version: str = VERSION) -> None:
        super().__init__(token)
        self.version = version

    def _headers(self) -> dict[str, str]:
        return {**super()._headers(), "X-Runway-Version": self.version}

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req, model = ctx.request, ctx.mapping.external_id
        body: dict[str, Any] = {
            "model": model,
            "promptText": req.prompt,
            "ratio": req.routing_size.replace("x", ":"),
            "duration": req.seconds,
        }
        endpoint = "/v1/text_to_video"
        if ctx.first_frame is not None:
            endpoint = "/v1/image_to_video"
            first = f"data:{ctx.first_frame.mime_type};base64,{ctx.first_frame.base64}"
            body["promptImage"] = first
            if ctx.last_frame is not None:
                last = f"data:{ctx.last_frame.mime_type};base64,{ctx.last_frame.base64}"
                body["promptImage"] = [{"uri": first, "position": "first"}, {"uri": last, "position": "last"}]
        if model in AUDIO_FIELD:
            body["audio"] = req.audio
        response = await http.post(endpoint, json=body, headers=self._headers())
        if not response.is_success:
            raise upstream_error(response)
        try:
            data = loads(response.content)
        except (ValueError, RecursionError):
            data = None
        task_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(task_id, str) or not task_id:
            raise UpstreamError(502, "Runway video response did not include a task id")
        return SubmitResult(task_id, "PENDING", 0, data)

    def content_path(self, upstream_id: str) -> str | None:
        return None  # the content is output[0]

    def content_headers(self) -> dict[str, str]:
        return {}  # output URLs carry their own signature (_jwt)

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        body = await poll_request(http, "GET", f"/v1/tasks/{upstream_id}", headers=self._headers())
        raw_status = body.get("status")
        status = raw_status if isinstance(raw_status, str) else "PENDING"
        if status == "RUNNING":
            raw = body.get("progress")
            fraction = raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else 0.0
            return PollResult(status, max(0, min(99, int(fraction * 100))), raw=body)
        if status == "SUCCEEDED":
            output = body.get("output")
            url = output[0] if isinstance(output, list) and output and isinstance(output[0], str) else None
            return PollResult(status, 100, content_url=url, raw=body)
        if status == "FAILED":
            message = body.get("failure") if isinstance(body.get("failure"), str) and body["failure"] else FAILED
            code = body.get("failureCode") if isinstance(body.get("failureCode"), str) else None
            return PollResult(status, 100, error={"code": code, "message": message, "details": body}, raw=body)
        if status == "CANCELLED":
            return PollResult(status, 100, error={"code": "cancelled", "message": CANCELLED, "details": body}, raw=body)
        return PollResult(status, 0, raw=body)


def build_client(config: ServerConfig, options: RunwayOptions | None = None) -> RunwayClient:
    opts = options or RunwayOptions()
    return RunwayClient(
        token=opts.api_keys[0] if opts.api_keys else TOKEN, version=opts.versions[0] if opts.versions else VERSION
    )
