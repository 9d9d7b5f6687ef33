"""More broken gateways, one defect each, for the checks `vidmock check` gained with issue 15.

Each is vidmock plus exactly one realistic defect: request-side (``BEFORE``: what the gateway sees is
changed, as a gateway that ignores a header or a token would), response-side (``MIDDLEWARE``), a swapped
part of the runtime (``PATCHES``) or a configuration (``CONFIG``). ``gateways.build`` assembles them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

from vidmock.gateway.application.delivery import JOB_KIND
from vidmock.gateway.domain import tokens
from vidmock.webhooks import sign

Scope = dict[str, Any]
Before = Callable[[Scope, bytes], tuple[Scope, bytes]]
Rewrite = Callable[[Scope, bytes, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes] | None]
DEFAULT_KEY = "vm-dev-key"
OTHER_KEY = "vm-other-key"
VALID_KEYS = (DEFAULT_KEY, OTHER_KEY)


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode().lower(): v.decode() for k, v in scope["headers"]}


def _with_headers(scope: Scope, headers: dict[str, str]) -> Scope:
    return {**scope, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}


def _is_video(scope: Scope, body: bytes) -> Any:
    video = _json(body)
    return video if isinstance(video, dict) and video.get("object") == "video" else None


# -- access ----------------------------------------------------------------------------------------
def _cross_project_reads(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    """Jobs are looked up by id alone: any project's key reads any job (the key is taken as the owner's)."""
    h = _headers(scope)
    if scope["method"] == "GET" and scope["path"].startswith("/v1/videos/") and "/logs/" not in scope["path"]:
        if h.get("authorization") == f"Bearer {OTHER_KEY}":
            h["authorization"] = f"Bearer {DEFAULT_KEY}"
            return _with_headers(scope, h), body
    return scope, body


def _ignores_x_api_key(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    """Only `Authorization: Bearer` is read; `x-api-key` is dropped on the floor."""
    h = _headers(scope)
    h.pop("x-api-key", None)
    return _with_headers(scope, h), body


def _auth_before_validation(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """Authenticates first: an invalid body without a valid key gets the 401, not the documented 400."""
    h = _headers(scope)
    key = h.get("authorization", "").removeprefix("Bearer ") or h.get("x-api-key", "")
    if scope["method"] == "POST" and scope["path"] == "/v1/videos" and status == 400 and key not in VALID_KEYS:
        message = "Unauthorized: Invalid LLMGateway API token. The token could not be found."
        if not key:
            message = "Unauthorized: No API key provided."
        error = {
            "error": {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}
        }
        return 401, {**headers, "content-type": "application/json"}, json.dumps(error).encode()
    return None


def _resign(app: Any, *, only_expired: bool) -> Before:
    """The log content route takes any token (or, ``only_expired``, any once-valid token): it is re-signed
    as a fresh valid one before the real route sees it."""

    def before(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        parts = scope["path"].strip("/").split("/")
        if scope["method"] != "GET" or parts[:3] != ["v1", "videos", "logs"] or len(parts) != 5:
            return scope, body
        runtime = app.state.vidmock
        secret, now, log_id = runtime.config.content_secret, runtime.clock.now(), parts[3]
        token = parse_qs(scope.get("query_string", b"").decode()).get("token", [""])[0]
        if only_expired and not tokens.verify(token, log_id, 0, secret):  # valid apart from the expiry
            return scope, body
        fresh = tokens.sign(log_id, now, secret)
        return {**scope, "query_string": urlencode({"token": fresh}).encode()}, body

    return before


def _lone_secret_accepted(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    """The callback pair rule is checked one way only: a lone callback_secret is silently dropped."""
    sent = _json(body)
    if (
        scope["method"] == "POST"
        and isinstance(sent, dict)
        and "callback_secret" in sent
        and "callback_url" not in sent
    ):
        sent.pop("callback_secret")
        return scope, json.dumps(sent).encode()
    return scope, body


# -- results ---------------------------------------------------------------------------------------
def _rewrite_video(change: Callable[[dict[str, Any]], bool]) -> Rewrite:
    def rewrite(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
        video = _is_video(scope, body) if status in (200, 201) else None
        if video is not None and change(video):
            return status, headers, json.dumps(video).encode()
        return None

    return rewrite


def _drop_content(video: dict[str, Any]) -> bool:
    """Completed jobs lose content[0].url (e.g. the signed URL is never attached)."""
    return video.get("status") == "completed" and video.pop("content", None) is not None


def _error_without_code(video: dict[str, Any]) -> bool:
    """A failed job's error is flattened to its message: the code is lost."""
    error = video.get("error")
    if video.get("status") == "failed" and isinstance(error, dict) and "code" in error:
        video["error"] = {"message": error.get("message", "failed")}
        return True
    return False


def _completed_at_is_created_at(video: dict[str, Any]) -> bool:
    """completed_at is stamped from created_at (a copy-paste slip)."""
    if video.get("completed_at") is not None and video.get("completed_at") != video.get("created_at"):
        video["completed_at"] = video.get("created_at")
        return True
    return False


def _string_completed_at(video: dict[str, Any]) -> bool:
    """completed_at as an ISO string rather than unix seconds."""
    done = video.get("completed_at")
    if isinstance(done, int):
        video["completed_at"] = f"2026-03-15T{done % 86400 // 3600:02d}:00:00Z"
        return True
    return False


def _create_201(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """Create answers 201 Created, as REST habit suggests and the contract does not."""
    if scope["method"] == "POST" and scope["path"] == "/v1/videos" and status == 200:
        return 201, headers, body
    return None


def _wrong_content_type(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """Video bytes served as application/octet-stream."""
    if scope["method"] == "GET" and scope["path"].endswith("/content") and status in (200, 206):
        return status, {**headers, "content-type": "application/octet-stream"}, body
    return None


def _control_chars_in_errors(scope: Scope, req: bytes, status: int, headers: dict[str, str], body: bytes) -> Any:
    """A 404's message carries terminal colour codes and a NUL: bytes a report must survive."""
    error = _json(body) if status == 404 else None
    if isinstance(error, dict) and isinstance(error.get("error"), dict):
        error["error"]["message"] = "\x1b[31mVideo\x00 not found\x1b[0m"
        return status, headers, json.dumps(error).encode()
    return None


# -- webhooks --------------------------------------------------------------------------------------
class ReplayTransport(httpx.AsyncBaseTransport):
    """Retries replay the first attempt's request: same webhook-timestamp, same body, same signature."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.first: dict[str, tuple[dict[str, str], bytes]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        key = request.headers.get("webhook-id", "")
        headers, body = self.first.setdefault(key, (dict(request.headers), body))
        return await self.inner.handle_async_request(
            httpx.Request(request.method, request.url, headers=headers, content=body)
        )

    async def aclose(self) -> None:
        await self.inner.aclose()  # its pooled connections, when the client is closed


class MillisecondsTransport(httpx.AsyncBaseTransport):
    """webhook-timestamp in milliseconds (``Date.now()``), signed as sent: the MAC verifies, the clock does not."""

    def __init__(self, app: Any) -> None:
        self.inner, self.app = httpx.AsyncHTTPTransport(), app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        event_id = request.headers.get("webhook-id", "")
        job = self.app.state.vidmock.store.get(JOB_KIND, event_id.removeprefix("evt_")) or {}
        ts = int(request.headers.get("webhook-timestamp", "0")) * 1000
        headers = {k: v for k, v in request.headers.items() if not k.lower().startswith("webhook-")}
        headers |= sign("llmgateway", job.get("callback_secret") or "", event_id, ts, body)
        return await self.inner.handle_async_request(
            httpx.Request(request.method, request.url, headers=headers, content=body)
        )

    async def aclose(self) -> None:
        await self.inner.aclose()  # its pooled connections, when the client is closed


def _sender(app: Any, http: httpx.AsyncClient) -> None:
    """Swap the webhook sender's client; the runtime closes it with the others (warnings are errors)."""
    app.state.vidmock.webhooks.http = http
    app.state.vidmock.http_clients.append(http)


def _timestamp_millis(app: Any) -> None:
    _sender(app, httpx.AsyncClient(transport=MillisecondsTransport(app), follow_redirects=False))


def _replayed_retry(app: Any) -> None:
    _sender(app, httpx.AsyncClient(transport=ReplayTransport(), follow_redirects=False))


def _new_id_per_attempt(app: Any) -> None:
    """Each retry is saved with an event id of its own (`evt_<id>_<attempt>`)."""
    hooks = app.state.vidmock.webhooks
    save = hooks._save

    def _save(row: Any) -> None:
        if row.status == "pending" and row.attempt > 1 and not row.event_id.endswith(f"_{row.attempt}"):
            row.event_id = f"{row.event_id.rsplit('_r', 1)[0]}_r{row.attempt}"
        save(row)

    hooks._save = _save


def _first_attempt_late(app: Any) -> None:
    """The first attempt is scheduled a minute after finalization instead of at once."""
    hooks = app.state.vidmock.webhooks
    save = hooks._save

    def _save(row: Any) -> None:
        if row.status == "pending" and row.attempt == 1 and row.last_tried_at is None:
            row.next_retry_at = (row.next_retry_at or hooks.clock.now()) + 60
        save(row)

    hooks._save = _save


def _gives_up_early(app: Any) -> None:
    """Stops retrying after the 4th attempt instead of the 8th."""
    hooks = app.state.vidmock.webhooks
    save = hooks._save

    def _save(row: Any) -> None:
        if not (row.status == "pending" and row.attempt > 4):
            save(row)

    hooks._save = _save


BEFORE: dict[str, Before] = {
    "cross_project_reads": _cross_project_reads,
    "ignores_x_api_key": _ignores_x_api_key,
    "lone_secret_accepted": _lone_secret_accepted,
}
BEFORE_WITH_APP: dict[str, Callable[[Any], Before]] = {
    "content_token_unchecked": lambda app: _resign(app, only_expired=False),
    "content_token_ignores_expiry": lambda app: _resign(app, only_expired=True),
}
MIDDLEWARE: dict[str, Rewrite] = {
    "auth_before_validation": _auth_before_validation,
    "no_content_url": _rewrite_video(_drop_content),
    "error_without_code": _rewrite_video(_error_without_code),
    "completed_at_is_created_at": _rewrite_video(_completed_at_is_created_at),
    "string_completed_at": _rewrite_video(_string_completed_at),
    "create_201": _create_201,
    "wrong_content_type": _wrong_content_type,
    "control_chars_in_errors": _control_chars_in_errors,
}
PATCHES: dict[str, Callable[[Any], None]] = {
    "replayed_retry": _replayed_retry,
    "new_id_per_attempt": _new_id_per_attempt,
    "first_attempt_late": _first_attempt_late,
    "timestamp_millis": _timestamp_millis,
    "gives_up_early": _gives_up_early,
}
CONFIG: dict[str, dict[str, Any]] = {
    "never_times_out": {"job_timeout": 10**9},  # VIDEO_JOB_TIMEOUT_SECONDS effectively off
    # vidmock forgets a finished job when its token dies (7 days, issue 17.2): kept, so that the content an
    # expired token must not reach is still there to leak.
    "content_token_ignores_expiry": {"retention_seconds": 0},
}
