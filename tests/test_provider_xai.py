"""The xAI Grok Imagine video emulator and the gateway's client for it (providers.md §7, gateway.md §5.3 "xAI")."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_ctx

from vidmock.config import ServerConfig
from vidmock.gateway.application.images import prepare
from vidmock.gateway.domain.catalogue import default_catalogue
from vidmock.gateway.domain.request import CreateRequest, ImageInput
from vidmock.media import MediaCache
from vidmock.providers.base import EmulatorContext, PollFailure, SubmitContext, UpstreamError
from vidmock.providers.xai import PLUGIN
from vidmock.providers.xai.models import KIND

pytestmark = pytest.mark.anyio
AUTH = {"Authorization": "Bearer xai-test-key"}
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="
)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$")
BODY = {"model": "grok-imagine-video", "prompt": "a red fox in snow", "size": "848x480", "duration": 2}
SCENARIOS = """\
name: xai-flaky
description: d
reproduces: r
timeline: [{at: 0, status: queued}, {at: 20, status: failed}]
outcome: {error: {code: content_moderated, message: The video was blocked by moderation.}}
faults:
  poll: [{status: 503}, pass]
  content: [{truncate: 100}]
"""


@pytest.fixture
def ctx(media: MediaCache) -> EmulatorContext:
    return make_ctx(media)


@pytest.fixture
async def xai(ctx: EmulatorContext) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)), base_url="http://xai.test"
    ) as c:
        yield c


async def create(xai: httpx.AsyncClient, **changes: Any) -> str:
    r = await xai.post("/v1/videos/generations", json={**BODY, **changes}, headers=AUTH)
    assert r.status_code == 200, r.text
    return str(r.json()["request_id"])


async def test_lifecycle_url_and_content_route(xai: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    r = await xai.post("/v1/videos/generations", json=BODY, headers=AUTH)
    assert set(r.json()) == {"request_id"} and UUID.match(r.json()["request_id"])
    vid = r.json()["request_id"]
    assert (await xai.get(f"/v1/videos/{vid}", headers=AUTH)).json() == {"status": "pending"}
    r = await xai.get(f"/v1/videos/{vid}/content", headers=AUTH)
    assert r.status_code == 404 and r.json()["code"] == "not-found"
    await ctx.clock.advance(44)
    assert (await xai.get(f"/v1/videos/{vid}", headers=AUTH)).json()["status"] == "pending"
    await ctx.clock.advance(1)
    done = (await xai.get(f"/v1/videos/{vid}", headers=AUTH)).json()
    url = f"http://127.0.0.1:4001/providers/xai/files/{vid}.mp4"
    assert done == {
        "status": "done",
        "model": "grok-imagine-video",
        "video": {"url": url, "duration": 2, "respect_moderation": True},
    }
    data = (await xai.get(f"/files/{vid}.mp4")).content  # the CDN-style URL needs no key
    assert data[4:8] == b"ftyp"
    part = await xai.get(f"/files/{vid}.mp4", headers={"Range": "bytes=0-9"})
    assert (part.status_code, part.headers["content-range"], part.content) == (206, f"bytes 0-9/{len(data)}", data[:10])
    assert (await xai.get(f"/files/{vid}.mp4", headers={"Range": "bytes=0-1,3-4"})).status_code == 416
    streamed = await xai.get(f"/v1/videos/{vid}/content", headers=AUTH)
    assert streamed.content == data and streamed.headers["accept-ranges"] == "bytes"
    assert (await xai.get(f"/v1/videos/{vid}/content")).status_code == 401
    await ctx.clock.advance(24 * 3600)
    expired = await xai.get(f"/files/{vid}.mp4")
    assert expired.status_code == 404 and "expired" in expired.json()["error"]
    assert (await xai.get(f"/v1/videos/{vid}", headers=AUTH)).json()["status"] == "done"


async def test_aspect_ratio_and_resolution_parameters(xai: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    body = {k: v for k, v in BODY.items() if k != "size"}
    r = await xai.post(
        "/v1/videos/generations", json={**body, "aspect_ratio": "9:16", "resolution": "720p"}, headers=AUTH
    )
    vid = r.json()["request_id"]
    doc = ctx.store.get(KIND, vid)
    assert (doc["width"], doc["height"]) == (720, 1280)
    r = await xai.post("/v1/videos/generations", json=body, headers=AUTH)  # defaults: 16:9 at 480p, 6 s
    doc = ctx.store.get(KIND, r.json()["request_id"])
    assert (doc["width"], doc["height"], doc["duration"]) == (848, 480, 2)


@pytest.mark.parametrize(
    "changes, status, message",
    [
        ({"model": "grok-9"}, 404, "The model grok-9 does not exist or your team does not have access to it."),
        ({"prompt": " "}, 400, "prompt must be a non-empty string."),
        ({"duration": 0}, 400, "duration must be an integer between 1 and 15 seconds, got 0."),
        ({"duration": 16}, 400, "duration must be an integer between 1 and 15 seconds, got 16."),
        ({"size": "big"}, 400, "size must look like 1280x720, got 'big'."),
        ({"size": "849x480"}, 400, "size 849x480 is not supported."),
        (
            {"image": {"url": "data:text/plain;base64,aGk="}},
            400,
            "image.url must be an image URL or a base64 data URL.",
        ),
        ({"image": {"url": "data:image/png;base64,@@@"}}, 400, "image.url is not valid base64."),
        ({"image": "x"}, 400, "image.url must be an image URL or a base64 data URL."),
    ],
)
async def test_validation_in_xai_envelope(
    xai: httpx.AsyncClient, changes: dict[str, Any], status: int, message: str
) -> None:
    r = await xai.post("/v1/videos/generations", json={**BODY, **changes}, headers=AUTH)
    assert r.status_code == status
    assert r.json() == {"code": "not-found" if status == 404 else "invalid-argument", "error": message}


async def test_auth_json_and_unknown_ids(xai: httpx.AsyncClient) -> None:
    r = await xai.post("/v1/videos/generations", json=BODY)
    assert (r.status_code, r.json()) == (
        401,
        {"code": "unauthenticated:no-credentials", "error": "No credentials presented."},
    )
    r = await xai.post("/v1/videos/generations", content=b"{", headers={**AUTH, "Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (400, "The request body is not valid JSON.")
    r = await xai.get("/v1/videos/nope", headers=AUTH)
    assert (r.status_code, r.json()["code"]) == (404, "not-found")
    assert (await xai.get("/files/nope.mp4")).status_code == 404
    vid = await create(xai, image={"url": PNG})
    assert (await xai.get(f"/v1/videos/{vid}")).status_code == 401


async def test_scenario_failure_and_faults(media: MediaCache, tmp_path: Path) -> None:
    (tmp_path / "xai-flaky.yaml").write_text(SCENARIOS)
    ctx = make_ctx(media, scenarios_dir=str(tmp_path))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)), base_url="http://xai.test", headers=AUTH
    ) as xai:
        r = await xai.post("/v1/videos/generations", json=BODY, headers={"X-Vidmock-Scenario": "xai-flaky"})
        vid = r.json()["request_id"]
        r = await xai.get(f"/v1/videos/{vid}")
        assert (r.status_code, r.json()) == (
            503,
            {"code": "unavailable", "error": "The service is currently unavailable. Please try again later."},
        )
        assert (await xai.get(f"/v1/videos/{vid}")).json() == {"status": "pending"}
        await ctx.clock.advance(20)
        assert (await xai.get(f"/v1/videos/{vid}")).json() == {
            "status": "failed",
            "error": {"code": "content_moderated", "message": "The video was blocked by moderation."},
        }
        assert (await xai.get(f"/files/{vid}.mp4")).status_code == 404


# -- the gateway's client ----------------------------------------------------------------------------

CAT = default_catalogue()


def submit_ctx(size: str = "848x480", seconds: int = 6, image: str | None = None) -> SubmitContext:
    req = CreateRequest(prompt="a lighthouse", seconds=seconds, size=size, image=ImageInput(image) if image else None)
    return SubmitContext(
        request=req,
        mapping=CAT.resolve("grok-imagine-video-1-5-preview").mappings[0],
        request_id="req_1",
        first_frame=prepare(req.image) if req.image else None,
    )


async def test_client_submit_poll_and_content(ctx: EmulatorContext) -> None:
    client = PLUGIN.build_client(ctx.config)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)), base_url="http://xai.test"
    ) as http:
        result = await client.submit(http, submit_ctx(image=PNG))
        sent = ctx.journal.for_service("xai")[-1].body
        assert sent == {
            "model": "grok-imagine-video",
            "prompt": "a lighthouse",
            "size": "848x480",
            "duration": 6,
            "image": {"url": PNG},
        }
        assert (result.status, result.progress, UUID.match(result.upstream_id) is not None) == ("queued", 0, True)
        poll = await client.poll(http, result.upstream_id, {})
        assert (poll.status, poll.content_url, poll.error) == ("pending", None, None)
        await ctx.clock.advance(45)
        poll = await client.poll(http, result.upstream_id, {})
        assert (
            poll.status == "done"
            and poll.content_url == f"http://127.0.0.1:4001/providers/xai/files/{result.upstream_id}.mp4"
        )
        path = client.content_path(result.upstream_id)
        assert path == f"/v1/videos/{result.upstream_id}/content"
        r = await http.get(path, headers={**client.content_headers(), "Range": "bytes=0-3"})
        assert r.status_code == 206 and len(r.content) == 4
        with pytest.raises(PollFailure):
            await client.poll(http, "missing", {})


@pytest.mark.parametrize(
    "reply, url",
    [
        ({"status": "done", "url": "https://a/1.mp4"}, "https://a/1.mp4"),
        ({"status": "done", "video_url": "https://a/2.mp4"}, "https://a/2.mp4"),
        ({"status": "done", "output_url": "https://a/3.mp4"}, "https://a/3.mp4"),
        ({"status": "done", "video": {"url": "https://a/4.mp4"}}, "https://a/4.mp4"),
        ({"status": "done"}, None),
    ],
)
async def test_client_reads_every_url_key(reply: dict[str, Any], url: str | None) -> None:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=reply)), base_url="http://x"
    ) as http:
        poll = await PLUGIN.build_client(ServerConfig()).poll(http, "id", {})
    assert poll.content_url == url


@pytest.mark.parametrize(
    "reply, status, message",
    [
        (httpx.Response(200, json={"status": "pending"}), 502, "xAI video response did not include a request id"),
        (httpx.Response(200, json={"data": {"task_id": "t1"}}), None, "t1"),
        (httpx.Response(400, json={"code": "invalid-argument", "error": "bad"}), 400, "Upstream provider error (400)"),
    ],
)
async def test_client_submit_ids_and_errors(reply: httpx.Response, status: int | None, message: str) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: reply), base_url="http://x") as http:
        client = PLUGIN.build_client(ServerConfig())
        if status is None:
            assert (await client.submit(http, submit_ctx())).upstream_id == message
            return
        with pytest.raises(UpstreamError) as err:
            await client.submit(http, submit_ctx())
    assert (err.value.status, err.value.message) == (status, message)
