"""The AtlasCloud (KLING v3.0) emulator and the gateway's client for it (providers.md §5.7,
gateway.md §5.3 AtlasCloud, §6)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from vidmock.clock import Clock
from vidmock.config import ServerConfig
from vidmock.gateway.application.images import prepare
from vidmock.gateway.domain.catalogue import default_catalogue
from vidmock.gateway.domain.request import CreateRequest, ImageInput
from vidmock.ids import IdFactory
from vidmock.journal import Journal
from vidmock.media import MediaCache
from vidmock.providers.atlascloud import PLUGIN
from vidmock.providers.atlascloud.client import first_url, upstream_model
from vidmock.providers.base import EmulatorContext, PollFailure, SubmitContext, UpstreamError
from vidmock.scenarios import ScenarioEngine, parse
from vidmock.store.memory import MemoryStore

pytestmark = pytest.mark.anyio

AUTH = {"Authorization": "Bearer atlas-test-key"}
GENERATE = "/api/v1/model/generateVideo"
STD = "kwaivgi/kling-v3.0-std/text-to-video"
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()


def make_ctx(media: MediaCache, scenarios: dict[str, Any] | None = None) -> EmulatorContext:
    store = MemoryStore()
    config = ServerConfig(clock="virtual")
    engine = ScenarioEngine(
        {name: parse({"name": name, **doc}, name) for name, doc in (scenarios or {}).items()}, store
    )
    return EmulatorContext(
        clock=Clock.virtual(),
        store=store,
        ids=IdFactory(store, 0),
        media=media,
        journal=Journal(),
        config=config,
        scenarios=engine,
    )


@pytest.fixture
def ctx(media: MediaCache) -> EmulatorContext:
    return make_ctx(media)


@pytest.fixture
async def atlas(ctx: EmulatorContext) -> AsyncIterator[httpx.AsyncClient]:
    app = PLUGIN.build_emulator(ctx)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://atlas.test", headers=AUTH
    ) as c:
        yield c


def gen(**extra: Any) -> dict[str, Any]:
    return {"model": STD, "prompt": "a red fox", "duration": 5, "aspect_ratio": "16:9", **extra}


async def test_prediction_lifecycle_and_download(atlas: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    r = await atlas.post(GENERATE, json=gen(sound=False))
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["code"] == 200 and created["data"]["status"] == "created"
    pid = created["data"]["id"]
    assert len(pid) == 32 and created["data"]["outputs"] == []
    url = f"/api/v1/model/prediction/{pid}"
    await ctx.clock.advance(13)  # the default plan queues for 10 % of the 120 s render
    assert (await atlas.get(url)).json()["data"]["status"] == "processing"
    assert (await atlas.get(f"/files/{pid}.mp4")).status_code == 404
    await ctx.clock.advance(120)
    data = (await atlas.get(url)).json()["data"]
    assert data["status"] == "completed" and data["error"] == "" and data["executionTime"] == 120_000
    video = data["outputs"][0]
    assert video == f"http://127.0.0.1:4001/providers/atlascloud/files/{pid}.mp4"
    part = await atlas.get(f"/files/{pid}.mp4", headers={"Range": "bytes=0-7"})
    assert part.status_code == 206 and part.content[4:8] == b"ftyp"
    assert (await atlas.get(f"/files/{pid}.mp4", headers={"Range": "bytes=9999999-"})).status_code == 416


@pytest.mark.parametrize(
    "body, message",
    [
        (
            {"model": "kwaivgi/kling-v9/text-to-video", "prompt": "x"},
            "Model kwaivgi/kling-v9/text-to-video is not supported",
        ),
        (gen(duration=7), "duration must be one of 5, 10; got 7"),
        (gen(duration="5"), "duration must be one of 5, 10; got '5'"),
        (gen(aspect_ratio="4:3"), "aspect_ratio must be one of 16:9, 9:16, 1:1; got '4:3'"),
        (gen(prompt=""), "prompt is required"),
        (gen(model="kwaivgi/kling-v3.0-std/image-to-video"), "image is required for image-to-video"),
        (gen(model="kwaivgi/kling-v3.0-std/image-to-video", image=PNG), "image must be an http(s) URL"),
        (gen(image="https://x.test/a.png"), "image is not supported by"),
        (gen(reference_image_urls=["https://x.test/a.png"]), "reference inputs are not supported"),
        (gen(sound="yes"), "sound must be a boolean"),
    ],
)
async def test_bad_generate_bodies_are_400(atlas: httpx.AsyncClient, body: dict[str, Any], message: str) -> None:
    r = await atlas.post(GENERATE, json=body)
    assert r.status_code == 400
    assert r.json()["code"] == 400 and message in r.json()["message"]


async def test_auth_and_unknown_prediction(atlas: httpx.AsyncClient) -> None:
    r = await atlas.post(GENERATE, json=gen(), headers={"Authorization": ""})
    assert r.status_code == 401 and r.json()["code"] == 401
    r = await atlas.get("/api/v1/model/prediction/nope")
    assert r.status_code == 404 and r.json() == {"code": 404, "message": "Prediction nope not found"}
    assert (await atlas.post(GENERATE, content=b"{", headers={"content-type": "application/json"})).status_code == 400


async def test_upload_media_returns_a_served_url(atlas: httpx.AsyncClient) -> None:
    r = await atlas.post("/api/v1/model/uploadMedia", files={"file": ("input.png", b"\x89PNGdata", "image/png")})
    assert r.status_code == 200, r.text
    url = r.json()["url"]
    assert url == "http://127.0.0.1:4001/providers/atlascloud/uploads/atlascloud-media-1.png"
    served = await atlas.get("/uploads/atlascloud-media-1.png")
    assert served.content == b"\x89PNGdata" and served.headers["content-type"] == "image/png"
    r = await atlas.post("/api/v1/model/uploadMedia", files={"other": ("a.png", b"x", "image/png")})
    assert r.status_code == 400 and r.json()["message"] == "file is required"


async def test_scenario_failure_and_poll_fault(media: MediaCache) -> None:
    ctx = make_ctx(
        media,
        {
            "kling-fail": {
                "description": "d",
                "reproduces": "r",
                "timeline": [{"at": 0, "status": "in_progress"}, {"at": 30, "status": "failed"}],
                "outcome": {"error": {"code": "risk", "message": "content risk control"}},
                "faults": {"poll": [{"status": 503}, "pass"], "submit": [{"status": 429, "retry_after": 3}, "pass"]},
            }
        },
    )
    app = PLUGIN.build_emulator(ctx)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://a.test",
        headers={**AUTH, "X-Vidmock-Scenario": "kling-fail"},
    ) as c:
        r = await c.post(GENERATE, json=gen())
        assert r.status_code == 429 and r.headers["retry-after"] == "3"
        assert r.json() == {"code": 429, "message": "Too many requests, please retry later"}
        pid = (await c.post(GENERATE, json=gen())).json()["data"]["id"]
        url = f"/api/v1/model/prediction/{pid}"
        assert (await c.get(url)).status_code == 503
        await ctx.clock.advance(30)
        data = (await c.get(url)).json()["data"]
        assert (data["status"], data["error"], data["outputs"]) == ("failed", "content risk control", [])


# -- the gateway's client ---------------------------------------------------------------------------


def submit_ctx(model: str = "kling-v3-0", **req: Any) -> SubmitContext:
    request = CreateRequest(**{"prompt": "p", "seconds": 5, "size": "1280x720", **req})
    mapping = default_catalogue().get(model).mappings[0]  # type: ignore[union-attr]
    frames = request.input_mode == "frames"
    return SubmitContext(
        request,
        mapping,
        "req-1",
        first_frame=prepare(request.image) if frames and request.image else None,
        last_frame=prepare(request.last_frame) if frames and request.last_frame else None,
    )


def mock(handler: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://atlas.test")


def test_upstream_model_names() -> None:
    assert upstream_model("kwaivgi/kling-v3.0", "720p", False) == "kwaivgi/kling-v3.0-std/text-to-video"
    assert upstream_model("kwaivgi/kling-v3.0-turbo", "1080p", True) == "kwaivgi/kling-v3.0-turbo/image-to-video"
    assert upstream_model("kwaivgi/kling-v3.0", "4k", True) == "kwaivgi/kling-v3.0-4k/image-to-video"


def test_first_url_walks_the_reply_in_order() -> None:
    assert (
        first_url({"code": 200, "data": {"name": "x", "urls": ["ftp://no", "https://cdn/a.png"]}})
        == "https://cdn/a.png"
    )
    assert first_url({"message": "ok"}) is None


async def test_upload_without_a_url_is_502() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": 200, "data": {"path": "/tmp/x"}})

    async with mock(handler) as http:
        with pytest.raises(UpstreamError) as err:
            await PLUGIN.build_client(ServerConfig()).submit(http, submit_ctx(image=ImageInput(PNG)))
    assert (err.value.status, err.value.message) == (502, "AtlasCloud media upload did not return a usable URL")


async def test_missing_prediction_id_is_502() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": 200, "data": {"status": "created"}})

    async with mock(handler) as http:
        with pytest.raises(UpstreamError) as err:
            await PLUGIN.build_client(ServerConfig()).submit(http, submit_ctx())
    assert (err.value.status, err.value.message) == (502, "AtlasCloud video response did not include a prediction id")


async def test_upstream_http_error_keeps_its_status() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"code": 503, "message": "busy"})

    async with mock(handler) as http:
        with pytest.raises(UpstreamError) as err:
            await PLUGIN.build_client(ServerConfig()).submit(http, submit_ctx())
    assert (err.value.status, err.value.message) == (503, "Upstream provider error (503)")


@pytest.mark.parametrize(
    "data, status, url, message",
    [
        ({"status": "completed", "outputs": [{"url": "https://cdn/v.mp4"}]}, "completed", "https://cdn/v.mp4", None),
        ({"status": "completed", "outputs": ["https://cdn/w.mp4"]}, "completed", "https://cdn/w.mp4", None),
        ({"status": "failed", "error": ""}, "failed", None, "AtlasCloud video generation failed"),
        ({"status": "failed", "error": "nsfw"}, "failed", None, "nsfw"),
        ({"status": "processing"}, "processing", None, None),
    ],
)
async def test_poll_reads_data_status_outputs_and_error(
    data: dict[str, Any], status: str, url: str | None, message: str | None
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/model/prediction/p1"
        return httpx.Response(200, json={"code": 200, "data": data})

    async with mock(handler) as http:
        result = await PLUGIN.build_client(ServerConfig()).poll(http, "p1", {})
    assert (result.status, result.content_url) == (status, url)
    assert (result.error or {}).get("message") == message


async def test_poll_http_error_is_a_poll_failure() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"code": 500, "message": "x"})

    async with mock(handler) as http:
        with pytest.raises(PollFailure, match="500 Internal Server Error"):
            await PLUGIN.build_client(ServerConfig()).poll(http, "p1", {})
