"""The gateway routed to the AtlasCloud (KLING v3.0) and MiniMax emulators (gateway.md §5.3, §7 edge
cases 11–18), and the scenarios written for them, on the virtual clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import AUTH
from conftest import test_config as config_for_tests

from vidmock.providers import registry
from vidmock.providers.minimax import MinimaxOptions, make_plugin

pytestmark = pytest.mark.anyio
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="
)
TERMINAL = ("completed", "failed", "canceled", "expired")


async def create(client: httpx.AsyncClient, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    return await client.post(
        "/v1/videos", json={"prompt": "a lighthouse at dusk", **body}, headers={**AUTH, **(headers or {})}
    )


async def watch(
    client: httpx.AsyncClient, runtime: Any, vid: str, limit: float = 3700, step: float = 5
) -> tuple[list[tuple[str, float]], dict[str, Any]]:
    """Every status change the caller sees, with the virtual seconds since the watch began."""
    start = runtime.clock.now()
    seen: list[tuple[str, float]] = []
    while True:
        video = (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()
        if not seen or seen[-1][0] != video["status"]:
            seen.append((video["status"], runtime.clock.now() - start))
        if video["status"] in TERMINAL or runtime.clock.now() - start >= limit:
            return seen, video
        await runtime.advance(step)


def posts(runtime: Any, service: str, path: str) -> list[Any]:
    return [e for e in runtime.journal.for_service(service) if e.method == "POST" and e.path == path]


# -- AtlasCloud: §7 edge cases 11–18 ----------------------------------------------------------------

GENERATE = "/api/v1/model/generateVideo"
UPLOAD = "/api/v1/model/uploadMedia"


async def test_edge_11_std_text_to_video_body(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, model="atlascloud/kling-v3-0", size="1280x720", seconds=5, audio=False)
    assert r.status_code == 200, r.text
    body = posts(runtime, "atlascloud", GENERATE)[0].body
    assert body["model"] == "kwaivgi/kling-v3.0-std/text-to-video"
    assert {k: body[k] for k in ("duration", "aspect_ratio", "sound")} == {
        "duration": 5,
        "aspect_ratio": "16:9",
        "sound": False,
    }
    assert not posts(runtime, "atlascloud", UPLOAD)


async def test_edge_12_turbo_frames_are_uploaded(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(
        client, model="atlascloud/kling-v3-0-turbo", size="720x1280", seconds=10, image=PNG, last_frame=PNG
    )
    assert r.status_code == 200, r.text
    uploads = posts(runtime, "atlascloud", UPLOAD)
    assert len(uploads) == 2
    assert all('name="file"; filename="input.png"' in u.body for u in uploads)
    body = posts(runtime, "atlascloud", GENERATE)[0].body
    assert body["model"] == "kwaivgi/kling-v3.0-turbo/image-to-video"
    assert body["aspect_ratio"] == "9:16" and body["duration"] == 10
    assert "/uploads/atlascloud-media-" in body["image"] and "/uploads/atlascloud-media-" in body["end_image"]
    assert body["image"] != body["end_image"]
    assert not {"sound", "image_url", "end_image_url"} & set(body)
    # The uploaded bytes are served back at the URL the upload returned.
    uploaded = await client.get(body["image"].removeprefix("http://127.0.0.1:4001"))
    assert uploaded.status_code == 200 and uploaded.content.startswith(b"\x89PNG")


async def test_https_frames_are_passed_as_is(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(
        client, model="atlascloud/kling-v3-0", size="1280x720", seconds=5, image="https://images.example.com/first.png"
    )
    assert r.status_code == 200, r.text
    assert not posts(runtime, "atlascloud", UPLOAD)
    body = posts(runtime, "atlascloud", GENERATE)[0].body
    assert body["image"] == "https://images.example.com/first.png"
    assert body["model"] == "kwaivgi/kling-v3.0-std/image-to-video" and body["sound"] is True


async def test_edge_13_std_at_4k_uses_the_4k_model(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, model="atlascloud/kling-v3-0", size="3840x2160", seconds=5)
    assert r.status_code == 200, r.text
    assert posts(runtime, "atlascloud", GENERATE)[0].body["model"] == "kwaivgi/kling-v3.0-4k/text-to-video"


@pytest.mark.parametrize(
    "body, text",
    [
        (
            {"model": "atlascloud/kling-v3-0-turbo", "size": "3840x2160", "seconds": 5},
            "size 3840x2160 is unsupported",
        ),  # edge 14
        (
            {"model": "atlascloud/kling-v3-0-turbo", "size": "1280x720", "seconds": 5, "audio": False},
            "audio=false is unsupported",
        ),  # edge 15
        (
            {
                "model": "atlascloud/kling-v3-0",
                "size": "1280x720",
                "seconds": 5,
                "reference_images": [PNG],
                "reference_videos": ["https://example.com/ref.mp4"],
            },
            "reference inputs are unsupported on AtlasCloud KLING v3.0 models",
        ),  # edge 16
        (
            {
                "model": "atlascloud/kling-v3-0-turbo",
                "size": "1280x720",
                "seconds": 5,
                "reference_audios": ["https://example.com/ref.mp3"],
            },
            "reference inputs are unsupported on AtlasCloud KLING v3.0 models",
        ),  # edge 17
    ],
)
async def test_edges_14_to_17_are_refused_before_any_upstream_call(
    client: httpx.AsyncClient, runtime: Any, body: dict[str, Any], text: str
) -> None:
    r = await create(client, **body)
    assert r.status_code == 400
    assert text in r.json()["error"]["message"]
    assert not runtime.journal.for_service("atlascloud")


@pytest.mark.parametrize("audio", [True, False])
async def test_edge_18_4k_is_billed_the_same_with_and_without_audio(
    client: httpx.AsyncClient, runtime: Any, audio: bool
) -> None:
    r = await create(client, model="atlascloud/kling-v3-0", size="3840x2160", seconds=5, audio=audio)
    assert r.status_code == 200, r.text
    seen, video = await watch(client, runtime, r.json()["id"])
    assert [s for s, _ in seen] == ["queued", "in_progress", "completed"]
    assert video["usage"] == {"cost": 2.1, "cost_details": {"video_output_cost": 2.1, "image_input_cost": 0}}


async def test_atlascloud_job_completes_and_content_is_proxied(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, model="kling-v3-0", size="1920x1080", seconds=10, audio=True)
    assert r.status_code == 200, r.text
    vid = r.json()["id"]
    seen, video = await watch(client, runtime, vid)
    assert [s for s, _ in seen] == ["queued", "in_progress", "completed"]
    assert seen[-1][1] <= 125  # std renders in 120 s; the worker polls every 5 s
    assert video["usage"]["cost"] == round(0.168 * 10, 6)
    assert video["content"][0]["url"].startswith("http://127.0.0.1:4001/v1/videos/logs/")
    r = await client.get(f"/v1/videos/{vid}/content", headers={**AUTH, "Range": "bytes=0-7"})
    assert r.status_code == 206 and r.content[4:8] == b"ftyp"
    assert r.headers["content-type"] == "video/mp4"
    polls = [e for e in runtime.journal.for_service("atlascloud") if e.path.startswith("/api/v1/model/prediction/")]
    assert polls and polls[0].response["data"]["status"] == "created"


# -- MiniMax ------------------------------------------------------------------------------------------


async def test_minimax_v1_hailuo_end_to_end(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, model="minimax-hailuo-2-3", size="1920x1080", seconds=10, image=PNG)
    assert r.status_code == 200, r.text
    vid = r.json()["id"]
    body = posts(runtime, "minimax", "/v1/video_generation")[0].body
    assert body["model"] == "MiniMax-Hailuo-2.3"
    assert (body["resolution"], body["duration"]) == ("1080P", 6)  # 1080P caps the duration at 6
    assert body["first_frame_image"].startswith("data:image/png;base64,")
    seen, video = await watch(client, runtime, vid)
    # The gateway reads every non-terminal MiniMax status (Preparing, Queueing, Processing) as in_progress.
    assert [s for s, _ in seen] == ["queued", "in_progress", "completed"]
    assert video["usage"]["cost"] == round(0.0817 * 10, 6)
    # No content URL, storage URI or inline bytes: the object has no `content` (§3), /content streams.
    assert "content" not in video
    queries = [e for e in runtime.journal.for_service("minimax") if e.path == "/v1/query/video_generation"]
    assert queries[-1].response["status"] == "Success" and queries[-1].response["file_id"]
    # Content is streamed from the provider (§1.5), with the gateway's own key and the caller's range.
    r = await client.get(f"/v1/videos/{vid}/content", headers={**AUTH, "Range": "bytes=0-7"})
    assert r.status_code == 206 and r.content[4:8] == b"ftyp"
    streamed = runtime.journal.for_service("minimax")[-1]
    assert streamed.path.startswith("/_vidmock/content/")
    assert streamed.headers["range"] == "bytes=0-7" and streamed.headers["authorization"] != AUTH["Authorization"]
    full = await client.get(f"/v1/videos/{vid}/content", headers=AUTH)
    assert full.status_code == 200 and int(full.headers["content-length"]) == len(full.content)


async def test_minimax_v2_h3_max_end_to_end(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, model="minimax-h3-max", size="768x1366", seconds=8)
    assert r.status_code == 200, r.text
    vid = r.json()["id"]
    body = posts(runtime, "minimax", "/v2/video_generation")[0].body
    assert body == {
        "model": "MiniMax-H3-Max",
        "content": [{"type": "text", "text": "a lighthouse at dusk"}],
        "resolution": "768P",
        "duration": 8,
        "ratio": "9:16",
    }
    seen, video = await watch(client, runtime, vid)
    assert [s for s, _ in seen] == ["queued", "in_progress", "completed"]
    assert video["usage"]["cost"] == round(0.08 * 8, 6)
    assert any(e.path.startswith("/v2/query/video_generation/") for e in runtime.journal.for_service("minimax"))
    r = await client.get(f"/v1/videos/{vid}/content", headers={**AUTH, "Range": "bytes=0-7"})
    assert r.status_code == 206 and r.content[4:8] == b"ftyp"


async def test_minimax_v2_frames_send_adaptive_ratio(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, model="minimax-h3-max", size="848x480", seconds=5, image=PNG, last_frame=PNG)
    assert r.status_code == 200, r.text
    body = posts(runtime, "minimax", "/v2/video_generation")[0].body
    assert (body["ratio"], body["resolution"]) == ("adaptive", "480P")
    assert [item.get("role") for item in body["content"]] == [None, "first_frame", "last_frame"]


async def test_minimax_v2_polled_on_the_v1_route_when_chosen(make_app: Callable[..., Any]) -> None:
    app = make_app(config_for_tests(), plugins=registry.replacing(make_plugin(MinimaxOptions(v2_poll="v1"))))
    runtime = app.state.vidmock
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as c:
        r = await create(c, model="minimax-h3-max", size="1366x768", seconds=5)
        assert r.status_code == 200, r.text
        seen, video = await watch(c, runtime, r.json()["id"])
        assert [s for s, _ in seen] == ["queued", "in_progress", "completed"]
        paths = {e.path for e in runtime.journal.for_service("minimax")}
        assert "/v1/query/video_generation" in paths
        assert not any(p.startswith("/v2/query/") for p in paths)
        content = await c.get(f"/v1/videos/{video['id']}/content", headers=AUTH)  # streamed: no content URL
        assert content.status_code == 200 and content.content[4:8] == b"ftyp"


# -- scenarios ------------------------------------------------------------------------------------------


async def test_scenario_minimax_base_resp_error(client: httpx.AsyncClient, runtime: Any) -> None:
    headers = {"X-Vidmock-Scenario": "minimax-base-resp-error"}
    r = await create(client, headers, model="minimax-hailuo-2-3", size="1280x720", seconds=6)
    assert r.status_code == 502
    assert r.json()["error"] == {
        "message": "MiniMax video API error: rate limit, please retry later (code 1002)",
        "type": "api_error",
        "param": None,
        "code": None,
    }
    first = posts(runtime, "minimax", "/v1/video_generation")[0]
    assert first.status == 200 and first.response["base_resp"]["status_code"] == 1002
    r = await create(client, headers, model="minimax-hailuo-2-3", size="1280x720", seconds=6)
    assert r.status_code == 200, r.text
    seen, video = await watch(client, runtime, r.json()["id"])
    assert [s for s, _ in seen] == ["queued", "in_progress", "completed"]


async def test_scenario_kling_long_queue(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(
        client, {"X-Vidmock-Scenario": "kling-long-queue"}, model="atlascloud/kling-v3-0", size="1280x720", seconds=5
    )
    assert r.status_code == 200, r.text
    seen, video = await watch(client, runtime, r.json()["id"])
    assert [s for s, _ in seen] == ["queued", "in_progress", "completed"]
    (_, started), (_, done) = seen[1], seen[2]
    assert 1200 <= started <= 1210 and 1350 <= done <= 1360  # one 5 s worker poll late at most
    assert video["error"] is None and video["usage"]["cost"] == round(0.126 * 5, 6)
    statuses = [
        e.response["data"]["status"]
        for e in runtime.journal.for_service("atlascloud")
        if e.path.startswith("/api/v1/model/prediction/")
    ]
    assert statuses[0] == "created" and statuses[-1] == "completed" and "processing" in statuses


async def test_scenario_minimax_fail_late(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(
        client, {"X-Vidmock-Scenario": "minimax-fail-late"}, model="minimax-hailuo-2-3", size="1280x720", seconds=6
    )
    assert r.status_code == 200, r.text
    vid = r.json()["id"]
    seen, video = await watch(client, runtime, vid)
    assert [s for s, _ in seen] == ["queued", "in_progress", "failed"]
    assert 200 <= seen[-1][1] <= 210
    assert video["error"] == {
        "code": "1027",
        "message": "generated video contains sensitive content",
        "details": {"status_code": 1027, "status_msg": "generated video contains sensitive content"},
    }
    assert video["usage"]["cost"] == 0
    last = [e for e in runtime.journal.for_service("minimax") if e.path == "/v1/query/video_generation"][-1]
    assert last.response["status"] == "Fail"
    r = await client.get(f"/v1/videos/{vid}/content", headers=AUTH)
    assert r.status_code == 409 and r.json()["error"]["message"] == "Video is not ready yet. Current status: failed"
