"""Broken gateways for the checks that had none: one realistic defect each, so that every check of
`vidmock check` is proven by at least one gateway it catches (issue 15, item 8).

Same kinds as ``defects``: request-side (``BEFORE``), response-side (``MIDDLEWARE``) and runtime patches
(``PATCHES``). Webhook payload defects go through ``ResignTransport``: the body is changed and re-signed
with the job's own secret, so the signature stays valid and only the payload check can see the defect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from vidmock.gateway.application.delivery import JOB_KIND
from vidmock.webhooks import sign

Scope = dict[str, Any]
Before = Callable[[Scope, bytes], tuple[Scope, bytes]]
Rewrite = Callable[[Scope, bytes, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes] | None]
ERROR = {"type": "invalid_request_error", "param": None, "code": None}


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _is_create(scope: Scope) -> bool:
    return scope["method"] == "POST" and scope["path"] == "/v1/videos"


def _drop_when(condition: Callable[[dict[str, Any]], bool], field: str) -> Before:
    """A cross-field rule not enforced: the offending field is silently dropped and the job created."""

    def before(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        sent = _json(body)
        if _is_create(scope) and isinstance(sent, dict) and condition(sent):
            sent.pop(field, None)
            return scope, json.dumps(sent).encode()
        return scope, body

    return before


def _replace_error(match: Callable[[Scope, int, str], bool], status: int, message: str) -> Rewrite:
    def rewrite(scope: Scope, req: bytes, got: int, headers: dict[str, str], body: bytes) -> Any:
        error = _json(body) if got >= 400 else None
        text = (
            error["error"].get("message", "")
            if isinstance(error, dict) and isinstance(error.get("error"), dict)
            else ""
        )
        if error is not None and match(scope, got, str(text)):
            out = {"error": {**ERROR, "message": message, "code": "invalid_api_key" if status == 401 else None}}
            if status >= 500:
                out["error"]["type"] = "api_error"
            return status, {**headers, "content-type": "application/json"}, json.dumps(out).encode()
        return None

    return rewrite


def _progress_resets() -> Rewrite:
    """Progress of a running job is reported from a fresh upstream segment: every other read of a running
    job with progress drops back to 0 (providers that report a constant 50, such as Veo, show it too)."""
    reads: dict[str, int] = {}

    def rewrite(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
        video = _json(body) if status == 200 else None
        if isinstance(video, dict) and video.get("object") == "video" and video.get("status") == "in_progress":
            if isinstance(video.get("progress"), int) and video["progress"] > 0:
                n = reads[str(video.get("id"))] = reads.get(str(video.get("id")), 0) + 1
                if n % 2 == 0:
                    video["progress"] = 0
                    return status, headers, json.dumps(video).encode()
        return None

    return rewrite


def _secret_echoed(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """The create response echoes the request's callback fields, the secret included."""
    sent, video = _json(req), _json(body)
    if _is_create(scope) and status == 200 and isinstance(sent, dict) and isinstance(video, dict):
        if "callback_secret" in sent:
            video["metadata"] = {"callback_url": sent.get("callback_url"), "callback_secret": sent["callback_secret"]}
            return status, headers, json.dumps(video).encode()
    return None


def _range_416_bare(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """An unsatisfiable range is refused with 416 but without `Content-Range: bytes */TOTAL`."""
    if status == 416:
        return status, {k: v for k, v in headers.items() if k != "content-range"}, body
    return None


def _create_progress_string(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """The create response says `"progress": "0"`: a string where the schema has an integer."""
    video = _json(body) if _is_create(scope) and status == 200 else None
    if isinstance(video, dict) and video.get("object") == "video":
        video["progress"] = str(video.get("progress"))
        return status, headers, json.dumps(video).encode()
    return None


def _errors_as_text(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """Error bodies are the right JSON, served as text/plain."""
    if status >= 400 and headers.get("content-type", "").startswith("application/json"):
        return status, {**headers, "content-type": "text/plain; charset=utf-8"}, body
    return None


def _any_method_is_get(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    """PUT, PATCH and DELETE on a video are served as GET instead of 405."""
    if scope["method"] in ("PUT", "PATCH", "DELETE") and scope["path"].startswith("/v1/videos/"):
        return {**scope, "method": "GET"}, b""
    return scope, body


def _anonymous_reads(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    """GETs without a key are served as the default project's."""
    names = {k.lower() for k, _ in scope["headers"]}
    if scope["method"] == "GET" and scope["path"].startswith("/v1/videos/") and "/logs/" not in scope["path"]:
        if b"authorization" not in names and b"x-api-key" not in names:
            return {**scope, "headers": [*scope["headers"], (b"authorization", b"Bearer vm-dev-key")]}, body
    return scope, body


def _seedance_never_ends(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """Seedance jobs are never seen to end: the status mapping lacks the provider's terminal word."""
    video = _json(body) if status == 200 and scope["method"] == "GET" else None
    if (
        isinstance(video, dict)
        and str(video.get("model", "")).startswith("bytedance/")
        and video.get("status") == "completed"
    ):
        for key in ("content", "usage"):
            video.pop(key, None)
        video |= {"status": "in_progress", "progress": 99, "completed_at": None}
        return status, headers, json.dumps(video).encode()
    return None


def _default_seconds(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    """A missing `seconds` is not refused: the gateway fills in 4."""
    sent = _json(body)
    if _is_create(scope) and isinstance(sent, dict) and "seconds" not in sent:
        sent["seconds"] = 4
        return scope, json.dumps(sent).encode()
    return scope, body


def _zero_seconds_accepted(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    """`seconds` below 1 is not refused: it is replaced by the model's default."""
    sent = _json(body)
    if _is_create(scope) and isinstance(sent, dict) and isinstance(sent.get("seconds"), int) and sent["seconds"] < 1:
        sent["seconds"] = 4
        return scope, json.dumps(sent).encode()
    return scope, body


class ResignTransport(httpx.AsyncBaseTransport):
    """Changes each webhook body with ``mutate`` and signs the result with the job's own secret."""

    def __init__(self, app: Any, mutate: Callable[[dict[str, Any]], None]) -> None:
        self.inner, self.app, self.mutate = httpx.AsyncHTTPTransport(), app, mutate

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        event = json.loads(await request.aread())
        self.mutate(event)
        body = json.dumps(event, separators=(",", ":")).encode()
        event_id = request.headers.get("webhook-id", "")
        job = self.app.state.vidmock.store.get(JOB_KIND, event_id.removeprefix("evt_")) or {}
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length",)}
        headers = {k: v for k, v in headers.items() if not k.lower().startswith("webhook-")}
        headers |= sign(
            "llmgateway",
            job.get("callback_secret") or "",
            event_id,
            int(request.headers.get("webhook-timestamp", "0")),
            body,
        )
        return await self.inner.handle_async_request(
            httpx.Request(request.method, request.url, headers=headers, content=body)
        )

    async def aclose(self) -> None:
        await self.inner.aclose()  # its pooled connections, when the client is closed


def _sender(app: Any, http: httpx.AsyncClient) -> None:
    """Swap the webhook sender's client; the runtime closes it with the others (warnings are errors)."""
    app.state.vidmock.webhooks.http = http
    app.state.vidmock.http_clients.append(http)


def _resigned(mutate: Callable[[dict[str, Any]], None]) -> Callable[[Any], None]:
    def patch(app: Any) -> None:
        _sender(app, httpx.AsyncClient(transport=ResignTransport(app, mutate), follow_redirects=False))

    return patch


def _always_completed(event: dict[str, Any]) -> None:
    """Every event is typed video.completed, failed jobs included."""
    event["type"] = "video.completed"


def _data_without_content(event: dict[str, Any]) -> None:
    """The worker serializes `data` without the content URL that GET shows."""
    data = event.get("data")
    if isinstance(data, dict):
        data.pop("content", None)


def _no_object(event: dict[str, Any]) -> None:
    """The envelope's `object: "event"` is left out."""
    event.pop("object", None)


class CrossWireTransport(httpx.AsyncBaseTransport):
    """Each new event goes to the URL of the event before it (a URL kept in a shared variable)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.routes: dict[str, httpx.URL] = {}
        self.last: httpx.URL | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        event_id = request.headers.get("webhook-id", "")
        if event_id not in self.routes:
            self.routes[event_id] = self.last or request.url
            self.last = request.url
        body = await request.aread()
        return await self.inner.handle_async_request(
            httpx.Request(request.method, self.routes[event_id], headers=request.headers, content=body)
        )

    async def aclose(self) -> None:
        await self.inner.aclose()  # its pooled connections, when the client is closed


def _cross_wired(app: Any) -> None:
    _sender(app, httpx.AsyncClient(transport=CrossWireTransport(), follow_redirects=False))


BEFORE: dict[str, Before] = {
    "size_unchecked": _drop_when(lambda b: b.get("size") == "999x999", "size"),
    "n_ignored": _drop_when(lambda b: b.get("n") not in (None, 1), "n"),
    "last_frame_alone_accepted": _drop_when(lambda b: "last_frame" in b and "image" not in b, "last_frame"),
    "both_reference_fields_accepted": _drop_when(
        lambda b: "reference_images" in b and "input_reference" in b, "input_reference"
    ),
    "any_method_is_get": _any_method_is_get,
    "zero_seconds_accepted": _zero_seconds_accepted,
    "seconds_defaulted": _default_seconds,
    "anonymous_reads": _anonymous_reads,
    "frames_with_references_accepted": _drop_when(
        lambda b: "image" in b and "reference_images" in b, "reference_images"
    ),
}
MIDDLEWARE: dict[str, Rewrite] = {
    "secret_echoed": _secret_echoed,
    "range_416_bare": _range_416_bare,
    "create_progress_string": _create_progress_string,
    "errors_as_text": _errors_as_text,
    "seedance_never_ends": _seedance_never_ends,
    # Error messages of other gateways' making: each check's probe gets a plausible but wrong answer.
    "bad_json_says_validation": _replace_error(
        lambda s, st, m: m == "Invalid JSON in request body", 400, "Invalid request parameters: (root): expected object"
    ),
    "type_error_without_path": _replace_error(
        lambda s, st, m: m.startswith("Invalid request parameters: seconds:"),
        400,
        "Invalid request parameters: Expected number, received string",
    ),
    "empty_prompt_message": _replace_error(
        lambda s, st, m: m.startswith("Invalid request parameters: prompt:"), 400, "prompt must not be empty"
    ),
    "lone_url_names_url": _replace_error(
        lambda s, st, m: m.startswith("Invalid request parameters: callback_secret:"),
        400,
        "Invalid request parameters: callback_url: callback_url and callback_secret must either both be provided or both be omitted",
    ),
    "unknown_model_500": _replace_error(
        lambda s, st, m: m.startswith("Unsupported video model"), 500, "Internal server error"
    ),
    "unknown_content_500": _replace_error(
        lambda s, st, m: st == 404 and s["path"].endswith("/content") and "/logs/" not in s["path"],
        500,
        "Internal server error",
    ),
    "no_key_is_403": _replace_error(
        lambda s, st, m: m.startswith("Unauthorized: No API key provided"), 403, "Forbidden"
    ),
    "unknown_key_generic": _replace_error(
        lambda s, st, m: m.startswith("Unauthorized: Invalid LLMGateway API token"), 401, "Unauthorized"
    ),
}
STATEFUL: dict[str, Callable[[], Rewrite]] = {"progress_resets": _progress_resets}  # one state per app


def _bills_the_estimate(app: Any) -> None:
    """The worker bills the credit estimate instead of the job: the audio-inclusive rate whatever
    `audio` was (gateway.md §2.1 reserves at that rate; the bill is the rate of what was made)."""
    worker = app.state.vidmock.worker
    stamp = worker._stamp

    def billed_at_the_estimate(job: Any) -> None:
        audio = job.audio
        job.audio = True
        try:
            stamp(job)
        finally:
            job.audio = audio

    worker._stamp = billed_at_the_estimate


PATCHES: dict[str, Callable[[Any], None]] = {
    "bills_the_estimate": _bills_the_estimate,
    "events_always_completed": _resigned(_always_completed),
    "event_without_object": _resigned(_no_object),
    "webhook_data_without_content": _resigned(_data_without_content),
    "cross_wired_callbacks": _cross_wired,
}
