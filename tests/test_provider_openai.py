"""The OpenAI Videos (Sora 2) emulator and the gateway's client for it (providers.md §1,
gateway.md §5.3 "OpenAI (Sora)" and §6), driven in-process on the virtual clock."""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import av
import httpx
import pytest
from conftest import make_ctx

from vidmock.clock import Clock
from vidmock.gateway.domain.catalogue import Mapping
from vidmock.gateway.domain.request import CreateRequest
from vidmock.media import MediaCache
from vidmock.providers.base import EmulatorContext, PreparedImage, SubmitContext, UpstreamError
from vidmock.providers.openai import PLUGIN
from vidmock.providers.openai.client import OpenAIClient
from vidmock.providers.openai.models import CONTENT_FILTER_MARKER, KIND, MODERATION_MARKER, default_latency

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:The Sora API is scheduled:DeprecationWarning")]

AUTH = {"Authorization": "Bearer sk-test"}
# 1x1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass
class Env:
    ctx: EmulatorContext
    app: Any
    http: httpx.AsyncClient

    @property
    def clock(self) -> Clock:
        return self.ctx.clock


@contextlib.asynccontextmanager
async def env_for(media: MediaCache, **config: Any) -> AsyncIterator[Env]:
    ctx = make_ctx(media, **config)
    app = PLUGIN.build_emulator(ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield Env(ctx, app, http)


@pytest.fixture
async def env(media: MediaCache) -> AsyncIterator[Env]:
    async with env_for(media) as e:
        yield e


async def create(env: Env, **body: Any) -> dict[str, Any]:
    r = await env.http.post("/v1/videos", json={"prompt": "a fox", **body}, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


async def get(env: Env, video_id: str) -> dict[str, Any]:
    r = await env.http.get(f"/v1/videos/{video_id}", headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


def error_of(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


FIELDS = {
    "id",
    "object",
    "model",
    "status",
    "progress",
    "created_at",
    "completed_at",
    "expires_at",
    "prompt",
    "seconds",
    "size",
    "remixed_from_video_id",
    "error",
}


# -- create -----------------------------------------------------------------------------------------
async def test_create_json_defaults_and_shape(env: Env) -> None:
    r = await env.http.post("/v1/videos", json={"prompt": "a fox"}, headers=AUTH)
    assert r.status_code == 200
    assert r.headers["x-request-id"].startswith("req_") and len(r.headers["x-request-id"]) == 36
    v = r.json()
    assert set(v) == FIELDS
    assert v["id"].startswith("video_") and len(v["id"]) == 54 and int(v["id"][6:], 16) >= 0
    assert v["object"] == "video" and v["model"] == "sora-2" and v["status"] == "queued" and v["progress"] == 0
    assert v["seconds"] == "4" and v["size"] == "720x1280" and v["prompt"] == "a fox"
    assert v["created_at"] == int(env.clock.now())
    assert v["completed_at"] is None and v["expires_at"] is None and v["error"] is None
    assert v["remixed_from_video_id"] is None
    plan = env.ctx.store.get(KIND, v["id"])["plan"]
    assert plan["scenario"] is None and plan["steps"] == [
        [0.0, "queued", 0],
        [5.625, "in_progress", 0],
        [56.25, "completed", 100],
    ]


async def test_create_multipart_with_input_reference(env: Env) -> None:
    r = await env.http.post(
        "/v1/videos",
        headers=AUTH,
        data={"prompt": "from a still", "model": "sora-2-pro", "seconds": "8", "size": "1792x1024"},
        files={"input_reference": ("input_reference_0.png", PNG, "image/png")},
    )
    assert r.status_code == 200, r.text
    v = r.json()
    assert (v["model"], v["seconds"], v["size"], v["status"]) == ("sora-2-pro", "8", "1792x1024", "queued")
    assert env.ctx.store.get(KIND, v["id"])["reference_count"] == 1


async def test_create_multipart_rejects_gif_reference(env: Env) -> None:
    r = await env.http.post(
        "/v1/videos",
        headers=AUTH,
        data={"prompt": "x"},
        files={"input_reference": ("a.gif", b"GIF89a" + b"\0" * 20, "image/gif")},
    )
    assert error_of(r, 400)["param"] == "input_reference"


async def test_create_json_input_reference_exactly_one(env: Env) -> None:
    ok = await create(env, input_reference={"image_url": "data:image/png;base64," + base64.b64encode(PNG).decode()})
    assert ok["status"] == "queued"
    r = await env.http.post(
        "/v1/videos", headers=AUTH, json={"prompt": "x", "input_reference": {"image_url": "u", "file_id": "file_1"}}
    )
    assert error_of(r, 400)["param"] == "input_reference"


@pytest.mark.parametrize(
    "body,status,param,message",
    [
        (
            {"prompt": "x", "seconds": "10"},
            400,
            "seconds",
            "Invalid value: '10'. Supported values are: '4', '8', and '12'.",
        ),
        (
            {"prompt": "x", "seconds": "16"},
            400,
            "seconds",
            "Invalid value: '16'. Supported values are: '4', '8', and '12'.",
        ),
        (
            {"prompt": "x", "seconds": 8},
            400,
            "seconds",
            "Invalid type for 'seconds': expected a string, but got an integer instead.",
        ),
        (
            {"prompt": "x", "size": "1792x1024"},
            400,
            "size",
            "Invalid value: '1792x1024'. Supported values are: '720x1280' and '1280x720'.",
        ),
        (
            {"prompt": "x", "size": "640x480", "model": "sora-2-pro"},
            400,
            "size",
            "Invalid value: '640x480'. Supported values are: '720x1280', '1280x720', '1024x1792', and '1792x1024'.",
        ),
        (
            {"prompt": "x", "size": "1920x1080", "model": "sora-2-pro"},
            400,
            "size",
            "Invalid value: '1920x1080'. Supported values are: '720x1280', '1280x720', '1024x1792', and '1792x1024'.",
        ),
        ({"seconds": "4"}, 400, "prompt", "Missing required parameter: 'prompt'."),
        (
            {"prompt": ""},
            400,
            "prompt",
            "Invalid 'prompt': string too short. Expected a string with minimum length 1, but got an empty string instead.",
        ),
        (
            {"prompt": "x" * 32001},
            400,
            "prompt",
            "Invalid 'prompt': string too long. Expected a string with maximum length 32000, but got a string with length 32001 instead.",
        ),
        (
            {"prompt": "x", "model": "sora-3"},
            404,
            "model",
            "The model `sora-3` does not exist or you do not have access to it.",
        ),
        ({"prompt": "x", "n": 2}, 400, "n", "Unknown parameter: 'n'."),
    ],
)
async def test_create_validation(env: Env, body: dict[str, Any], status: int, param: str, message: str) -> None:
    err = error_of(await env.http.post("/v1/videos", json=body, headers=AUTH), status)
    assert (err["param"], err["message"], err["type"]) == (param, message, "invalid_request_error")
    if param == "seconds" and "Invalid value" in message:
        assert err["code"] == "invalid_value"
    assert env.ctx.store.count(KIND) == 0


async def test_create_multipart_validation_text(env: Env) -> None:
    r = await env.http.post(
        "/v1/videos",
        headers=AUTH,
        data={"prompt": "x", "seconds": "10"},
        files={"input_reference": ("r.png", PNG, "image/png")},
    )
    assert error_of(r, 400)["message"] == "Invalid value: '10'. Supported values are: '4', '8', and '12'."


async def test_prompt_boundaries_accepted(env: Env) -> None:
    assert (await create(env, prompt="x" * 32000))["status"] == "queued"
    assert (await create(env, prompt="y", model="sora-2-2025-12-08", size="1280x720", seconds="12"))["seconds"] == "12"


async def test_extended_flag_accepts_newer_guide_values(media: MediaCache) -> None:
    async with env_for(media) as e:
        object.__setattr__(e.ctx.config, "openai_extended", True)  # a frozen config with the flag on
        e.app = PLUGIN.build_emulator(e.ctx)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=e.app), base_url="http://test") as http:
            r = await http.post(
                "/v1/videos",
                headers=AUTH,
                json={"prompt": "x", "model": "sora-2-pro", "size": "1920x1080", "seconds": "20"},
            )
            assert r.status_code == 200, r.text


async def test_bad_json(env: Env) -> None:
    r = await env.http.post("/v1/videos", content=b"{nope", headers={**AUTH, "content-type": "application/json"})
    assert "could not parse the JSON body" in error_of(r, 400)["message"]
    assert error_of(await env.http.post("/v1/videos", json=[1], headers=AUTH), 400)["code"] == "invalid_type"


# -- auth -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}])
async def test_auth_required(env: Env, headers: dict[str, str]) -> None:
    for method, path in [
        ("POST", "/v1/videos"),
        ("GET", "/v1/videos"),
        ("GET", "/v1/videos/video_x"),
        ("DELETE", "/v1/videos/video_x"),
        ("GET", "/v1/videos/video_x/content"),
    ]:
        r = await env.http.request(method, path, headers=headers, json={"prompt": "x"} if method == "POST" else None)
        err = error_of(r, 401)
        assert err["code"] == "invalid_api_key" and err["type"] == "invalid_request_error"
        assert err["message"].startswith("You didn't provide an API key.")
        assert r.headers["x-request-id"].startswith("req_")


# -- lifecycle --------------------------------------------------------------------------------------
async def test_lifecycle_on_virtual_clock(env: Env) -> None:
    v = await create(env, seconds="8")
    latency = default_latency("sora-2", 8)
    assert latency == 90.0
    seen: list[tuple[str, int]] = []
    for _ in range(int(latency) + 2):
        body = await get(env, v["id"])
        seen.append((body["status"], body["progress"]))
        await env.clock.advance(1)
    statuses = [s for s, _ in seen]
    assert statuses[0] == "queued" and statuses[-1] == "completed"
    # queued, then in_progress, then completed, never back
    order = {"queued": 0, "in_progress": 1, "completed": 2}
    assert [order[s] for s in statuses] == sorted(order[s] for s in statuses)
    assert statuses.count("queued") == 9  # 10 % of 90 s
    progresses = [p for _, p in seen]
    assert progresses == sorted(progresses), "progress never falls"
    in_progress = [p for s, p in seen if s == "in_progress"]
    assert in_progress[0] == 0 and max(in_progress) == 98 and len(set(in_progress)) > 50
    done = await get(env, v["id"])
    assert done["progress"] == 100 and done["error"] is None
    assert done["completed_at"] == v["created_at"] + 90 and done["expires_at"] == done["completed_at"] + 3600


async def test_lifecycle_is_time_not_polls(env: Env) -> None:
    v = await create(env, model="sora-2-pro", seconds="12", size="1024x1792")
    await env.clock.advance(default_latency("sora-2-pro", 12) - 1)
    assert (await get(env, v["id"]))["status"] == "in_progress"
    await env.clock.advance(1)
    assert (await get(env, v["id"]))["status"] == "completed"


async def test_retrieve_headers_and_404(env: Env) -> None:
    v = await create(env)
    r = await env.http.get(f"/v1/videos/{v['id']}", headers=AUTH)
    assert r.headers["openai-poll-after-ms"] == "10000"
    err = error_of(await env.http.get("/v1/videos/video_" + "0" * 48, headers=AUTH), 404)
    assert err["type"] == "invalid_request_error"


async def test_latency_from_config(media: MediaCache) -> None:
    async with env_for(media, latency={"sora-2": 20.0}) as e:
        v = await create(e)
        await e.clock.advance(1)
        assert (await get(e, v["id"]))["status"] == "queued"
        await e.clock.advance(1)
        assert (await get(e, v["id"]))["status"] == "in_progress"
        await e.clock.advance(18)
        assert (await get(e, v["id"]))["status"] == "completed"


async def test_moderation_blocked(env: Env) -> None:
    v = await create(env, prompt=f"a fox {MODERATION_MARKER}")
    assert v["status"] == "queued"
    await env.clock.advance(60)
    body = await get(env, v["id"])
    assert body["status"] == "failed" and body["error"]["code"] == "moderation_blocked"
    assert set(body["error"]) == {"code", "message"} and body["expires_at"] is None
    r = await env.http.get(f"/v1/videos/{v['id']}/content", headers=AUTH)
    assert error_of(r, 404)["type"] == "invalid_request_error"
    # a failed video can be deleted
    r = await env.http.delete(f"/v1/videos/{v['id']}", headers=AUTH)
    assert r.status_code == 200


async def test_content_filter_marker_fails_at_the_end(env: Env) -> None:
    v = await create(env, seconds="8", prompt=f"a fox {CONTENT_FILTER_MARKER}")
    assert env.ctx.store.get(KIND, v["id"])["plan"]["scenario"] == "sora-content-filter"
    await env.clock.advance(80)
    assert (await get(env, v["id"]))["status"] == "in_progress"
    await env.clock.advance(100)
    body = await get(env, v["id"])
    assert body["status"] == "failed" and body["error"]["code"] == "content_filter" and body["progress"] == 100


# -- list -------------------------------------------------------------------------------------------
async def test_list_pagination(env: Env) -> None:
    ids = []
    for i in range(5):
        ids.append((await create(env, prompt=f"p{i}"))["id"])
        await env.clock.advance(1)
    r = await env.http.get("/v1/videos", headers=AUTH)
    page = r.json()
    assert page["object"] == "list" and [v["id"] for v in page["data"]] == ids[::-1]
    assert page["first_id"] == ids[-1] and page["last_id"] == ids[0] and page["has_more"] is False
    r = await env.http.get("/v1/videos", params={"limit": 2, "order": "asc"}, headers=AUTH)
    page = r.json()
    assert [v["id"] for v in page["data"]] == ids[:2] and page["has_more"] is True
    r = await env.http.get("/v1/videos", params={"limit": 2, "order": "asc", "after": page["last_id"]}, headers=AUTH)
    page = r.json()
    assert [v["id"] for v in page["data"]] == ids[2:4] and page["has_more"] is True
    r = await env.http.get("/v1/videos", params={"limit": 2, "order": "asc", "after": page["last_id"]}, headers=AUTH)
    assert [v["id"] for v in r.json()["data"]] == ids[4:] and r.json()["has_more"] is False
    r = await env.http.get("/v1/videos", params={"limit": 0}, headers=AUTH)
    assert r.json() == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": True}
    r = await env.http.get("/v1/videos", params={"limit": 100}, headers=AUTH)
    assert len(r.json()["data"]) == 5


@pytest.mark.parametrize(
    "params,param,code",
    [
        ({"limit": "101"}, "limit", "integer_above_max_value"),
        ({"limit": "-1"}, "limit", "integer_below_min_value"),
        ({"limit": "ten"}, "limit", "invalid_type"),
        ({"order": "up"}, "order", "invalid_value"),
    ],
)
async def test_list_validation(env: Env, params: dict[str, str], param: str, code: str) -> None:
    err = error_of(await env.http.get("/v1/videos", params=params, headers=AUTH), 400)
    assert (err["param"], err["code"]) == (param, code)
    if param == "order":
        assert err["message"] == "Invalid value: 'up'. Supported values are: 'asc' and 'desc'."


# -- delete -----------------------------------------------------------------------------------------
async def test_delete_rules(env: Env) -> None:
    v = await create(env)
    for _ in range(2):  # queued, then in_progress
        err = error_of(await env.http.delete(f"/v1/videos/{v['id']}", headers=AUTH), 400)
        assert err["type"] == "invalid_request_error"
        await env.clock.advance(30)
    await env.clock.advance(100)
    r = await env.http.delete(f"/v1/videos/{v['id']}", headers=AUTH)
    assert r.status_code == 200 and r.json() == {"id": v["id"], "object": "video.deleted", "deleted": True}
    error_of(await env.http.get(f"/v1/videos/{v['id']}", headers=AUTH), 404)
    error_of(await env.http.delete(f"/v1/videos/{v['id']}", headers=AUTH), 404)
    assert (await env.http.get("/v1/videos", headers=AUTH)).json()["data"] == []


# -- content ----------------------------------------------------------------------------------------
async def test_content_video_ranges_and_variants(env: Env) -> None:
    v = await create(env, size="1280x720")
    r = await env.http.get(f"/v1/videos/{v['id']}/content", headers=AUTH)
    err = error_of(r, 404)
    assert "not ready" in err["message"]
    await env.clock.advance(200)
    r = await env.http.get(f"/v1/videos/{v['id']}/content", headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4" and r.headers["accept-ranges"] == "bytes"
    data = r.content
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)
        assert float(container.duration / 1_000_000) == pytest.approx(4, abs=0.1)
        assert container.streams.audio, "Sora renders audio"
    r = await env.http.get(f"/v1/videos/{v['id']}/content?variant=video", headers={**AUTH, "Range": "bytes=0-99"})
    assert r.status_code == 206 and r.content == data[:100]
    assert r.headers["content-range"] == f"bytes 0-99/{len(data)}"
    r = await env.http.get(f"/v1/videos/{v['id']}/content", headers={**AUTH, "Range": "bytes=-10"})
    assert r.status_code == 206 and r.content == data[-10:]
    r = await env.http.get(f"/v1/videos/{v['id']}/content", headers={**AUTH, "Range": f"bytes={len(data)}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{len(data)}"
    for variant in ("thumbnail", "spritesheet"):
        r = await env.http.get(f"/v1/videos/{v['id']}/content", params={"variant": variant}, headers=AUTH)
        assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
        assert r.content[:4] == b"RIFF" and r.content[8:12] == b"WEBP"
        again = await env.http.get(f"/v1/videos/{v['id']}/content", params={"variant": variant}, headers=AUTH)
        assert again.content == r.content
        with av.open(io.BytesIO(r.content)) as container:
            frame = next(container.decode(video=0))
            assert frame.width > 0 and frame.height > 0
    err = error_of(await env.http.get(f"/v1/videos/{v['id']}/content", params={"variant": "gif"}, headers=AUTH), 400)
    assert err["message"] == "Invalid value: 'gif'. Supported values are: 'video', 'thumbnail', and 'spritesheet'."


async def test_content_expires_after_an_hour(env: Env) -> None:
    v = await create(env)
    await env.clock.advance(default_latency("sora-2", 4) + 3600)
    err = error_of(await env.http.get(f"/v1/videos/{v['id']}/content", headers=AUTH), 404)
    assert err["message"] == "The video is no longer available. Downloads expire after 1 hours."


# -- remix ------------------------------------------------------------------------------------------
async def test_remix(env: Env) -> None:
    v = await create(env, model="sora-2-pro", size="1792x1024", seconds="8")
    err = error_of(await env.http.post(f"/v1/videos/{v['id']}/remix", json={"prompt": "bluer"}, headers=AUTH), 400)
    assert "completed" in err["message"]
    await env.clock.advance(1000)
    r = await env.http.post(f"/v1/videos/{v['id']}/remix", json={"prompt": "bluer"}, headers=AUTH)
    assert r.status_code == 200, r.text
    remix = r.json()
    assert remix["remixed_from_video_id"] == v["id"] and remix["id"] != v["id"] and remix["status"] == "queued"
    assert (remix["model"], remix["size"], remix["seconds"], remix["prompt"]) == (
        "sora-2-pro",
        "1792x1024",
        "8",
        "bluer",
    )
    r = await env.http.post(
        f"/v1/videos/{v['id']}/remix",
        data={"prompt": "greener"},
        headers=AUTH,
        files={"unused": ("x.txt", b"x", "text/plain")},
    )
    assert error_of(r, 400)["code"] == "unknown_parameter"
    error_of(await env.http.post(f"/v1/videos/{v['id']}/remix", json={}, headers=AUTH), 400)
    error_of(await env.http.post("/v1/videos/video_nope/remix", json={"prompt": "x"}, headers=AUTH), 404)


async def test_journal_records_requests(env: Env) -> None:
    await create(env)
    entries = env.ctx.journal.for_service("openai")
    assert [(e.method, e.path, e.status) for e in entries] == [("POST", "/v1/videos", 200)]
    assert entries[0].body == {"prompt": "a fox"}


# -- the gateway's client ---------------------------------------------------------------------------
def submit_ctx(
    model: str = "sora-2", size: str | None = "1280x720", seconds: int = 8, references: tuple[PreparedImage, ...] = ()
) -> SubmitContext:
    mapping = Mapping(
        provider="openai",
        external_id=model,
        sizes=(),
        durations=(),
        supports_audio=True,
        supports_silent=False,
        per_second_price={"default": 0.1},
    )
    return SubmitContext(
        request=CreateRequest(prompt="a fox", seconds=seconds, model=model, size=size),
        mapping=mapping,
        request_id="req-1",
        references=references,
    )


async def test_client_submit_poll_content(env: Env) -> None:
    client = PLUGIN.build_client(env.ctx.config)
    result = await client.submit(env.http, submit_ctx())
    assert result.upstream_id.startswith("video_") and result.status == "queued" and result.progress == 0
    sent = env.ctx.journal.for_service("openai")[-1]
    assert sent.body == {"model": "sora-2", "prompt": "a fox", "size": "1280x720", "seconds": "8"}
    assert sent.headers["x-request-id"] == "req-1"
    last = -1
    for _ in range(30):
        poll = await client.poll(env.http, result.upstream_id, {})
        assert poll.progress is not None and poll.progress >= last
        last = poll.progress
        if poll.status == "completed":
            break
        await env.clock.advance(5)
    assert poll.status == "completed" and poll.progress == 100 and poll.error is None
    assert poll.expires_at == poll.completed_at + 3600
    path = client.content_path(result.upstream_id)
    assert path == f"/v1/videos/{result.upstream_id}/content"
    assert (await env.http.get(path)).status_code == 401
    r = await env.http.get(path, headers=client.content_headers())
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"


async def test_client_multipart_references(env: Env) -> None:
    client = OpenAIClient()
    refs = (PreparedImage("image/png", base64.b64encode(PNG).decode(), "data"),)
    result = await client.submit(env.http, submit_ctx(size="720x1280", seconds=4, references=refs))
    assert env.ctx.store.get(KIND, result.upstream_id)["reference_count"] == 1


async def test_client_failure_and_errors(env: Env) -> None:
    client = OpenAIClient()
    with pytest.raises(UpstreamError) as info:
        await client.submit(env.http, submit_ctx(seconds=10))
    assert (info.value.status, info.value.message) == (
        400,
        "Invalid value: '10'. Supported values are: '4', '8', and '12'.",
    )
    with pytest.raises(UpstreamError) as info:
        await client.submit(env.http, submit_ctx(model="sora-2", size="1792x1024"))
    assert info.value.status == 400
    ctx = submit_ctx()
    ctx = SubmitContext(
        request=CreateRequest(prompt=f"x {MODERATION_MARKER}", seconds=4, model="sora-2", size="1280x720"),
        mapping=ctx.mapping,
        request_id="r",
    )
    result = await client.submit(env.http, ctx)
    await env.clock.advance(60)
    poll = await client.poll(env.http, result.upstream_id, {})
    assert poll.status == "failed" and poll.error is not None
    assert poll.error["code"] == "moderation_blocked" and poll.error["details"]["code"] == "moderation_blocked"


async def test_client_missing_id() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"object": "video", "status": "queued"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x") as http:
        with pytest.raises(UpstreamError) as info:
            await OpenAIClient().submit(http, submit_ctx())
    assert (info.value.status, info.value.message) == (502, "OpenAI video response did not include an id")


# -- the official SDK ---------------------------------------------------------------------------------
async def test_official_sdk(env: Env) -> None:
    openai = pytest.importorskip("openai")
    transport = httpx.ASGITransport(app=env.app)
    async with httpx.AsyncClient(transport=transport) as http:
        client = openai.AsyncOpenAI(base_url="http://test/v1", api_key="x", http_client=http, max_retries=0)
        video = await client.videos.create(prompt="a fox", model="sora-2", seconds="8", size="1280x720")
        assert video.id.startswith("video_") and video.status == "queued" and video.seconds == "8"
        await env.clock.advance(30)
        video = await client.videos.retrieve(video.id)
        assert video.status == "in_progress" and 0 < video.progress < 100
        with pytest.raises(openai.BadRequestError) as info:
            await client.videos.create(prompt="a fox", seconds="10")  # type: ignore[arg-type]
        assert info.value.body["message"] == "Invalid value: '10'. Supported values are: '4', '8', and '12'."
        with pytest.raises(openai.BadRequestError):
            await client.videos.delete(video.id)
        await env.clock.advance(100)
        video = await client.videos.retrieve(video.id)
        assert video.status == "completed" and video.completed_at is not None
        second = await client.videos.create(prompt="another", input_reference=("r.png", PNG, "image/png"))
        ids = [v.id async for v in client.videos.list(limit=1)]
        assert ids == [second.id, video.id]
        content = await client.videos.download_content(video.id)
        assert content.content[4:8] == b"ftyp"
        thumb = await client.videos.download_content(video.id, variant="thumbnail")
        assert thumb.content[:4] == b"RIFF"
        remix = await client.videos.remix(video.id, prompt="bluer")
        assert remix.remixed_from_video_id == video.id
        deleted = await client.videos.delete(video.id)
        assert deleted.deleted is True and deleted.id == video.id
        with pytest.raises(openai.NotFoundError):
            await client.videos.retrieve(video.id)
        bad = openai.AsyncOpenAI(base_url="http://test/v1", api_key=" ", http_client=http, max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            await bad.videos.retrieve(second.id)


# -- edits, extensions, characters; sizes and snapshots; the shutdown (changes-2026-12.md §4.1) --------

MP4_UPLOAD = ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(32), "video/mp4")


async def test_edit_and_extend_a_completed_video_by_id(env: Env) -> None:
    source = await create(env, seconds="8", size="1280x720")
    r = await env.http.post("/v1/videos/edits", json={"prompt": "bluer", "video": {"id": source["id"]}}, headers=AUTH)
    assert error_of(r, 400)["message"] == (
        f"Video '{source['id']}' cannot be used as a source while its status is 'queued'. "
        "Only completed videos can be edited or extended."
    )
    await env.clock.advance(200)
    r = await env.http.post("/v1/videos/edits", json={"prompt": "bluer", "video": {"id": source["id"]}}, headers=AUTH)
    assert r.status_code == 200, r.text
    edited = r.json()
    assert (edited["status"], edited["seconds"], edited["size"], edited["model"]) == (
        "queued",
        "8",
        "1280x720",
        "sora-2",
    )
    r = await env.http.post(
        "/v1/videos/extensions", data={"prompt": "and then", "seconds": "4", "video[id]": source["id"]}, headers=AUTH
    )
    assert r.status_code == 200, r.text
    assert r.json()["seconds"] == "12"  # the source's 8 s and the new 4 s segment


@pytest.mark.parametrize(
    "path,body,status,message",
    [
        ("extensions", {"prompt": "x", "video": {"id": "video_1"}}, 400, "Missing required parameter: 'seconds'."),
        (
            "extensions",
            {"prompt": "x", "seconds": "24", "video": {"id": "video_1"}},
            400,
            "Invalid value: '24'. Supported values are: '4', '8', '12', '16', and '20'.",
        ),
        ("edits", {"prompt": "x"}, 400, "Missing required parameter: 'video'."),
        ("edits", {"video": {"id": "video_1"}}, 400, "Missing required parameter: 'prompt'."),
        ("edits", {"prompt": "x", "video": {"id": "video_nope"}}, 404, "Video with id 'video_nope' not found."),
        ("edits", {"prompt": "x", "video": {"id": "v"}, "model": "sora-2"}, 400, "Unknown parameter: 'model'."),
        ("characters", {"video": "x"}, 400, "Missing required parameter: 'name'."),
        ("characters", {"name": "Bob"}, 400, "Missing required parameter: 'video'."),
    ],
)
async def test_edit_extension_and_character_errors(
    env: Env, path: str, body: dict[str, Any], status: int, message: str
) -> None:
    r = await env.http.post(f"/v1/videos/{path}", json=body, headers=AUTH)
    assert error_of(r, status)["message"] == message


async def test_a_character_is_kept(env: Env) -> None:
    r = await env.http.post(
        "/v1/videos/characters", data={"name": "Bob"}, files={"video": ("b.png", PNG, "image/png")}, headers=AUTH
    )
    assert error_of(r, 400)["message"].startswith("Invalid file format for 'video': 'image/png'.")
    r = await env.http.post("/v1/videos/characters", data={"name": "Bob"}, files={"video": MP4_UPLOAD}, headers=AUTH)
    character = r.json()
    assert character["id"].startswith("char_") and character["name"] == "Bob"
    again = await env.http.get(f"/v1/videos/characters/{character['id']}", headers=AUTH)
    assert again.json() == character
    missing = await env.http.get("/v1/videos/characters/char_0", headers=AUTH)
    assert error_of(missing, 404)["message"] == "Character with id 'char_0' not found."


async def test_snapshot_ids_and_pro_1080p_sizes(media: MediaCache) -> None:
    async with env_for(media, openai_extended=True) as e:
        for model, size in (
            ("sora-2-pro", "1920x1080"),
            ("sora-2-pro", "1080x1920"),
            ("sora-2-2025-12-08", "1280x720"),
        ):
            video = await create(e, model=model, size=size, seconds="20")
            assert (video["model"], video["size"], video["seconds"]) == (model, size, "20")
        r = await e.http.post("/v1/videos", json={"prompt": "x", "model": "sora-2", "size": "1920x1080"}, headers=AUTH)
        assert error_of(r, 400)["param"] == "size"  # 1080p is sora-2-pro's


async def test_after_the_shutdown(media: MediaCache) -> None:
    async with env_for(media, openai_shutdown=True) as e:
        r = await e.http.post("/v1/videos", json={"prompt": "x", "model": "sora-2-pro"}, headers=AUTH)
        assert error_of(r, 404) == {
            "message": "The model `sora-2-pro` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
        r = await e.http.post(
            "/v1/videos", data={"prompt": "x"}, files={"input_reference": ("r.png", PNG, "image/png")}, headers=AUTH
        )
        assert error_of(r, 404)["message"] == "The model `sora-2` does not exist or you do not have access to it."
        for method, path in (("GET", "/v1/videos"), ("GET", "/v1/videos/video_1"), ("POST", "/v1/videos/edits")):
            r = await e.http.request(method, path, headers=AUTH)
            assert error_of(r, 404)["message"] == f"Invalid URL ({method} {path})"
        assert (await e.http.post("/v1/moderations", json={"input": "hi"}, headers=AUTH)).status_code == 200


async def test_official_sdk_edits_extensions_characters(env: Env) -> None:
    openai = pytest.importorskip("openai")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=env.app)) as http:
        client = openai.AsyncOpenAI(base_url="http://test/v1", api_key="x", http_client=http, max_retries=0)
        with pytest.warns(DeprecationWarning, match="shut down on September 24, 2026"):
            edited = await client.videos.edit(prompt="bluer", video=MP4_UPLOAD)
        assert edited.status == "queued" and edited.seconds == "8" and edited.size == "1280x720"
        extended = await client.videos.extend(prompt="and then", seconds="16", video=MP4_UPLOAD)
        assert extended.seconds == "24"
        character = await client.videos.create_character(name="Bob", video=MP4_UPLOAD)
        assert character.id and character.name == "Bob"
        fetched = await client.videos.get_character(character.id)
        assert (fetched.id, fetched.name, fetched.created_at) == (character.id, "Bob", character.created_at)
        await env.clock.advance(600)
        done = await client.videos.retrieve(extended.id)
        assert done.status == "completed"
        with pytest.raises(openai.BadRequestError):
            await client.videos.extend(prompt="x", seconds="24", video=MP4_UPLOAD)
