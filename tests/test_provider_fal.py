"""The fal.ai queue emulator and a gateway client for it (providers.md §11), mounted at /providers/fal."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import test_config as config_for_tests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vidmock.gateway.domain.catalogue import Mapping
from vidmock.gateway.domain.request import CreateRequest
from vidmock.providers import registry
from vidmock.providers.base import PreparedImage, SubmitContext, UpstreamError
from vidmock.providers.callbacks import dispatcher_of
from vidmock.providers.fal import PLUGIN, FalOptions, make_plugin
from vidmock.providers.fal.emulator import user_id_for
from vidmock.providers.fal.models import KIND, iso
from vidmock.providers.fal.webhooks import POLICY, keys_from_jwks, verify
from vidmock.providers.faults import ConnectionReset

pytestmark = pytest.mark.anyio
SERVICE = "fal"
KLING = "fal-ai/kling-video/v2/master/text-to-video"  # 18 s queued, completes at 180 s
AUTH = {"Authorization": "Key kid123:secret456"}
BASE = "http://127.0.0.1:4001/providers/fal"
BODY = {"prompt": "a red fox in snow", "duration": "5", "aspect_ratio": "16:9"}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="


class Env:
    def __init__(self, app: Any) -> None:
        self.app, self.runtime = app, app.state.vidmock
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)

    async def submit(
        self, model: str = KLING, body: Any = BODY, headers: dict[str, str] = AUTH, query: str = ""
    ) -> httpx.Response:
        return await self.http.post(f"/{model}{query}", json=body, headers=headers)

    async def create(self, model: str = KLING, body: Any = BODY, query: str = "") -> dict[str, Any]:
        r = await self.submit(model, body, query=query)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.get(url.removeprefix(BASE), headers=kw.pop("headers", AUTH), **kw)

    async def advance(self, seconds: float) -> None:
        await self.runtime.advance(seconds)


@pytest.fixture
def build(make_app: Callable[..., Any]) -> Callable[..., Any]:
    @asynccontextmanager
    async def factory(options: FalOptions | None = None, **config: Any) -> AsyncIterator[Env]:
        plugins = registry.replacing(make_plugin(options)) if options else registry.PLUGINS
        env = Env(make_app(config_for_tests(**config), plugins=plugins))
        async with env.http:
            yield env

    return factory


@pytest.fixture
async def env(build: Callable[..., Any]) -> AsyncIterator[Env]:
    async with build() as e:
        yield e


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


# -- the queue lifecycle --------------------------------------------------------------------------------


async def test_lifecycle_status_result_and_file(env: Env) -> None:
    t0 = env.runtime.clock.now()
    sub = await env.create()
    rid = sub["request_id"]
    root = f"{BASE}/fal-ai/kling-video/requests/{rid}"
    assert sub == {
        "status": "IN_QUEUE",
        "request_id": rid,
        "gateway_request_id": rid,
        "response_url": root,
        "status_url": f"{root}/status",
        "cancel_url": f"{root}/cancel",
        "queue_position": 0,
    }
    urls = {k: sub[k] for k in ("response_url", "status_url", "cancel_url")}
    r = await env.get(sub["status_url"])
    assert (r.status_code, r.json()) == (202, {"status": "IN_QUEUE", "request_id": rid, **urls, "queue_position": 0})
    r = await env.get(sub["response_url"])
    assert (r.status_code, r.json()) == (400, {"detail": "Request is still in progress"})

    await env.advance(18)
    r = await env.get(sub["status_url"])
    assert (r.status_code, r.json()) == (202, {"status": "IN_PROGRESS", "request_id": rid, **urls, "logs": None})
    started = {"message": "Starting video generation.", "level": "INFO", "source": "user", "timestamp": iso(t0 + 18)}
    for flag in ("1", "true"):  # curl users send logs=1, the Python SDK logs=true
        assert (await env.get(sub["status_url"], params={"logs": flag})).json()["logs"] == [started]

    await env.advance(161)
    assert (await env.get(sub["status_url"])).json()["status"] == "IN_PROGRESS"
    await env.advance(1)
    r = await env.get(sub["status_url"], params={"logs": "1"})
    done = {"message": "Video generated.", "level": "INFO", "source": "user", "timestamp": iso(t0 + 180)}
    assert (r.status_code, r.json()) == (
        200,
        {
            "status": "COMPLETED",
            "request_id": rid,
            **urls,
            "logs": [started, done],
            "metrics": {"inference_time": 162.0},
        },
    )
    r = await env.get(sub["response_url"])
    file_url = f"{BASE}/files/{rid}/output.mp4"
    assert (r.status_code, r.json()) == (
        200,
        {"video": {"url": file_url, "content_type": "video/mp4", "file_name": "output.mp4"}},
    )
    doc = env.runtime.store.get(KIND, rid)
    assert (doc["width"], doc["height"], doc["seconds"], doc["audio"]) == (1280, 720, 5, False)

    data = (await env.get(file_url, headers={})).content  # CDN-style: no key needed
    assert data[4:8] == b"ftyp"
    part = await env.get(file_url, headers={"Range": "bytes=0-9"})
    assert (part.status_code, part.headers["content-range"], part.content) == (206, f"bytes 0-9/{len(data)}", data[:10])
    assert (await env.get(file_url, headers={"Range": "bytes=0-1,4-5"})).status_code == 416

    await env.advance(3600)  # the result JSON is kept one hour; the file and the status stay
    r = await env.get(sub["response_url"])
    assert (r.status_code, r.json()) == (404, {"detail": "Request result has expired."})
    assert (await env.get(sub["status_url"])).json()["status"] == "COMPLETED"
    assert (await env.get(file_url, headers={})).status_code == 200
    await env.advance(7 * 24 * 3600)
    r = await env.get(file_url, headers={})
    assert (r.status_code, r.json()) == (404, {"detail": "File has expired."})


async def test_model_ids_with_slashes_route_to_owner_and_app(env: Env) -> None:
    for model, app, size in [
        ("fal-ai/veo3", "veo3", (1280, 720)),
        ("fal-ai/veo3/fast", "veo3", (1280, 720)),
        ("fal-ai/minimax/hailuo-02/standard/text-to-video", "minimax", (1366, 768)),
        ("fal-ai/bytedance/seedance/v1/pro/text-to-video", "bytedance", (1920, 1080)),
    ]:
        sub = await env.create(model, {"prompt": "a lighthouse"})
        assert sub["status_url"] == f"{BASE}/fal-ai/{app}/requests/{sub['request_id']}/status"
        assert (await env.get(sub["status_url"])).status_code == 202
        doc = env.runtime.store.get(KIND, sub["request_id"])
        assert (doc["model_id"], (doc["width"], doc["height"])) == (model, size)
    sub = await env.create()
    rid = sub["request_id"]
    r = await env.get(f"/fal-ai/veo3/requests/{rid}/status")  # another app's request
    assert (r.status_code, r.json()) == (404, {"detail": "Request not found"})
    r = await env.get(f"/{KLING}/requests/{rid}/status")  # the subpath is not part of status paths
    assert r.status_code == 405 and r.json() == {"detail": "Method Not Allowed"}
    paths = [e.path for e in env.runtime.journal.for_service(SERVICE)]
    assert f"/providers/fal/{KLING}" in paths and "/providers/fal/fal-ai/veo3/fast" in paths


async def test_queue_position_counts_earlier_queued_requests_of_the_app(env: Env) -> None:
    subs = [await env.create() for _ in range(3)]
    assert [s["queue_position"] for s in subs] == [0, 1, 2]
    assert (await env.create("fal-ai/veo3", {"prompt": "x"}))["queue_position"] == 0  # another app's queue
    r = await env.http.put(subs[0]["cancel_url"].removeprefix(BASE), headers=AUTH)
    assert (r.status_code, r.json()) == (202, {"status": "CANCELLATION_REQUESTED"})
    assert (await env.get(subs[2]["status_url"])).json()["queue_position"] == 1
    await env.advance(18)
    assert (await env.get(subs[2]["status_url"])).json()["status"] == "IN_PROGRESS"


# -- auth and bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, detail",
    [
        (None, "Missing authorization header. Use 'Authorization: Key <key_id>:<key_secret>'."),
        ("Key onlyid", "Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'."),
        ("Key :secret", "Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'."),
        ("Basic abc", "Invalid authorization header. Use 'Authorization: Key <key_id>:<key_secret>'."),
        ("Bearer ", "Invalid authorization header. Use 'Authorization: Key <key_id>:<key_secret>'."),
    ],
)
async def test_missing_or_malformed_credentials_are_401(env: Env, header: str | None, detail: str) -> None:
    headers = {} if header is None else {"Authorization": header}
    rid = (await env.create())["request_id"]
    for r in (
        await env.submit(headers=headers),
        await env.get(f"/fal-ai/kling-video/requests/{rid}/status", headers=headers),
        await env.http.put(f"/fal-ai/kling-video/requests/{rid}/cancel", headers=headers),
    ):
        assert (r.status_code, r.json()) == (401, {"detail": detail})


async def test_bearer_tokens_and_a_restricted_key_list(build: Callable[..., Any]) -> None:
    async with build(FalOptions(keys=("good:key",))) as env:
        assert (await env.submit(headers={"Authorization": "Key good:key"})).status_code == 200
        assert (await env.submit(headers={"Authorization": "Bearer user-jwt"})).status_code == 200
        r = await env.submit(headers={"Authorization": "Key other:key"})
        assert (r.status_code, r.json()) == (401, {"detail": "No user found for Key ID and Secret"})


@pytest.mark.parametrize(
    "model, body, errors",
    [
        (KLING, {}, [{"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}]),
        (
            KLING,
            {"prompt": 3},
            [{"loc": ["body", "prompt"], "msg": "Input should be a valid string", "type": "string_type"}],
        ),
        (
            KLING,
            {"prompt": "x", "duration": 5},
            [{"loc": ["body", "duration"], "msg": "Input should be '5' or '10'", "type": "literal_error", "input": 5}],
        ),
        (
            KLING,
            {"prompt": "x", "aspect_ratio": "4:3"},
            [
                {
                    "loc": ["body", "aspect_ratio"],
                    "msg": "Input should be '16:9', '9:16' or '1:1'",
                    "type": "literal_error",
                    "input": "4:3",
                }
            ],
        ),
        (
            "fal-ai/kling-video/v2/master/image-to-video",
            {"prompt": "x"},
            [{"loc": ["body", "image_url"], "msg": "Field required", "type": "missing"}],
        ),
        (
            "fal-ai/veo3",
            {"prompt": "x", "generate_audio": "yes"},
            [{"loc": ["body", "generate_audio"], "msg": "Input should be a valid boolean", "type": "bool_type"}],
        ),
        (
            KLING,
            [1, 2],
            [
                {
                    "loc": ["body"],
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                    "type": "model_attributes_type",
                }
            ],
        ),
    ],
)
async def test_bad_model_input_fails_the_request_with_a_422(
    env: Env, model: str, body: Any, errors: list[dict[str, Any]]
) -> None:
    sub = await env.create(model, body)  # the queue takes it; the model app rejects it when it starts
    assert (await env.get(sub["status_url"])).json()["status"] == "IN_QUEUE"
    await env.advance(18 if "kling" in model else 9)
    r = await env.get(sub["status_url"])
    first = errors[0]
    assert r.status_code == 200 and r.json() == {
        "status": "COMPLETED",
        "request_id": sub["request_id"],
        **{k: sub[k] for k in ("response_url", "status_url", "cancel_url")},
        "logs": None,
        "metrics": {},
        "error": f"{'.'.join(first['loc'])}: {first['msg']}",
        "error_type": first["type"],
    }
    r = await env.get(sub["response_url"])
    assert (r.status_code, r.json()) == (422, {"detail": errors})


async def test_validation_at_submit_when_chosen(build: Callable[..., Any]) -> None:
    async with build(FalOptions(validate_on_submit=True)) as env:
        r = await env.submit(body={"prompt": "x", "duration": "7"})
        assert (r.status_code, r.json()) == (
            422,
            {
                "detail": [
                    {
                        "loc": ["body", "duration"],
                        "type": "literal_error",
                        "msg": "Input should be '5' or '10'",
                        "input": "7",
                    }
                ]
            },
        )
        assert env.runtime.store.all(KIND) == []


async def test_malformed_unknown_and_oversized_requests(env: Env, build: Callable[..., Any]) -> None:
    r = await env.http.post(f"/{KLING}", content=b"{", headers={**AUTH, "Content-Type": "application/json"})
    assert (r.status_code, r.json()) == (
        422,
        {"detail": [{"loc": ["body", 0], "msg": "JSON decode error", "type": "json_invalid"}]},
    )
    r = await env.submit("acme/nothing/here")
    assert (r.status_code, r.json()) == (404, {"detail": "Application 'acme/nothing/here' not found"})
    r = await env.submit("fal-ai/kling-video/v9/turbo")  # a known app without that endpoint
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})
    r = await env.submit("kling")
    assert (r.status_code, r.json()) == (404, {"detail": "Application 'kling' not found"})
    r = await env.submit(query="?fal_webhook=ftp://hooks.example/x")
    assert (r.status_code, r.json()) == (400, {"detail": "fal_webhook must be an absolute http(s) URL."})
    r = await env.submit(headers={**AUTH, "X-Vidmock-Scenario": "no-such-scenario"})
    assert r.status_code == 400 and "no-such-scenario" in r.json()["detail"]
    async with build(max_body_bytes=1024) as small:  # the emulators' body limit: EmulatorContext.limits
        r = await small.submit(body={"prompt": "x" * 2000})
        assert (r.status_code, r.json()) == (413, {"detail": "Request body is too large (limit 1024 bytes)."})

    r = await env.http.post("/fal-ai/kling-video/requests/abc/status", headers=AUTH)
    assert (r.status_code, r.json()) == (405, {"detail": "Method Not Allowed"})
    r = await env.get("/fal-ai/kling-video/requests/abc/bogus")
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})
    for path in ("/fal-ai/kling-video/requests/abc/status", "/fal-ai/kling-video/requests/abc"):
        r = await env.get(path)
        assert (r.status_code, r.json()) == (404, {"detail": "Request not found"})
    r = await env.http.put("/fal-ai/kling-video/requests/abc/cancel", headers=AUTH)
    assert (r.status_code, r.json()) == (404, {"status": "NOT_FOUND"})
    assert (await env.get("/files/abc/output.mp4", headers={})).status_code == 404
    rid = (await env.create())["request_id"]
    r = await env.get(f"/files/{rid}/output.mp4", headers={})  # not generated yet
    assert (r.status_code, r.json()) == (404, {"detail": "File not found."})


# -- cancel -------------------------------------------------------------------------------------------


async def test_cancel_a_queued_request(env: Env) -> None:
    sub = await env.create()
    cancel = sub["cancel_url"].removeprefix(BASE)
    r = await env.http.put(cancel, headers=AUTH)
    assert (r.status_code, r.json()) == (202, {"status": "CANCELLATION_REQUESTED"})
    status = (await env.get(sub["status_url"])).json()
    assert (status["status"], status["error"], status["error_type"]) == (
        "COMPLETED",
        "Request was cancelled.",
        "request_cancelled",
    )
    r = await env.get(sub["response_url"])
    assert (r.status_code, r.json()) == (400, {"detail": "Request was cancelled."})
    r = await env.http.put(cancel, headers=AUTH)
    assert (r.status_code, r.json()) == (400, {"status": "ALREADY_COMPLETED"})
    assert (await env.get(cancel)).status_code == 405
    await env.advance(200)  # never runs
    assert (await env.get(sub["status_url"])).json()["error"] == "Request was cancelled."


@pytest.mark.parametrize("stop_running", [False, True])
async def test_cancel_a_running_request(build: Callable[..., Any], stop_running: bool) -> None:
    async with build(FalOptions(cancel_running=stop_running)) as env:
        sub = await env.create()
        await env.advance(20)
        r = await env.http.put(sub["cancel_url"].removeprefix(BASE), headers=AUTH)
        assert (r.status_code, r.json()) == (202, {"status": "CANCELLATION_REQUESTED"})
        status = (await env.get(sub["status_url"])).json()
        assert status["status"] == ("COMPLETED" if stop_running else "IN_PROGRESS")
        await env.advance(160)
        status = (await env.get(sub["status_url"])).json()
        assert status["status"] == "COMPLETED" and status.get("error") == (
            "Request was cancelled." if stop_running else None
        )


# -- scenarios ----------------------------------------------------------------------------------------

SCENARIOS = {
    "fal-flaky.yaml": """\
name: fal-flaky
description: d
reproduces: r
timeline: [{at: 0, status: queued}, {at: 5, status: in_progress}, {at: 20, status: failed}]
outcome: {error: {code: content_policy_violation, message: The content was flagged by a content checker.}}
faults:
  submit: [{status: 429}]
  poll: [{status: 503}, pass]
""",
    "fal-cut.yaml": """\
name: fal-cut
description: d
reproduces: r
timeline: [{at: 0, status: queued}, {at: 10, status: completed}]
faults:
  content: [{truncate: 100}]
""",
}


async def test_scenario_failure_and_faults(build: Callable[..., Any], tmp_path: Path) -> None:
    for name, text in SCENARIOS.items():
        (tmp_path / name).write_text(text)
    async with build(scenarios_dir=str(tmp_path)) as env:
        flaky = {**AUTH, "X-Vidmock-Scenario": "fal-flaky"}
        r = await env.submit(headers=flaky)
        assert (r.status_code, r.json()) == (429, {"detail": "Too Many Requests"})
        sub = (await env.submit(headers=flaky)).json()
        r = await env.get(sub["status_url"])
        assert (r.status_code, r.json()) == (503, {"detail": "Service Unavailable"})
        assert (await env.get(sub["status_url"])).json()["status"] == "IN_QUEUE"
        await env.advance(20)
        status = (await env.get(sub["status_url"])).json()
        assert (status["error"], status["error_type"]) == (
            "The content was flagged by a content checker.",
            "content_policy_violation",
        )
        r = await env.get(sub["response_url"])
        assert (r.status_code, r.json()) == (
            422,
            {
                "detail": [
                    {
                        "loc": ["body", "prompt"],
                        "type": "content_policy_violation",
                        "msg": "The content was flagged by a content checker.",
                    }
                ]
            },
        )

        sub = (await env.submit(headers={**AUTH, "X-Vidmock-Scenario": "fal-cut"})).json()
        await env.advance(10)
        url = (await env.get(sub["response_url"])).json()["video"]["url"]
        with pytest.raises(ConnectionReset):  # 100 bytes of a longer body, then the connection drops
            await env.get(url, headers={})
        assert (await env.get(url, headers={})).content[4:8] == b"ftyp"


async def test_status_stream_sends_each_change_until_completed(env: Env) -> None:
    sub = await env.create()
    task = asyncio.create_task(env.get(sub["status_url"] + "/stream"))
    await settle()
    await env.advance(18)
    await settle()
    await env.advance(162)
    r = await asyncio.wait_for(task, 5)
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: ")]
    assert [e["status"] for e in events] == ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
    assert events[-1]["metrics"] == {"inference_time": 162.0}


# -- webhooks -----------------------------------------------------------------------------------------


WALL_OFFSET = 23_000_000.0


class Hooks:
    """A webhook receiver answering a scripted status per delivery (then 200)."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.script = list(script or [])
        self.deliveries: list[tuple[dict[str, str], bytes, float]] = []
        self.now: Callable[[], float] = time.time

        async def endpoint(request: Request) -> Response:
            self.deliveries.append((dict(request.headers), await request.body(), self.now()))
            return Response(status_code=self.script.pop(0) if self.script else 200)

        self.app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["POST"])])

    def wire(self, env: Env) -> None:
        dispatcher_of(env.runtime.emulators[SERVICE]).http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app)
        )
        self.now = env.runtime.clock.now
        # The signature carries the receiver's (wall) time, the payload the emulated one (issue 16): the
        # receiver here lives WALL_OFFSET seconds after the emulated clock, moving with it.
        clock = env.runtime.clock
        clock.wall_time = lambda: clock.now() + WALL_OFFSET


async def test_webhook_on_completion_is_signed_with_ed25519(env: Env) -> None:
    hooks = Hooks()
    hooks.wire(env)
    sub = await env.create(query="?fal_webhook=https://hooks.example/fal?job=1")
    rid = sub["request_id"]
    await env.advance(179)
    assert hooks.deliveries == []  # only on completion
    await env.advance(2)
    ((headers, body, at),) = hooks.deliveries
    result = (await env.get(sub["response_url"])).json()
    assert json.loads(body) == {"request_id": rid, "gateway_request_id": rid, "status": "OK", "payload": result}
    user = user_id_for("kid123")
    assert (headers["x-fal-webhook-request-id"], headers["x-fal-webhook-user-id"]) == (rid, user)
    assert int(headers["x-fal-webhook-timestamp"]) == int(at + WALL_OFFSET)  # signed at the real send time
    # Verify as a receiver would: the key from the JWKS, the documented message layout.
    jwks = (await env.get("/.well-known/jwks.json", headers={})).json()
    (jwk,) = jwks["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "="))
    signed = f"{rid}\n{user}\n{headers['x-fal-webhook-timestamp']}\n{hashlib.sha256(body).hexdigest()}".encode()
    public.verify(bytes.fromhex(headers["x-fal-webhook-signature"]), signed)  # raises if invalid
    wall = at + WALL_OFFSET  # the receiver's clock at receipt
    assert verify(keys_from_jwks(jwks), headers, body, wall)
    assert not verify(keys_from_jwks(jwks), headers, body + b" ", wall)
    assert not verify(keys_from_jwks(jwks), headers, body, wall + 301)  # outside the ±300 s window
    assert not verify(keys_from_jwks(jwks), headers, body, at)  # judged on the emulated clock: far in the future
    await env.advance(600)
    assert len(hooks.deliveries) == 1


async def test_webhook_error_payload_and_retries(env: Env) -> None:
    hooks = Hooks([500, 503])
    hooks.wire(env)
    sub = await env.create(body={"duration": "5"}, query="?fal_webhook=https://hooks.example/fal")
    await env.advance(18)
    await env.advance(40)
    assert [round(at - hooks.deliveries[0][2]) for _, _, at in hooks.deliveries] == [0, 10, 30]
    bodies = {body for _, body, _ in hooks.deliveries}
    assert len(bodies) == 1 and json.loads(bodies.pop()) == {
        "request_id": sub["request_id"],
        "gateway_request_id": sub["request_id"],
        "status": "ERROR",
        "payload": {"detail": [{"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}]},
        "error": "Invalid status code: 422",
    }
    assert len({h["x-fal-webhook-timestamp"] for h, _, _ in hooks.deliveries}) == 3  # re-signed per attempt
    rows = dispatcher_of(env.runtime.emulators[SERVICE]).rows(sub["request_id"])
    assert [r["status"] for r in rows] == ["retrying", "retrying", "delivered"]


async def test_webhook_gives_up_after_ten_retries_within_two_hours(env: Env) -> None:
    hooks = Hooks([500] * 20)
    hooks.wire(env)
    await env.create(query="?fal_webhook=https://hooks.example/fal")
    await env.advance(180 + 3 * 3600)
    times = [at for _, _, at in hooks.deliveries]
    gaps = [round(b - a) for a, b in zip(times, times[1:], strict=False)]
    assert gaps == [10, 20, 40, 80, 160, 320, 640, 1280, 1800, 1800]
    assert times[-1] - times[0] <= 2 * 3600 and POLICY.timeout == 15.0
    assert dispatcher_of(env.runtime.emulators[SERVICE]).rows()[-1]["status"] == "failed"


async def test_signing_key_follows_the_server_seed(build: Callable[..., Any]) -> None:
    keys = []
    for seed in (7, 7, 8):
        async with build(seed=seed) as env:
            keys.append((await env.get("/.well-known/jwks.json", headers={})).json()["keys"][0]["x"])
    assert keys[0] == keys[1] != keys[2]


# -- the gateway's client -----------------------------------------------------------------------------


def submit_ctx(
    model: str = KLING, seconds: int = 5, size: str = "1280x720", image: bool = False, audio: bool = True
) -> SubmitContext:
    mapping = Mapping(
        provider=SERVICE,
        external_id=model,
        sizes=(size,),
        durations=(seconds,),
        supports_audio=True,
        supports_silent=True,
        per_second_price={"default": 0.1},
    )
    return SubmitContext(
        request=CreateRequest(prompt="a lighthouse", seconds=seconds, size=size, audio=audio),
        mapping=mapping,
        request_id="req_1",
        first_frame=PreparedImage("image/png", PNG, "data") if image else None,
    )


async def test_client_submit_and_poll_to_a_file_url(env: Env) -> None:
    client = PLUGIN.build_client(env.runtime.config)
    sent = await client.submit(env.http, submit_ctx())
    entry = env.runtime.journal.for_service(SERVICE)[-1]
    assert (entry.path, entry.body) == (
        f"/providers/fal/{KLING}",
        {"prompt": "a lighthouse", "duration": "5", "aspect_ratio": "16:9"},
    )
    assert entry.headers["authorization"].startswith("Key ")  # masked in the journal
    job = {"external_id": KLING}
    assert (await client.poll(env.http, sent.upstream_id, job)).status == "queued"
    await env.advance(18)
    assert (await client.poll(env.http, sent.upstream_id, job)).status == "in_progress"
    await env.advance(162)
    poll = await client.poll(env.http, sent.upstream_id, job)
    assert (poll.status, poll.content_url, client.content_path(sent.upstream_id)) == (
        "completed",
        f"{BASE}/files/{sent.upstream_id}/output.mp4",
        None,
    )
    assert (await env.get(str(poll.content_url), headers={})).content[4:8] == b"ftyp"

    await client.submit(env.http, submit_ctx("fal-ai/veo3", seconds=8, size="720x1280", image=True, audio=False))
    assert env.runtime.journal.for_service(SERVICE)[-1].body == {
        "prompt": "a lighthouse",
        "duration": "8s",
        "aspect_ratio": "9:16",
        "resolution": "720p",
        "generate_audio": False,
        "image_url": f"data:image/png;base64,{PNG}",
    }


async def test_client_maps_failures_cancels_and_submit_errors(env: Env) -> None:
    client = PLUGIN.build_client(env.runtime.config)
    job = {"external_id": KLING}
    bad = await client.submit(env.http, submit_ctx(seconds=7))  # Kling takes "5" or "10"
    await env.advance(18)
    poll = await client.poll(env.http, bad.upstream_id, job)
    assert (poll.status, poll.error and poll.error["code"], poll.error and poll.error["message"]) == (
        "failed",
        "literal_error",
        "body.duration: Input should be '5' or '10'",
    )
    queued = await client.submit(env.http, submit_ctx())
    await env.http.put(f"/fal-ai/kling-video/requests/{queued.upstream_id}/cancel", headers=AUTH)
    assert (await client.poll(env.http, queued.upstream_id, job)).status == "canceled"
    with pytest.raises(UpstreamError) as err:
        await client.submit(env.http, submit_ctx("acme/none"))
    assert (err.value.status, err.value.message) == (404, "Application 'acme/none' not found")


# -- the official SDK ---------------------------------------------------------------------------------

SDK_SCRIPT = """
import dataclasses, json, fal_client
client = fal_client.SyncClient()
model = "fal-ai/kling-video/v2/master/text-to-video"
handle = client.submit(model, {"prompt": "a red fox", "duration": "5"})
first = handle.status(with_logs=True)
result = handle.get(interval=0.05)
done = handle.status(with_logs=True)
other = client.submit(model, {"prompt": "never mind"})
other.cancel()
cancelled = other.status()
bad = client.submit(model, {"prompt": "x", "duration": "7"})
try:
    bad.get(interval=0.05)
    failure = None
except fal_client.FalClientHTTPError as exc:
    failure = [exc.status_code, exc.message]
show = lambda s: {"type": type(s).__name__, **dataclasses.asdict(s)}
print(json.dumps({"first": show(first), "result": result, "done": show(done), "cancelled": show(cancelled),
                  "failure": failure, "request_id": handle.request_id}))
"""


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (the SDK only speaks https to the queue)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class TlsServer:
    """uvicorn with TLS in a daemon thread (``harness.serve.ThreadServer`` speaks plain HTTP)."""

    def __init__(self, app: Any, port: int, cert: Path, key: Path) -> None:
        import uvicorn

        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="error",
            lifespan="on",
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> TlsServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "TLS server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def test_official_sdk_drives_the_emulator(
    make_app: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """fal-client, unchanged, configured only through its environment: FAL_KEY, FAL_QUEUE_RUN_HOST (the
    queue host, read at import, so in a fresh process) and SSL_CERT_FILE (httpx trusts it)."""
    pytest.importorskip("fal_client")
    from vidmock.harness.serve import free_port

    port = free_port()
    cert, key = self_signed(tmp_path)
    app = make_app(config_for_tests(clock="real", public_url=f"https://127.0.0.1:{port}", latency={KLING: 3.0}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAL_")}
    env.update(
        {
            "FAL_KEY": "kid123:secret456",
            "FAL_QUEUE_RUN_HOST": f"127.0.0.1:{port}/providers/fal",
            "SSL_CERT_FILE": str(cert),
            "NO_PROXY": "*",
            "FAL_HOME_DIR": str(tmp_path / "falhome"),
        }
    )
    with TlsServer(app, port, cert, key):
        run = subprocess.run([sys.executable, "-c", SDK_SCRIPT], env=env, capture_output=True, text=True, timeout=90)
        assert run.returncode == 0, run.stderr[-3000:]
        out = json.loads(run.stdout)
        rid = out["request_id"]
        url = f"https://127.0.0.1:{port}/providers/fal/files/{rid}/output.mp4"
        assert out["result"] == {"video": {"url": url, "content_type": "video/mp4", "file_name": "output.mp4"}}
        video = httpx.get(url, verify=ssl.create_default_context(cafile=str(cert)), headers={"Range": "bytes=0-15"})
        assert video.status_code == 206 and video.content[4:8] == b"ftyp"
    assert out["first"]["type"] in ("Queued", "InProgress")
    done = out["done"]
    assert (done["type"], done["error"], [log["message"] for log in done["logs"]]) == (
        "Completed",
        None,
        ["Starting video generation.", "Video generated."],
    )
    assert done["metrics"]["inference_time"] == pytest.approx(2.7, abs=0.01)
    assert {k: out["cancelled"][k] for k in ("type", "error", "error_type")} == {
        "type": "Completed",
        "error": "Request was cancelled.",
        "error_type": "request_cancelled",
    }
    assert out["failure"] == [
        422,
        [{"loc": ["body", "duration"], "msg": "Input should be '5' or '10'", "type": "literal_error", "input": "7"}],
    ]
