"""The gateway routed to the xAI and Alibaba DashScope emulators (gateway.md §5.3 "xAI" and "Alibaba",
§5.4, §6; §7 edge cases 30 and 31), and the dashscope-task-failed scenario."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from conftest import AUTH
from conftest import test_config as config_for_tests

pytestmark = pytest.mark.anyio
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="
)
GROK = "xai/grok-imagine-video-1-5-preview"


async def until_terminal(client: httpx.AsyncClient, runtime: Any, vid: str, limit: int = 120) -> list[dict[str, Any]]:
    """Every video object seen, one per 5 s of virtual time, until a terminal status."""
    seen = []
    for _ in range(limit):
        await runtime.advance(5)
        video = (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()
        seen.append(video)
        if video["status"] not in ("queued", "in_progress"):
            break
    return seen


def distinct(statuses: list[str]) -> list[str]:
    return [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s]


@pytest.mark.parametrize(
    "size, output_cost, total",
    [("848x480", 0.48, 0.49), ("1280x720", 0.84, 0.85)],
    ids=["edge-30-480p", "edge-31-720p"],
)
async def test_xai_with_an_image_costs_and_content(
    client: httpx.AsyncClient, runtime: Any, size: str, output_cost: float, total: float
) -> None:
    r = await client.post(
        "/v1/videos",
        json={"model": GROK, "prompt": "a lighthouse", "seconds": 6, "size": size, "image": PNG},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    vid = r.json()["id"]
    assert r.json()["model"] == GROK and r.json()["status"] == "queued"
    submit = runtime.journal.for_service("xai")[0]
    assert (submit.method, submit.path) == ("POST", "/v1/videos/generations")
    assert submit.body == {
        "model": "grok-imagine-video",
        "prompt": "a lighthouse",
        "size": size,
        "duration": 6,
        "image": {"url": PNG},
    }
    assert (
        submit.headers["authorization"].startswith("Bear") and submit.headers["authorization"] != AUTH["Authorization"]
    )
    job = runtime.store.get("gateway.job", vid)
    assert job["upstream_id"] == submit.response["request_id"]
    seen = await until_terminal(client, runtime, vid)
    assert distinct([v["status"] for v in seen]) == ["queued", "completed"]  # xAI says pending, then done
    video = seen[-1]
    assert video["usage"] == {
        "cost": total,
        "cost_details": {"video_output_cost": output_cost, "image_input_cost": 0.01},
    }
    assert video["content"][0]["url"].startswith("http://127.0.0.1:4001/v1/videos/logs/")
    # The done reply carries video.url, so the gateway proxies that URL (gateway.md §1.5 step 2).
    assert runtime.store.get("gateway.job", vid)["content_url"].endswith(
        f"/providers/xai/files/{job['upstream_id']}.mp4"
    )
    full = await client.get(f"/v1/videos/{vid}/content", headers=AUTH)
    assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(full.content)) as container:
        ctx = container.streams.video[0].codec_context
        assert f"{ctx.width}x{ctx.height}" == size and len(container.streams.audio) == 1
    part = await client.get(f"/v1/videos/{vid}/content", headers={**AUTH, "Range": "bytes=0-9"})
    assert (part.status_code, part.content) == (206, full.content[:10])
    fetched = [e for e in runtime.journal.for_service("xai") if "/files/" in e.path]
    assert fetched and all("authorization" not in e.headers for e in fetched)  # a CDN URL: no key is sent


async def test_xai_content_streamed_from_the_content_route_without_a_url(
    client: httpx.AsyncClient, runtime: Any
) -> None:
    r = await client.post(
        "/v1/videos", json={"model": GROK, "prompt": "a fox", "seconds": 2, "size": "848x480"}, headers=AUTH
    )
    vid = r.json()["id"]
    seen = await until_terminal(client, runtime, vid)
    assert seen[-1]["status"] == "completed"
    # A done reply without a URL (the emulator always sends video.url; the gateway must cope when xAI does
    # not): drop the saved URL, as if the poll had carried none.
    job = runtime.store.get("gateway.job", vid)
    runtime.store.put("gateway.job", vid, {**job, "content_url": None})
    r = await client.get(f"/v1/videos/{vid}/content", headers={**AUTH, "Range": "bytes=4-7"})
    assert (r.status_code, r.content) == (206, b"ftyp")
    streamed = [e for e in runtime.journal.for_service("xai") if e.path.endswith("/content")]
    assert [e.path for e in streamed] == [f"/v1/videos/{job['upstream_id']}/content"]
    assert streamed[0].headers["range"] == "bytes=4-7"
    assert streamed[0].headers["authorization"].startswith("Bear")  # the gateway's own xAI key, masked
    assert streamed[0].headers["authorization"] != AUTH["Authorization"]


async def test_alibaba_size_duration_completion_and_content(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post(
        "/v1/videos", json={"model": "wan-2-5", "prompt": "a koi pond", "seconds": 10, "size": "720x1280"}, headers=AUTH
    )
    assert r.status_code == 200, r.text
    vid = r.json()["id"]
    assert r.json()["model"] == "alibaba/wan-2-5"
    submit = runtime.journal.for_service("alibaba")[0]
    assert submit.path == "/api/v1/services/aigc/video-generation/video-synthesis"
    assert submit.headers["x-dashscope-async"] == "enable"
    assert submit.body == {
        "model": "wan2.5-t2v-preview",
        "input": {"prompt": "a koi pond"},
        "parameters": {"size": "720*1280", "duration": 10},
    }
    assert runtime.store.get("gateway.job", vid)["upstream_id"] == submit.response["output"]["task_id"]
    seen = await until_terminal(client, runtime, vid)
    assert distinct([v["status"] for v in seen]) == ["queued", "in_progress", "completed"]
    assert seen[-1]["usage"]["cost"] == 1.0  # 10 s at 720p, $0.10/s
    polled = [
        e.response["output"]["task_status"]
        for e in runtime.journal.for_service("alibaba")
        if e.path.startswith("/api/v1/tasks/")
    ]
    assert distinct(polled) == ["PENDING", "RUNNING", "SUCCEEDED"]
    full = await client.get(f"/v1/videos/{vid}/content", headers=AUTH)
    with av.open(io.BytesIO(full.content)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (720, 1280)
        assert len(container.streams.audio) == 1
        assert stream.duration is not None and stream.time_base is not None
        assert round(float(stream.duration * stream.time_base)) == 10


async def test_dashscope_task_failed_scenario(client: httpx.AsyncClient, runtime: Any) -> None:
    """scenarios/dashscope-task-failed.yaml through the gateway on the virtual clock."""
    r = await client.post(
        "/v1/videos",
        json={"model": "wan-2-5", "prompt": "a koi pond", "seconds": 5},
        headers={**AUTH, "X-Vidmock-Scenario": "dashscope-task-failed"},
    )
    vid = r.json()["id"]
    seen = await until_terminal(client, runtime, vid)
    assert distinct([v["status"] for v in seen]) == ["queued", "in_progress", "failed"]
    failed = seen[-1]
    assert failed["completed_at"] - failed["created_at"] == 95
    detail = {"code": "DataInspectionFailed", "message": "Output data may contain inappropriate content."}
    assert failed["error"] == {**detail, "details": detail}
    assert failed["usage"]["cost"] == 0 and "content" not in failed
    last = [e for e in runtime.journal.for_service("alibaba") if e.path.startswith("/api/v1/tasks/")][-1]
    assert {k: last.response["output"][k] for k in ("task_status", "code", "message")} == {
        "task_status": "FAILED",
        **detail,
    }
    assert "video_url" not in last.response["output"]
    r = await client.get(f"/v1/videos/{vid}/content", headers=AUTH)
    assert r.status_code == 409


SCENARIOS = {
    "xai-no-id": "faults: {submit: [{status: 200, body: {status: pending}}]}",
    "xai-429": "faults: {submit: [{status: 429, retry_after: 7}]}",
    "dashscope-no-task": 'faults: {submit: [{status: 200, body: {request_id: r1, code: InvalidParameter, message: "bad size"}}]}',
    "dashscope-500": "faults: {submit: [{status: 500}]}",
}


@pytest.fixture
async def scripted(make_app: Callable[..., Any], tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    for name, faults in SCENARIOS.items():
        (tmp_path / f"{name}.yaml").write_text(f"name: {name}\ndescription: d\nreproduces: r\n{faults}\n")
    app = make_app(config_for_tests(scenarios_dir=str(tmp_path)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as c:
        yield c


@pytest.mark.parametrize(
    "model, scenario, status, message",
    [
        (GROK, "xai-no-id", 502, "xAI video response did not include a request id"),
        # xAI's envelope has `error` as a string, so the gateway cannot read a message (§6).
        (GROK, "xai-429", 429, "Upstream provider error (429)"),
        ("wan-2-5", "dashscope-no-task", 502, "Alibaba video API error: bad size (code InvalidParameter)"),
        ("wan-2-5", "dashscope-500", 500, "Upstream provider error (500)"),
    ],
)
async def test_submit_errors_map_as_the_gateway_maps_them(
    scripted: httpx.AsyncClient, model: str, scenario: str, status: int, message: str
) -> None:
    r = await scripted.post(
        "/v1/videos",
        json={"model": model, "prompt": "x", "seconds": 5, "size": "1280x720"},
        headers={**AUTH, "X-Vidmock-Scenario": scenario},
    )
    assert (r.status_code, r.json()["error"]["message"]) == (status, message)
