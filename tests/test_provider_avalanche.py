"""The Avalanche emulator on its own Kie-style wire format, and the gateway's client for it
(gateway.md §5.3 "Avalanche", §6 application errors)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
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
from vidmock.providers.avalanche import PLUGIN as AVALANCHE
from vidmock.providers.avalanche.client import FAILED, NO_FILE_URL, NO_TASK_ID, SORA_FAILED, AvalancheClient
from vidmock.providers.base import EmulatorContext, PollFailure, PreparedImage, SubmitContext, UpstreamError
from vidmock.providers.faults import InProcessTransport
from vidmock.store import MemoryStore

pytestmark = pytest.mark.anyio
AUTH = {"Authorization": "Bearer kie-key"}
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="
PNG = f"data:image/png;base64,{PNG_B64}"
VEO: dict[str, Any] = {
    "prompt": "a fox",
    "model": "veo3_fast",
    "aspect_ratio": "16:9",
    "generationType": "TEXT_2_VIDEO",
    "enableFallback": False,
}
SORA: dict[str, Any] = {
    "model": "sora-2-text-to-video",
    "input": {
        "prompt": "a fox",
        "aspect_ratio": "landscape",
        "n_frames": "10",
        "remove_watermark": True,
        "upload_method": "s3",
    },
}
Kie = tuple[httpx.AsyncClient, Clock]


@pytest.fixture
def make_kie(media: MediaCache, tmp_path: Path) -> Callable[..., Any]:
    opened: list[httpx.AsyncClient] = []

    def factory(*scenarios: dict[str, Any]) -> Kie:
        for doc in scenarios:
            (tmp_path / f"{doc['name']}.yaml").write_text(json.dumps(doc))
        for name in ("vertex-submit-503-twice",):  # a scenario written for another provider
            (tmp_path / f"{name}.yaml").write_text(
                (Path(__file__).resolve().parent.parent / "scenarios" / f"{name}.yaml").read_text()
            )
        store, clock = MemoryStore(), Clock.virtual()
        ctx = EmulatorContext(
            clock=clock,
            store=store,
            ids=IdFactory(store, 0),
            media=media,
            journal=Journal(),
            config=ServerConfig(clock="virtual", scenarios_dir=str(tmp_path)),
        )
        client = httpx.AsyncClient(
            transport=InProcessTransport(AVALANCHE.build_emulator(ctx)), base_url="http://kie", headers=AUTH
        )
        opened.append(client)
        return client, clock

    return factory


@pytest.fixture
async def kie(make_kie: Callable[..., Kie]) -> AsyncIterator[Kie]:
    client, clock = make_kie()
    yield client, clock
    await client.aclose()


def path(url: str) -> str:
    return url.replace("http://127.0.0.1:4001/providers/avalanche", "")


async def veo_task(client: httpx.AsyncClient, scenario: str | None = None) -> str:
    headers = {"X-Vidmock-Scenario": scenario} if scenario else {}
    r = await client.post("/api/v1/veo/generate", json=VEO, headers=headers)
    assert r.status_code == 200 and r.json()["code"] == 200, r.text
    return str(r.json()["data"]["taskId"])


async def test_veo_lifecycle_record_info_and_ranged_file(kie: Kie) -> None:
    client, clock = kie
    task_id = await veo_task(client)
    assert re.fullmatch(r"[0-9a-f]{32}", task_id)
    first = (await client.get("/api/v1/veo/record-info", params={"taskId": task_id})).json()
    assert first["code"] == 200 and first["msg"] == "success"
    data = first["data"]
    assert (data["successFlag"], data["response"], data["completeTime"]) == (0, None, None)
    assert json.loads(data["paramJson"]) == VEO and data["createTime"] == "2026-03-15 18:40:00"
    await clock.advance(75)  # veo3_fast renders in 75 s
    data = (await client.get("/api/v1/veo/record-info", params={"taskId": task_id})).json()["data"]
    assert data["successFlag"] == 1 and data["response"]["resolution"] == "720p"
    url = data["response"]["resultUrls"][0]
    assert url.endswith(f"/files/{task_id}/video.mp4") and data["completeTime"] == "2026-03-15 18:41:15"
    r = await client.get(path(url), headers={"Range": "bytes=0-7"})
    assert r.status_code == 206 and r.content[4:8] == b"ftyp" and r.headers["content-range"].startswith("bytes 0-7/")
    r = await client.get(path(url), headers={"Range": "bytes=99999999-"})
    assert r.status_code == 416
    assert (await client.get(f"/files/{task_id}/1080p.mp4")).status_code == 404  # not asked for yet


async def test_1080p_upgrade_is_pending_then_returns_a_url(kie: Kie) -> None:
    client, clock = kie
    task_id = await veo_task(client)
    params: dict[str, Any] = {"taskId": task_id, "index": 0}
    early = (await client.get("/api/v1/veo/get-1080p-video", params=params)).json()
    assert early["code"] == 422 and "still being generated" in early["msg"]
    await clock.advance(75)
    pending = (await client.get("/api/v1/veo/get-1080p-video", params=params)).json()
    assert pending == {
        "code": 422,
        "data": None,
        "msg": "1080P is processing. It should be ready in 1-2 minutes. Please check back shortly.",
    }
    await clock.advance(60)
    ready = (await client.get("/api/v1/veo/get-1080p-video", params=params)).json()
    assert ready["code"] == 200 and ready["data"]["resultUrl"].endswith(f"/files/{task_id}/1080p.mp4")
    assert (await client.get(path(ready["data"]["resultUrl"]), headers={"Range": "bytes=0-7"})).status_code == 206
    bad = (await client.get("/api/v1/veo/get-1080p-video", params={"taskId": task_id, "index": 1})).json()
    assert bad["code"] == 422


async def test_4k_upgrade_starts_on_request(kie: Kie) -> None:
    client, clock = kie
    task_id = await veo_task(client)
    await clock.advance(100)
    body = {"taskId": task_id, "index": 0}
    started = (await client.post("/api/v1/veo/get-4k-video", json=body)).json()
    assert started == {
        "code": 200,
        "msg": "success",
        "data": {"taskId": task_id, "resultUrls": None, "imageUrls": None},
    }
    await clock.advance(299)
    pending = (await client.post("/api/v1/veo/get-4k-video", json=body)).json()
    assert pending["code"] == 422 and pending["msg"].startswith("4k is processing")
    assert pending["data"]["resultUrls"] is None
    await clock.advance(1)
    ready = (await client.post("/api/v1/veo/get-4k-video", json=body)).json()
    assert ready["code"] == 200 and ready["data"]["resultUrls"][0].endswith("/4k.mp4")


async def test_sora_lifecycle_with_result_json(kie: Kie) -> None:
    client, clock = kie
    r = (await client.post("/api/v1/jobs/createTask", json=SORA)).json()
    task_id = r["data"]["taskId"]
    states = []
    for _ in range(3):
        data = (await client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})).json()["data"]
        states.append(data["state"])
        await clock.advance(40)
    assert states == ["waiting", "generating", "generating"]  # sora-2 renders in 120 s
    data = (await client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})).json()["data"]
    assert data["state"] == "success" and data["costTime"] == 120_000 and json.loads(data["param"]) == SORA
    url = json.loads(data["resultJson"])["resultUrls"][0]
    assert (await client.get(path(url))).content[4:8] == b"ftyp"
    # A Sora task is not a Veo record, and vice versa.
    assert (await client.get("/api/v1/veo/record-info", params={"taskId": task_id})).json() == {
        "code": 422,
        "msg": "recordInfo is null",
        "data": None,
    }


async def test_base64_upload_serves_the_file_for_three_days(kie: Kie) -> None:
    client, clock = kie
    r = (
        await client.post("/api/file-base64-upload", json={"base64Data": PNG, "uploadPath": "videos/input-images"})
    ).json()
    assert r["success"] is True and r["code"] == 200
    data = r["data"]
    assert data["fileUrl"] == data["downloadUrl"] and data["mimeType"] == "image/png" and data["fileSize"] == 67
    assert data["filePath"] == f"videos/input-images/{data['fileName']}" and data["fileName"].endswith(".png")
    got = await client.get(path(data["fileUrl"]))
    assert got.status_code == 200 and got.headers["content-type"] == "image/png" and got.content[:4] == b"\x89PNG"
    assert (await client.get(path(data["fileUrl"]), headers={"Range": "bytes=1-3"})).content == b"PNG"
    await clock.advance(3 * 24 * 3600)
    assert (await client.get(path(data["fileUrl"]))).status_code == 404


@pytest.mark.parametrize(
    "route,body,message",
    [
        ("/api/v1/veo/generate", {**VEO, "prompt": ""}, "prompt is required"),
        ("/api/v1/veo/generate", {**VEO, "model": "veo9"}, "model must be one of veo3, veo3_fast, veo3_lite"),
        ("/api/v1/veo/generate", {**VEO, "aspect_ratio": "1:1"}, "aspect_ratio must be one of 16:9, 9:16, Auto"),
        (
            "/api/v1/veo/generate",
            {**VEO, "generationType": "REFERENCE_2_VIDEO", "model": "veo3", "imageUrls": ["https://x.test/a.png"]},
            "REFERENCE_2_VIDEO is only supported by veo3_fast and veo3_lite",
        ),
        (
            "/api/v1/veo/generate",
            {**VEO, "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO"},
            "FIRST_AND_LAST_FRAMES_2_VIDEO requires 1 or 2 imageUrls",
        ),
        ("/api/v1/veo/generate", {**VEO, "imageUrls": ["ftp://x"]}, "imageUrls must be a list of http(s) URLs"),
        ("/api/v1/jobs/createTask", {**SORA, "model": "sora-3"}, "model 'sora-3' is not supported"),
        (
            "/api/v1/jobs/createTask",
            {**SORA, "input": {**SORA["input"], "n_frames": "4"}},
            'input.n_frames must be "10" or "15"',
        ),
        (
            "/api/v1/jobs/createTask",
            {**SORA, "model": "sora-2-image-to-video"},
            "input.image_urls must hold exactly 1 image for image-to-video",
        ),
        (
            "/api/v1/jobs/createTask",
            {**SORA, "input": {**SORA["input"], "size": "high"}},
            "input.size must be standard or high, on sora-2-pro models only",
        ),
        (
            "/api/file-base64-upload",
            {"base64Data": "data:image/png;base64,%%%", "uploadPath": "x"},
            "base64Data is not valid base64",
        ),
        ("/api/file-base64-upload", {"base64Data": PNG}, "uploadPath is required"),
    ],
)
async def test_bad_parameters_are_422_inside_http_200(kie: Kie, route: str, body: dict[str, Any], message: str) -> None:
    client, _ = kie
    r = await client.post(route, json=body)
    assert r.status_code == 200 and r.json() == {"code": 422, "msg": message, "data": None}


async def test_auth_bad_json_and_unknown_tasks(kie: Kie) -> None:
    client, _ = kie
    bare = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    r = await bare.post("/api/v1/veo/generate", json=VEO)
    assert r.status_code == 200 and r.json() == {
        "code": 401,
        "msg": "You do not have access permissions.",
        "data": None,
    }
    r = await client.post("/api/v1/veo/generate", content=b"{nope", headers={"content-type": "application/json"})
    assert r.json()["code"] == 422
    for route in ("/api/v1/veo/record-info", "/api/v1/jobs/recordInfo", "/api/v1/veo/get-1080p-video"):
        assert (await client.get(route, params={"taskId": "nope"})).json()["msg"] == "recordInfo is null"
    assert (await client.post("/api/v1/veo/get-4k-video", json={"taskId": "nope"})).json()["code"] == 422


async def test_scenarios_script_failures_faults_and_expiry(make_kie: Callable[..., Kie]) -> None:
    failing = {
        "name": "kie-fail",
        "description": "d",
        "reproduces": "r",
        "provider": "avalanche",
        "timeline": [{"at": 0, "status": "in_progress"}, {"at": 30, "status": "failed"}],
        "outcome": {"error": {"code": "501", "message": "upstream exploded"}},
    }
    flaky = {
        "name": "kie-flaky",
        "description": "d",
        "reproduces": "r",
        "faults": {
            "submit": [{"status": 200, "body": {"code": 429, "msg": "slow down"}}],
            "poll": [{"status": 502}],
            "content": [{"truncate": 10}],
        },
        "content": {"expires_after": 600},
    }
    client, clock = make_kie(failing, flaky)
    task_id = await veo_task(client, "kie-fail")
    await clock.advance(30)
    data = (await client.get("/api/v1/veo/record-info", params={"taskId": task_id})).json()["data"]
    assert (data["successFlag"], data["errorCode"], data["errorMessage"]) == (3, 501, "upstream exploded")
    assert (await client.get("/api/v1/veo/get-1080p-video", params={"taskId": task_id})).json()["code"] == 400
    # App error at submit (HTTP 200), then normal; a poll 502 once; a truncated download once; expiry.
    r = await client.post("/api/v1/veo/generate", json=VEO, headers={"X-Vidmock-Scenario": "kie-flaky"})
    assert r.status_code == 200 and r.json() == {"code": 429, "msg": "slow down"}
    task_id = await veo_task(client, "kie-flaky")
    r = await client.get("/api/v1/veo/record-info", params={"taskId": task_id})
    assert r.status_code == 502 and r.json()["code"] == 502
    await clock.advance(75)
    url = (await client.get("/api/v1/veo/record-info", params={"taskId": task_id})).json()["data"]["response"][
        "resultUrls"
    ][0]
    with pytest.raises(httpx.HTTPError):
        await client.get(path(url))
    assert (await client.get(path(url))).status_code == 200
    await clock.advance(600)
    assert (await client.get(path(url))).status_code == 404


async def test_a_scenario_for_another_provider_is_ignored(kie: Kie) -> None:
    client, _ = kie
    for _ in range(3):  # vertex-submit-503-twice would fail the first two submits if it applied here
        await veo_task(client, "vertex-submit-503-twice")
    r = await client.post("/api/v1/veo/generate", json=VEO, headers={"X-Vidmock-Scenario": "nope"})
    assert r.json()["code"] == 422 and "unknown scenario" in r.json()["msg"]


# -- the gateway's client -------------------------------------------------------------------------


def submit_ctx(model: str = "veo-3.1-fast-generate-preview", provider: str = "avalanche", **req: Any) -> SubmitContext:
    found = default_catalogue("pre-2026-03").get(model)  # Avalanche: the older gateway release
    assert found is not None
    mapping = next(m for m in found.mappings if m.provider == provider)
    request = CreateRequest(**{"prompt": "x", "seconds": 8, "size": "1920x1080", **req})
    return SubmitContext(
        request=request,
        mapping=mapping,
        request_id="req_1",
        references=(PreparedImage("image/png", PNG_B64, "data"),) if req.get("reference_images") else (),
    )


def mock(handler: Callable[[httpx.Request], dict[str, Any]]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=handler(r))), base_url="http://kie"
    )


async def test_client_submit_errors() -> None:
    client = AvalancheClient()
    with pytest.raises(UpstreamError) as err:
        await client.submit(mock(lambda r: {"code": 200, "msg": "success", "data": {}}), submit_ctx())
    assert (err.value.status, err.value.message) == (502, NO_TASK_ID)
    ctx = submit_ctx(reference_images=("x",))
    with pytest.raises(UpstreamError) as err:
        await client.submit(mock(lambda r: {"code": 200, "msg": "ok", "data": {"fileName": "a.png"}}), ctx)
    assert (err.value.status, err.value.message) == (502, NO_FILE_URL)
    with pytest.raises(UpstreamError) as err:
        await client.submit(mock(lambda r: {"code": 402, "msg": "no credits", "data": None}), submit_ctx())
    assert (err.value.status, err.value.message) == (402, "no credits")


@pytest.mark.parametrize(
    "external_id,data,message,code",
    [
        ("veo3_fast", {"successFlag": 2, "errorCode": None, "errorMessage": ""}, FAILED, None),
        ("veo3_fast", {"successFlag": 3, "errorCode": 400, "errorMessage": "flagged"}, "flagged", "400"),
        ("sora-2", {"state": "fail", "failCode": "", "failMsg": ""}, SORA_FAILED, None),
        ("sora-2", {"state": "fail", "failCode": "500", "failMsg": "boom"}, "boom", "500"),
    ],
)
async def test_client_failed_jobs(external_id: str, data: dict[str, Any], message: str, code: str | None) -> None:
    result = await AvalancheClient().poll(
        mock(lambda r: {"code": 200, "msg": "success", "data": data}),
        "t1",
        {"external_id": external_id, "size": "1920x1080"},
    )
    assert result.status == "failed" and result.error is not None
    assert result.error["message"] == message and result.error.get("code") == code


async def test_client_poll_app_error_is_a_poll_failure() -> None:
    with pytest.raises(PollFailure, match=r"recordInfo is null \(code 422\)"):
        await AvalancheClient().poll(
            mock(lambda r: {"code": 422, "msg": "recordInfo is null", "data": None}),
            "t1",
            {"external_id": "veo3_fast", "size": "1920x1080"},
        )


async def test_standalone_serves_at_the_root_with_root_file_urls(media: MediaCache) -> None:
    from vidmock.server import build_provider_app

    app = build_provider_app(ServerConfig(clock="virtual"), "avalanche", media=media)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001", headers=AUTH
    ) as client:
        task_id = await veo_task(client)
        await app.state.vidmock.advance(75)
        data = (await client.get("/api/v1/veo/record-info", params={"taskId": task_id})).json()["data"]
        url = data["response"]["resultUrls"][0]
        assert url == f"http://127.0.0.1:4001/files/{task_id}/video.mp4"
        assert (await client.get(url, headers={"Range": "bytes=0-7"})).status_code == 206
