"""The Alibaba DashScope video-synthesis emulator and the gateway's client for it (providers.md §8,
gateway.md §5.3 "Alibaba")."""

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
from vidmock.providers.alibaba import PLUGIN
from vidmock.providers.base import EmulatorContext, SubmitContext, UpstreamError
from vidmock.store import MemoryStore

pytestmark = pytest.mark.anyio
SYNTHESIS = "/api/v1/services/aigc/video-generation/video-synthesis"
HEADERS = {"Authorization": "Bearer sk-test", "X-DashScope-Async": "enable"}
BODY = {"model": "wanx2.1-t2v-turbo", "input": {"prompt": "a koi pond"}, "parameters": {"size": "832*480"}}
START = 1773600000.0  # 2026-03-15 18:40:00 UTC = 2026-03-16 02:40:00 in UTC+8


@pytest.fixture
def ctx(media: MediaCache) -> EmulatorContext:
    store = MemoryStore()
    return EmulatorContext(
        clock=Clock.virtual(START),
        store=store,
        ids=IdFactory(store, 0),
        media=media,
        journal=Journal(),
        config=ServerConfig(clock="virtual"),
    )


@pytest.fixture
async def dash(ctx: EmulatorContext) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)), base_url="http://dashscope.test"
    ) as c:
        yield c


async def submit(dash: httpx.AsyncClient, body: dict[str, Any] = BODY) -> str:
    r = await dash.post(SYNTHESIS, json=body, headers=HEADERS)
    assert r.status_code == 200, r.text
    return str(r.json()["output"]["task_id"])


async def task(dash: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    r = await dash.get(f"/api/v1/tasks/{task_id}", headers=HEADERS)
    assert r.status_code == 200
    return dict(r.json())


async def test_lifecycle_pending_running_succeeded(dash: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    r = await dash.post(SYNTHESIS, json=BODY, headers=HEADERS)
    reply = r.json()
    assert set(reply) == {"request_id", "output"} and reply["output"]["task_status"] == "PENDING"
    tid = reply["output"]["task_id"]
    body = await task(dash, tid)
    assert body["output"] == {"task_id": tid, "task_status": "PENDING", "submit_time": "2026-03-16 02:40:00.000"}
    assert body["request_id"] != reply["request_id"]  # one request id per call
    await ctx.clock.advance(6)  # 60 s render: queued for 10% of it
    running = (await task(dash, tid))["output"]
    assert running["task_status"] == "RUNNING" and running["scheduled_time"] == "2026-03-16 02:40:06.000"
    await ctx.clock.advance(54)
    done = await task(dash, tid)
    url = f"http://127.0.0.1:4001/providers/alibaba/files/{tid}.mp4"
    assert done["output"] == {
        "task_id": tid,
        "task_status": "SUCCEEDED",
        "submit_time": "2026-03-16 02:40:00.000",
        "scheduled_time": "2026-03-16 02:40:06.000",
        "end_time": "2026-03-16 02:41:00.000",
        "orig_prompt": "a koi pond",
        "video_url": url,
    }
    assert done["usage"] == {"video_duration": 5, "video_ratio": "832*480", "video_count": 1}
    data = (await dash.get(f"/files/{tid}.mp4")).content
    assert data[4:8] == b"ftyp"
    part = await dash.get(f"/files/{tid}.mp4", headers={"Range": "bytes=-4"})
    assert (part.status_code, part.content) == (206, data[-4:])
    await ctx.clock.advance(24 * 3600 - 60)  # the task record is kept for 24 h after submit …
    assert (await task(dash, tid))["output"] == {"task_id": tid, "task_status": "UNKNOWN"}
    assert (await dash.get(f"/files/{tid}.mp4")).status_code == 200
    await ctx.clock.advance(60)  # … and the video URL for 24 h after it succeeded
    gone = await dash.get(f"/files/{tid}.mp4")
    assert gone.status_code == 403 and "<Code>AccessDenied</Code>" in gone.text


async def test_unknown_and_never_issued_tasks(dash: httpx.AsyncClient) -> None:
    assert (await task(dash, "0000"))["output"] == {"task_id": "0000", "task_status": "UNKNOWN"}
    r = await dash.get("/files/0000.mp4")
    assert r.status_code == 404 and "NoSuchKey" in r.text


@pytest.mark.parametrize(
    "body, message",
    [
        ({**BODY, "model": "wan9"}, "Model not exist."),
        ({"input": {"prompt": "x"}}, "Field required: model"),
        ({**BODY, "input": {}}, "Field required: input.prompt"),
        (
            {**BODY, "parameters": {"size": "1280x720"}},
            "The size parameter is invalid: expected width*height such as 1280*720, got '1280x720'.",
        ),
        (
            {**BODY, "parameters": {"size": "99*99"}},
            "The size parameter is invalid: 99*99 is not a supported resolution.",
        ),
        (
            {**BODY, "parameters": {"duration": 10}},
            "The duration parameter is invalid; wanx2.1-t2v-turbo supports 5 seconds.",
        ),
        ({**BODY, "parameters": {"audio": True}}, "The audio parameter is not supported by wanx2.1-t2v-turbo."),
        (
            {**BODY, "model": "wan2.5-t2v-preview", "parameters": {"duration": 7}},
            "The duration parameter is invalid; wan2.5-t2v-preview supports 5, 10 seconds.",
        ),
        ({**BODY, "parameters": {"seed": -1}}, "The seed parameter must be an integer between 0 and 2147483647."),
    ],
)
async def test_invalid_parameters(dash: httpx.AsyncClient, body: dict[str, Any], message: str) -> None:
    r = await dash.post(SYNTHESIS, json=body, headers=HEADERS)
    assert r.status_code == 400
    assert r.json() == {"request_id": r.json()["request_id"], "code": "InvalidParameter", "message": message}


async def test_auth_async_header_and_json(dash: httpx.AsyncClient) -> None:
    r = await dash.post(SYNTHESIS, json=BODY, headers={"X-DashScope-Async": "enable"})
    assert (r.status_code, r.json()["code"], r.json()["message"]) == (401, "InvalidApiKey", "No API-key provided.")
    r = await dash.post(SYNTHESIS, json=BODY, headers={"Authorization": "Bearer sk-test"})
    assert (r.status_code, r.json()["code"]) == (403, "AccessDenied")
    assert r.json()["message"] == "current user api does not support synchronous calls"
    r = await dash.post(SYNTHESIS, content=b"{", headers={**HEADERS, "Content-Type": "application/json"})
    assert (r.status_code, r.json()["message"]) == (400, "The request body is not valid JSON.")
    assert (await dash.get("/api/v1/tasks/x")).status_code == 401


async def test_cancel_only_while_pending(dash: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await submit(dash)
    r = await dash.post(f"/api/v1/tasks/{tid}/cancel", headers=HEADERS)
    assert r.status_code == 200 and set(r.json()) == {"request_id"}
    out = (await task(dash, tid))["output"]
    assert out["task_status"] == "CANCELED" and out["end_time"] == "2026-03-16 02:40:00.000"
    await ctx.clock.advance(120)
    assert (await task(dash, tid))["output"]["task_status"] == "CANCELED"
    other = await submit(dash)
    await ctx.clock.advance(10)
    r = await dash.post(f"/api/v1/tasks/{other}/cancel", headers=HEADERS)
    assert (r.status_code, r.json()["code"]) == (400, "UnsupportedOperation")


async def test_wan25_renders_audio_by_default(dash: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await submit(
        dash,
        {"model": "wan2.5-t2v-preview", "input": {"prompt": "rain"}, "parameters": {"size": "480*832", "duration": 10}},
    )
    doc = ctx.store.get("alibaba.task", tid)
    assert (doc["width"], doc["height"], doc["duration"], doc["audio"]) == (480, 832, 10, True)


# -- the gateway's client ----------------------------------------------------------------------------


def submit_ctx(size: str = "1280x720", seconds: int = 5) -> SubmitContext:
    mapping = default_catalogue().resolve("wan-2-5").mappings[0]
    return SubmitContext(
        request=CreateRequest(prompt="a koi pond", seconds=seconds, size=size), mapping=mapping, request_id="req_1"
    )


async def test_client_submit_and_poll(dash: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    client = PLUGIN.build_client(ctx.config)
    result = await client.submit(dash, submit_ctx("720x1280", 10))
    entry = ctx.journal.for_service("alibaba")[-1]
    assert entry.body == {
        "model": "wan2.5-t2v-preview",
        "input": {"prompt": "a koi pond"},
        "parameters": {"size": "720*1280", "duration": 10},
    }
    assert entry.headers["x-dashscope-async"] == "enable" and entry.headers["authorization"].startswith("Bear")
    assert (result.status, result.progress) == ("queued", 0)
    poll = await client.poll(dash, result.upstream_id, {})
    assert (poll.status, poll.progress, poll.content_url) == ("PENDING", None, None)
    await ctx.clock.advance(15)
    assert (await client.poll(dash, result.upstream_id, {})).progress == 50
    await ctx.clock.advance(150)
    poll = await client.poll(dash, result.upstream_id, {})
    assert (poll.status, poll.progress) == ("SUCCEEDED", 100)
    assert poll.content_url == f"http://127.0.0.1:4001/providers/alibaba/files/{result.upstream_id}.mp4"
    assert client.content_path(result.upstream_id) is None


@pytest.mark.parametrize(
    "reply, message",
    [
        (
            {"request_id": "r", "code": "InvalidParameter", "message": "bad size"},
            "Alibaba video API error: bad size (code InvalidParameter)",
        ),
        ({"request_id": "r", "output": {}}, "Alibaba video API error: undefined (code undefined)"),
    ],
)
async def test_client_missing_task_id_is_a_502(reply: dict[str, Any], message: str) -> None:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=reply)), base_url="http://x"
    ) as http:
        with pytest.raises(UpstreamError) as err:
            await PLUGIN.build_client(ServerConfig()).submit(http, submit_ctx())
    assert (err.value.status, err.value.message) == (502, message)


async def test_client_failed_task_error() -> None:
    reply = {
        "request_id": "r",
        "output": {"task_id": "t", "task_status": "FAILED", "code": "InternalError.Timeout", "message": "timed out"},
    }
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=reply)), base_url="http://x"
    ) as http:
        client = PLUGIN.build_client(ServerConfig())
        poll = await client.poll(http, "t", {})
        assert poll.error == {
            "code": "InternalError.Timeout",
            "message": "timed out",
            "details": {"code": "InternalError.Timeout", "message": "timed out"},
        }
        reply["output"] = {"task_id": "t", "task_status": "FAILED"}
        poll = await client.poll(http, "t", {})
        assert poll.error == {"code": None, "message": "Alibaba video generation failed", "details": {}}
