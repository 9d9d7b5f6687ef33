"""How the gateway calls Vertex (gateway.md §5.3, G1 ``createGoogleVertexVideoJob``, W1 poll)."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from ...config import ServerConfig
from ...gateway.domain.request import is_portrait
from ..base import (
    PollFailure,
    PollResult,
    SubmitContext,
    SubmitResult,
    UpstreamError,
    pending_or_failed_operation,
    poll_request,
    upstream_json,
)

PROJECT = "vidmock-project"
REGION = "us-central1"
TOKEN = "vidmock-vertex-key"


class VertexClient:
    provider = "google-vertex"

    def __init__(
        self, project: str = PROJECT, region: str = REGION, token: str = TOKEN, storage_uri: str | None = None
    ) -> None:
        self.project, self.region, self.token = project, region, token
        self.storage_uri = storage_uri  # the output bucket: videos are written there, not returned inline
        # Parsing URLs was a third of a poll's cost in httpx; an operation is polled every 5 s, so
        # the absolute URL per (base, model, action) is built once.
        self._urls: dict[tuple[str, str, str], httpx.URL] = {}

    def _url(self, http: httpx.AsyncClient, model: str, action: str) -> httpx.URL:
        key = (str(http.base_url), model, action)
        url = self._urls.get(key)
        if url is None:
            # Appended, not joined: a base URL may carry a path (`…/providers/google-vertex`).
            base = str(http.base_url).rstrip("/")
            url = httpx.URL(f"{base}{self._model_path(model)}:{action}", params={"key": self.token})
            self._urls[key] = url
        return url

    def _model_path(self, model: str) -> str:
        return f"/v1/projects/{self.project}/locations/{self.region}/publishers/google/models/{model}"

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult:
        req = ctx.request
        instance: dict[str, Any] = {"prompt": req.prompt}
        if ctx.first_frame:
            instance["image"] = {"bytesBase64Encoded": ctx.first_frame.base64, "mimeType": ctx.first_frame.mime_type}
        if ctx.last_frame:
            instance["lastFrame"] = {"bytesBase64Encoded": ctx.last_frame.base64, "mimeType": ctx.last_frame.mime_type}
        if ctx.references:
            instance["referenceImages"] = [
                {"image": {"bytesBase64Encoded": r.base64, "mimeType": r.mime_type}, "referenceType": "asset"}
                for r in ctx.references
            ]
        resolution = req.resolution if req.resolution in ("1080p", "4k") else "720p"
        body: dict[str, Any] = {
            "instances": [instance],
            "parameters": {
                "aspectRatio": "9:16" if is_portrait(req.routing_size) else "16:9",
                "durationSeconds": req.seconds,
                "generateAudio": req.audio,
                "resolution": resolution,
                "sampleCount": 1,
            },
        }
        if self.storage_uri:
            body["parameters"]["storageUri"] = self.storage_uri
        response = await http.post(
            self._url(http, ctx.mapping.external_id, "predictLongRunning"),
            json=body,
            headers={"x-request-id": ctx.request_id},
        )
        data = upstream_json(response)
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise UpstreamError(502, "Google Vertex video response did not include an operation name")
        return SubmitResult(name, "completed" if data.get("done") is True else "queued", 0, data)

    def content_path(self, upstream_id: str) -> str | None:
        return None  # Vertex content is inline bytes or a gs:// object

    def content_headers(self) -> dict[str, str]:
        return {}

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult:
        model = upstream_id.split("/models/", 1)[-1].split("/", 1)[0]
        op = await poll_request(
            http, "POST", self._url(http, model, "fetchPredictOperation"), json={"operationName": upstream_id}
        )
        unfinished = pending_or_failed_operation(op, "Google Vertex video generation failed")
        if unfinished is not None:
            return unfinished
        videos = (op.get("response") or {}).get("videos") or []
        first = videos[0] if videos and isinstance(videos[0], dict) else {}
        inline = None
        if isinstance(first.get("bytesBase64Encoded"), str):
            try:
                inline = base64.b64decode(first["bytesBase64Encoded"])
            except ValueError as exc:
                raise PollFailure(f"Google Vertex returned invalid base64 video bytes: {exc}") from exc
        return PollResult(
            "completed",
            100,
            storage_uri=first.get("gcsUri"),
            inline=inline,
            content_type=first.get("mimeType"),
            raw=_without_bytes(op),
        )


def _without_bytes(op: dict[str, Any]) -> dict[str, Any]:
    """The operation without megabytes of base64, for what the gateway keeps on the job."""
    response = dict(op.get("response") or {})
    response["videos"] = [
        {k: v for k, v in video.items() if k != "bytesBase64Encoded"}
        for video in response.get("videos") or []
        if isinstance(video, dict)
    ]
    return {**op, "response": response}


def build_client(config: ServerConfig) -> VertexClient:
    # With an output bucket the runtime's project (GOOGLE_CLOUD_PROJECT), else the credential's.
    if config.vertex_output_bucket:
        return VertexClient(project=config.google_cloud_project, storage_uri=config.vertex_output_bucket)
    return VertexClient()
