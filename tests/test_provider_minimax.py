"""The MiniMax emulator (v1 Hailuo, v2 H3) and the gateway's client for it (providers.md §6,
gateway.md §5.3 MiniMax, §6)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from vidmock.clock import Clock
from vidmock.config import ServerConfig
from vidmock.gateway.domain.catalogue import default_catalogue
from vidmock.gateway.domain.request import CreateRequest
from vidmock.ids import IdFactory
from vidmock.journal import Journal
from vidmock.media import MediaCache
from vidmock.providers.base import EmulatorContext, PollFailure, SubmitContext, UpstreamError
from vidmock.providers.minimax import PLUGIN, MinimaxOptions, make_plugin
from vidmock.scenarios import ScenarioEngine, parse
from vidmock.store.memory import MemoryStore

pytestmark = pytest.mark.anyio

AUTH = {"Authorization": "Bearer mm-test-key"}
BASE = "http://127.0.0.1:4001/providers/minimax"
V1 = {"model": "MiniMax-Hailuo-2.3", "prompt": "a koi pond", "duration": 6, "resolution": "768P"}
V2 = {
    "model": "MiniMax-H3-Max",
    "content": [{"type": "text", "text": "a koi pond"}],
    "duration": 5,
    "resolution": "480P",
    "ratio": "16:9",
}


def make_ctx(media: MediaCache, scenarios: dict[str, Any] | None = None) -> EmulatorContext:
    store = MemoryStore()
    engine = ScenarioEngine(
        {name: parse({"name": name, **doc}, name) for name, doc in (scenarios or {}).items()}, store
    )
    return EmulatorContext(
        clock=Clock.virtual(),
        store=store,
        ids=IdFactory(store, 0),
        media=media,
        journal=Journal(),
        config=ServerConfig(clock="virtual"),
        scenarios=engine,
    )


@pytest.fixture
def ctx(media: MediaCache) -> EmulatorContext:
    return make_ctx(media)


def client_for(ctx: EmulatorContext, options: MinimaxOptions | None = None, **headers: str) -> httpx.AsyncClient:
    app = make_plugin(options).build_emulator(ctx)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://minimax.test", headers={**AUTH, **headers}
    )


@pytest.fixture
async def mm(ctx: EmulatorContext) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(ctx) as c:
        yield c


async def test_v1_lifecycle_query_retrieve_download(mm: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    r = await mm.post("/v1/video_generation", json=V1)
    assert r.status_code == 200
    task_id = r.json()["task_id"]
    assert r.json()["base_resp"] == {"status_code": 0, "status_msg": "success"}
    assert task_id.isdigit() and len(task_id) == 15

    async def query() -> dict[str, Any]:
        return (await mm.get("/v1/query/video_generation", params={"task_id": task_id})).json()

    assert (await query())["status"] == "Preparing"
    await ctx.clock.advance(5)
    assert (await query())["status"] == "Queueing"
    await ctx.clock.advance(20)  # default plan: queued for 10 % of the 180 s render
    assert (await query())["status"] == "Processing" and (await query())["file_id"] == ""
    await ctx.clock.advance(160)
    done = await query()
    assert done["status"] == "Success" and (done["video_width"], done["video_height"]) == (1366, 768)
    r = await mm.get("/v1/files/retrieve", params={"file_id": done["file_id"]})
    file = r.json()["file"]
    assert file["file_id"] == int(done["file_id"]) and file["purpose"] == "video_generation"
    assert file["download_url"] == f"{BASE}/files/{done['file_id']}.mp4" and file["bytes"] > 0
    part = await mm.get(f"/files/{done['file_id']}.mp4", headers={"Range": "bytes=0-7"})
    assert part.status_code == 206 and part.content[4:8] == b"ftyp"
    whole = await mm.get(f"/_vidmock/content/{task_id}")
    assert whole.status_code == 200 and len(whole.content) == file["bytes"]
    assert (await mm.get(f"/_vidmock/content/{task_id}", headers={"Authorization": ""})).status_code == 401


@pytest.mark.parametrize(
    "body, detail",
    [
        ({**V1, "model": "Hailuo-9"}, "model 'Hailuo-9' is not supported"),
        ({**V1, "duration": 8}, "duration must be 6 or 10, got 8"),
        ({**V1, "resolution": "1080P", "duration": 10}, "1080P resolution only supports a duration of 6 seconds"),
        ({**V1, "prompt": ""}, "prompt is required"),
        ({**V1, "model": "I2V-01"}, "first_frame_image is required for I2V-01"),
    ],
)
async def test_v1_errors_are_base_resp_in_http_200(mm: httpx.AsyncClient, body: dict[str, Any], detail: str) -> None:
    r = await mm.post("/v1/video_generation", json=body)
    assert r.status_code == 200
    assert r.json()["base_resp"] == {"status_code": 2013, "status_msg": f"invalid params, {detail}"}


async def test_v1_auth_and_unknown_task(mm: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    r = await mm.post("/v1/video_generation", json=V1, headers={"Authorization": ""})
    assert r.status_code == 200 and r.json()["base_resp"]["status_code"] == 1004
    r = await mm.get("/v1/query/video_generation", params={"task_id": "123"})
    assert r.json()["base_resp"] == {"status_code": 2013, "status_msg": "invalid params, invalid task_id"}
    async with client_for(ctx, MinimaxOptions(http_errors=True)) as strict:
        r = await strict.post("/v1/video_generation", json=V1, headers={"Authorization": ""})
        assert r.status_code == 401 and r.json()["base_resp"]["status_code"] == 1004


async def test_v2_create_query_and_errors(mm: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    r = await mm.post("/v2/video_generation", json=V2)
    assert r.status_code == 200 and set(r.json()) == {"task_id"}
    task_id = r.json()["task_id"]
    assert (await mm.get(f"/v2/query/video_generation/{task_id}")).json()["task"]["status"] == "queued"
    await ctx.clock.advance(30)
    assert (await mm.get(f"/v2/query/video_generation/{task_id}")).json()["task"]["status"] == "running"
    await ctx.clock.advance(240)
    task = (await mm.get(f"/v2/query/video_generation/{task_id}")).json()["task"]
    assert task["status"] == "succeeded" and task["content"]["url"].startswith(f"{BASE}/files/")
    # The same task on the v1 query route (what W1 would poll), for MinimaxOptions(v2_poll="v1").
    v1 = (await mm.get("/v1/query/video_generation", params={"task_id": task_id})).json()
    assert v1["status"] == "Success" and (v1["video_width"], v1["video_height"]) == (854, 480)
    r = await mm.post("/v2/video_generation", json={**V2, "ratio": "adaptive"})
    assert r.status_code == 400
    error = r.json()
    assert error["type"] == "error" and error["error"]["type"] == "bad_request_error"
    assert (
        error["error"]["message"] == "invalid params, ratio is required for text-to-video and cannot be adaptive (2013)"
    )
    r = await mm.get("/v2/query/video_generation/999")
    assert r.status_code == 400 and r.json()["error"]["message"] == "invalid params, invalid task_id (2013)"
    r = await mm.post("/v2/video_generation", json=V2, headers={"Authorization": ""})
    assert r.status_code == 401 and r.json()["error"]["type"] == "authorized_error"


async def test_v2_frames_are_adaptive(mm: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    frame = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}, "role": "first_frame"}
    r = await mm.post("/v2/video_generation", json={**V2, "content": [*V2["content"], frame], "ratio": "adaptive"})
    assert r.status_code == 200, r.text
    task = (await mm.get(f"/v2/query/video_generation/{r.json()['task_id']}")).json()["task"]
    assert task["ratio"] == "adaptive"


async def test_scenario_failure_renders_in_both_shapes(media: MediaCache) -> None:
    ctx = make_ctx(
        media,
        {
            "mm-fail": {
                "description": "d",
                "reproduces": "r",
                "timeline": [{"at": 0, "status": "in_progress"}, {"at": 60, "status": "failed"}],
                "outcome": {"error": {"code": "1027", "message": "generated video contains sensitive content"}},
                "faults": {"poll": [{"status": 500}], "content": [{"truncate": 10}]},
            }
        },
    )
    async with client_for(ctx, **{"X-Vidmock-Scenario": "mm-fail"}) as c:
        task_id = (await c.post("/v2/video_generation", json=V2)).json()["task_id"]
        r = await c.get(f"/v2/query/video_generation/{task_id}")
        assert r.status_code == 500 and r.json()["error"]["type"] == "server_error"
        await ctx.clock.advance(60)
        task = (await c.get(f"/v2/query/video_generation/{task_id}")).json()["task"]
        assert task["status"] == "failed"
        assert task["error"] == {"code": "1027", "message": "generated video contains sensitive content"}
        v1 = (await c.get("/v1/query/video_generation", params={"task_id": task_id})).json()
        assert v1["status"] == "Fail"
        assert v1["base_resp"] == {"status_code": 1027, "status_msg": "generated video contains sensitive content"}


# -- the gateway's client ---------------------------------------------------------------------------


def submit_ctx(model: str, **req: Any) -> SubmitContext:
    request = CreateRequest(**{"prompt": "p", "seconds": 6, "size": "1280x720", **req})
    mapping = default_catalogue().get(model).mappings[0]  # type: ignore[union-attr]
    return SubmitContext(request, mapping, "req-1")


def mock(handler: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://minimax.test")


@pytest.mark.parametrize(
    "reply, message",
    [
        (
            {"task_id": "", "base_resp": {"status_code": 1008, "status_msg": "insufficient balance"}},
            "MiniMax video API error: insufficient balance (code 1008)",
        ),
        (
            {"base_resp": {"status_code": 0, "status_msg": "success"}},
            "MiniMax video response did not include a task id",
        ),
    ],
)
async def test_submit_errors_are_502(reply: dict[str, Any], message: str) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=reply)

    async with mock(handler) as http:
        with pytest.raises(UpstreamError) as err:
            await PLUGIN.build_client(ServerConfig()).submit(http, submit_ctx("minimax-hailuo-2-3"))
    assert (err.value.status, err.value.message) == (502, message)


async def test_v2_http_error_message_passes_through() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v2/video_generation"
        return httpx.Response(
            429,
            json={
                "type": "error",
                "error": {
                    "type": "rate_limit_error",
                    "message": "rate limit, please retry later (1002)",
                    "http_code": "429",
                },
            },
        )

    async with mock(handler) as http:
        with pytest.raises(UpstreamError) as err:
            await PLUGIN.build_client(ServerConfig()).submit(
                http, submit_ctx("minimax-h3-max", size="1366x768", seconds=5)
            )
    assert (err.value.status, err.value.message) == (429, "rate limit, please retry later (1002)")


@pytest.mark.parametrize(
    "reply, status, error",
    [
        ({"status": "Queueing"}, "in_progress", None),
        ({"status": "Preparing"}, "in_progress", None),
        ({"status": "Success", "file_id": "1"}, "completed", None),
        (
            {"status": "Failed", "base_resp": {"status_code": 0, "status_msg": "success"}},
            "failed",
            {"message": "MiniMax video generation failed"},
        ),
        (
            {"status": "Fail", "base_resp": {"status_code": 1026, "status_msg": "sensitive"}},
            "failed",
            {"code": "1026", "message": "sensitive", "details": {"status_code": 1026, "status_msg": "sensitive"}},
        ),
    ],
)
async def test_v1_poll_mapping(reply: dict[str, Any], status: str, error: dict[str, Any] | None) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/query/video_generation" and request.url.params["task_id"] == "7"
        return httpx.Response(200, json=reply)

    async with mock(handler) as http:
        result = await PLUGIN.build_client(ServerConfig()).poll(http, "7", {"external_id": "MiniMax-Hailuo-2.3"})
    assert (result.status, result.error, result.content_url) == (status, error, None)


async def test_v2_poll_route_follows_the_option() -> None:
    paths: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path.startswith("/v2/"):
            return httpx.Response(200, json={"task": {"status": "succeeded", "content": {"url": "https://cdn/v.mp4"}}})
        return httpx.Response(200, json={"status": "Processing"})

    job = {"external_id": "MiniMax-H3-Max"}
    async with mock(handler) as http:
        result = await PLUGIN.build_client(ServerConfig()).poll(http, "9", job)
        assert (result.status, result.content_url) == ("succeeded", "https://cdn/v.mp4")
        other = await make_plugin(MinimaxOptions(v2_poll="v1")).build_client(ServerConfig()).poll(http, "9", job)
        assert other.status == "in_progress"
    assert paths == ["/v2/query/video_generation/9", "/v1/query/video_generation"]


async def test_poll_network_error_is_a_poll_failure() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with mock(handler) as http:
        with pytest.raises(PollFailure, match="refused"):
            await PLUGIN.build_client(ServerConfig()).poll(http, "1", {"external_id": "MiniMax-Hailuo-2.3"})


def test_content_path_and_credential() -> None:
    client = PLUGIN.build_client(ServerConfig())
    assert client.content_path("3123") == "/_vidmock/content/3123"
    assert client.content_headers() == {"Authorization": "Bearer vidmock-minimax-key"}
