"""The ByteDance Seedance (ModelArk) emulator and the gateway's client for it (providers.md §4,
gateway.md §5.3 ByteDance)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
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
from vidmock.providers.bytedance import PLUGIN
from vidmock.providers.bytedance.models import KIND

pytestmark = pytest.mark.anyio

TASKS = "/api/v3/contents/generations/tasks"
AUTH = {"Authorization": "Bearer ark-test-key"}
BASE = "http://127.0.0.1:4001/providers/bytedance"
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
LITE = "seedance-1-0-lite-t2v-250428"  # 30 s running, 5 s queued
S20 = "dreamina-seedance-2-0-260128"


@pytest.fixture
def ctx(media: MediaCache) -> EmulatorContext:
    return make_ctx(media)


@pytest.fixture
async def ark(ctx: EmulatorContext) -> AsyncIterator[httpx.AsyncClient]:
    app = PLUGIN.build_emulator(ctx)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bytedance.test", headers=AUTH
    ) as c:
        yield c


def body(model: str = LITE, prompt: str = "a red fox in snow", **extra: Any) -> dict[str, Any]:
    return {"model": model, "content": [{"type": "text", "text": prompt}], **extra}


async def create(ark: httpx.AsyncClient, **kw: Any) -> str:
    r = await ark.post(TASKS, json=body(**kw))
    assert r.status_code == 200, r.text
    return r.json()["id"]


def error_of(r: httpx.Response) -> dict[str, Any]:
    err = r.json()["error"]
    message, _, rid = err["message"].partition(" Request id: ")
    assert rid and rid.startswith("0217") and r.headers["x-request-id"] == rid
    return {**err, "message": message}


# -- create -----------------------------------------------------------------------------------------


async def test_create_returns_dated_task_id_and_stores_record(ark: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    r = await ark.post(TASKS, json=body(callback_url="https://hooks.example/ark"))
    assert r.status_code == 200 and set(r.json()) == {"id"}
    tid = r.json()["id"]
    assert tid.startswith("cgt-20260315184000-") and len(tid) == len("cgt-20260315184000-fgl09")
    doc = ctx.store.get(KIND, tid)
    assert doc["callback_url"] == "https://hooks.example/ark"
    assert doc["plan"]["scenario"] is None and doc["plan"]["steps"] == [
        [0.0, "queued", None],
        [5.0, "in_progress", None],
        [35.0, "completed", None],
    ]
    assert r.headers["x-request-id"].startswith("0217")


@pytest.mark.parametrize(
    "payload, status, code, param, message",
    [
        (
            {"content": []},
            400,
            "MissingParameter",
            "model",
            "The request failed because it is missing the required parameter `model`.",
        ),
        (
            {"model": "seedance-9-9-pro", "content": []},
            404,
            "InvalidEndpointOrModel.NotFound",
            "model",
            "The model or endpoint seedance-9-9-pro does not exist or you do not have access to it.",
        ),
        (
            {"model": LITE},
            400,
            "MissingParameter",
            "content",
            "The request failed because it is missing the required parameter `content`.",
        ),
        (
            {"model": LITE, "content": [{"type": "draft_task", "draft_task": {"id": "cgt-x"}}]},
            400,
            "InvalidParameter",
            "content[0].type",
            "The parameter `content[0].type` specified in the request is not valid: unsupported content "
            "type 'draft_task'; expected text, image_url, video_url or audio_url.",
        ),
        (
            body(duration=13),
            400,
            "InvalidParameter",
            "duration",
            "The parameter `duration` specified in the request is not valid: expected an integer between 2 and 12, "
            "but received 13.",
        ),
        (
            body(S20, duration=3),
            400,
            "InvalidParameter",
            "duration",
            "The parameter `duration` specified in the request is not valid: expected an integer between 4 and 15, "
            "but received 3.",
        ),
        (
            body(ratio="2:1"),
            400,
            "InvalidParameter",
            "ratio",
            "The parameter `ratio` specified in the request is not valid: expected one of 16:9, 4:3, 1:1, 3:4, 9:16, "
            "21:9, adaptive, but received '2:1'.",
        ),
        (
            body("dreamina-seedance-2-0-fast-260128", resolution="1080p"),
            400,
            "InvalidParameter",
            "resolution",
            "The parameter `resolution` specified in the request is not valid: expected one of 480p, 720p, "
            "but received '1080p'.",
        ),
        (
            body(generate_audio=True),
            400,
            "InvalidParameter",
            "generate_audio",
            "The parameter `generate_audio` specified in the request is not valid: the model does not support audio "
            "generation.",
        ),
        (
            body(seed=-2),
            400,
            "InvalidParameter",
            "seed",
            "The parameter `seed` specified in the request is not valid: expected an integer between -1 and 4294967295, "
            "but received -2.",
        ),
        (
            body(callback_url="ftp://x"),
            400,
            "InvalidParameter",
            "callback_url",
            "The parameter `callback_url` specified in the request is not valid: expected a http(s) URL.",
        ),
        (
            body(execution_expires_after=60),
            400,
            "InvalidParameter",
            "execution_expires_after",
            "The parameter `execution_expires_after` specified in the request is not valid: expected an integer between "
            "3600 and 259200, but received 60.",
        ),
    ],
)
async def test_create_validation(
    ark: httpx.AsyncClient,
    ctx: EmulatorContext,
    payload: dict[str, Any],
    status: int,
    code: str,
    param: str,
    message: str,
) -> None:
    r = await ark.post(TASKS, json=payload)
    assert r.status_code == status
    err = error_of(r)
    assert err == {
        "code": code,
        "message": message,
        "param": param,
        "type": "NotFound" if status == 404 else "BadRequest",
    }
    assert ctx.store.count(KIND) == 0


def _item(kind: str, url: str, role: str) -> dict[str, Any]:
    return {"type": kind, kind: {"url": url}, "role": role}


@pytest.mark.parametrize(
    "model, items, message",
    [
        (
            S20,
            [_item("video_url", "data:video/mp4;base64,AAAA", "reference_video")],
            "`content[1].video_url.url` specified in the request is not valid: reference_video must be provided as a web url.",
        ),
        (
            S20,
            [_item("image_url", PNG, "first_frame"), _item("image_url", PNG, "reference_image")],
            "`content` specified in the request is not valid: first_frame/last_frame and reference inputs cannot be used "
            "together.",
        ),
        (
            S20,
            [_item("image_url", PNG, "reference_image")] * 10,
            "`content` specified in the request is not valid: at most 9 reference images are allowed, but received 10.",
        ),
        (
            S20,
            [_item("video_url", "https://v.example/a.mp4", "reference_video")] * 4,
            "`content` specified in the request is not valid: at most 3 reference videos are allowed, but received 4.",
        ),
        (
            S20,
            [_item("audio_url", "https://a.example/a.mp3", "reference_audio")],
            "`content` specified in the request is not valid: reference_audio requires at least one reference image or "
            "video.",
        ),
        (
            "seedance-1-5-pro-251215",
            [_item("video_url", "https://v.example/a.mp4", "reference_video")],
            "`content` specified in the request is not valid: the model does not support reference_video or "
            "reference_audio inputs.",
        ),
        (
            "seedance-1-0-pro-fast-250528",
            [_item("image_url", PNG, "first_frame"), _item("image_url", PNG, "last_frame")],
            "`content` specified in the request is not valid: the model does not support last_frame images.",
        ),
        (
            S20,
            [_item("image_url", PNG, "cover")],
            "`content[1].role` specified in the request is not valid: role 'cover' is not valid for image_url; "
            "expected first_frame or last_frame or reference_image.",
        ),
        (
            S20,
            [_item("image_url", "data:image/svg;base64,AAAA", "first_frame")],
            "`content[1].image_url.url` specified in the request is not valid: unsupported image format svg; supported "
            "formats are jpeg, jpg, png, webp, bmp, tiff, gif.",
        ),
    ],
)
async def test_content_item_rules(
    ark: httpx.AsyncClient, model: str, items: list[dict[str, Any]], message: str
) -> None:
    payload = body(model)
    payload["content"] += items
    r = await ark.post(TASKS, json=payload)
    assert r.status_code == 400
    err = error_of(r)
    assert err["code"] == "InvalidParameter" and err["message"] == f"The parameter {message}"


async def test_seedance_2_references_accepted(ark: httpx.AsyncClient) -> None:
    payload = body("dreamina-seedance-2-0-fast-260128")
    payload["content"] += [_item("image_url", PNG, "reference_image")] * 9
    payload["content"] += [
        _item("video_url", "https://v.example/a.mp4", "reference_video"),
        _item("audio_url", "https://a.example/a.mp3", "reference_audio"),
    ]
    assert (await ark.post(TASKS, json=payload)).status_code == 200
    # 2.5 takes up to 30 s (gateway edge case 21).
    assert (
        await ark.post(TASKS, json=body("dreamina-seedance-2-5-260628", duration=30, resolution="480p"))
    ).status_code == 200
    assert (await ark.post(TASKS, json=body("dreamina-seedance-2-5-260628", duration=31))).status_code == 400


async def test_auth(ark: httpx.AsyncClient) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer  "}, {"Authorization": "Basic abc"}):
        r = await ark.post(TASKS, json=body(), headers=headers)
        assert r.status_code == 401
        assert error_of(r) == {
            "code": "AuthenticationError",
            "param": "",
            "type": "Unauthorized",
            "message": "The API key or AK/SK in the request is missing or invalid.",
        }
    tid = await create(ark)
    r = await ark.get(f"{TASKS}/{tid}", headers={"Authorization": ""})
    assert r.status_code == 401


async def test_invalid_json(ark: httpx.AsyncClient) -> None:
    r = await ark.post(TASKS, content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and error_of(r)["code"] == "InvalidParameter"


# -- lifecycle --------------------------------------------------------------------------------------


async def test_lifecycle_in_virtual_time(ark: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await create(ark, duration=4, seed=7)
    t0 = int(ctx.clock.now())
    task = (await ark.get(f"{TASKS}/{tid}")).json()
    assert task == {
        "id": tid,
        "model": LITE,
        "status": "queued",
        "created_at": t0,
        "updated_at": t0,
        "seed": 7,
        "resolution": "720p",
        "ratio": "16:9",
        "duration": 4,
        "framespersecond": 24,
        "frames": 97,
        "generate_audio": False,
        "draft": False,
        "service_tier": "default",
        "execution_expires_after": 172800,
        "priority": 0,
    }
    await ctx.clock.advance(5)
    task = (await ark.get(f"{TASKS}/{tid}")).json()
    assert (task["status"], task["updated_at"]) == ("running", t0 + 5)
    await ctx.clock.advance(29)
    assert (await ark.get(f"{TASKS}/{tid}")).json()["status"] == "running"
    await ctx.clock.advance(1)
    task = (await ark.get(f"{TASKS}/{tid}")).json()
    assert (task["status"], task["updated_at"]) == ("succeeded", t0 + 35)
    assert task["content"] == {"video_url": f"{BASE}/files/{tid}.mp4"}
    assert task["usage"] == {"completion_tokens": 1248 * 704 * 24 * 4 // 1024, "total_tokens": 82368}
    assert "error" not in task


async def test_latency_is_configurable(media: MediaCache) -> None:
    ctx = make_ctx(media, latency={LITE: 600.0})
    app = PLUGIN.build_emulator(ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b", headers=AUTH) as ark:
        tid = await create(ark)
        await ctx.clock.advance(5 + 599)
        assert (await ark.get(f"{TASKS}/{tid}")).json()["status"] == "running"
        await ctx.clock.advance(1)
        assert (await ark.get(f"{TASKS}/{tid}")).json()["status"] == "succeeded"


async def test_random_seed_is_resolved_deterministically(ark: httpx.AsyncClient) -> None:
    tid = await create(ark)
    seed = (await ark.get(f"{TASKS}/{tid}")).json()["seed"]
    assert 0 <= seed < 2**31


async def test_flex_tier_expires_when_never_started(ark: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await create(ark, service_tier="flex", execution_expires_after=3600)
    assert tid.startswith("cgt-batch-")
    await ctx.clock.advance(3599)
    assert (await ark.get(f"{TASKS}/{tid}")).json()["status"] == "queued"
    await ctx.clock.advance(1)
    task = (await ark.get(f"{TASKS}/{tid}")).json()
    assert task["status"] == "expired" and task["updated_at"] == int(ctx.clock.now())
    assert "content" not in task and "usage" not in task
    # With the default 48 h window the flex task does start after its long queue.
    tid2 = await create(ark, service_tier="flex")
    await ctx.clock.advance(7200 + 30)
    assert (await ark.get(f"{TASKS}/{tid2}")).json()["status"] == "succeeded"


# -- moderation -------------------------------------------------------------------------------------


async def test_input_moderation_is_a_400_and_creates_nothing(ark: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    r = await ark.post(TASKS, json=body(prompt="a fox [vidmock:input_moderation]"))
    assert r.status_code == 400
    assert error_of(r) == {
        "code": "InputTextSensitiveContentDetected",
        "param": "",
        "type": "BadRequest",
        "message": "The request failed because the input text may contain sensitive information.",
    }
    assert ctx.store.count(KIND) == 0


async def test_output_moderation_fails_late(ark: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await create(ark, prompt="a fox [vidmock:output_moderation]")
    assert ctx.store.get(KIND, tid)["plan"]["scenario"] == "seedance-output-moderation"
    await ctx.clock.advance(5 + 149)  # runs at least 150 s even on a 30 s model
    assert (await ark.get(f"{TASKS}/{tid}")).json()["status"] == "running"
    await ctx.clock.advance(1)
    task = (await ark.get(f"{TASKS}/{tid}")).json()
    assert task["status"] == "failed"
    assert task["error"] == {
        "code": "OutputVideoSensitiveContentDetected",
        "message": "The request failed because the output video may contain sensitive information.",
    }
    assert "content" not in task and "usage" not in task
    assert (await ark.get(f"/files/{tid}.mp4")).status_code == 404


# -- list -------------------------------------------------------------------------------------------


async def test_list_filters_and_pages(ark: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    a = await create(ark)
    await ctx.clock.advance(40)
    b = await create(ark, model=S20)
    c = await create(ark, service_tier="flex")
    r = await ark.get(TASKS)
    assert r.status_code == 200
    listing = r.json()
    assert listing["total"] == 3 and [t["id"] for t in listing["items"]] == [c, b, a]
    assert listing["items"][2]["status"] == "succeeded"

    async def ids(**params: Any) -> tuple[int, list[str]]:
        got = (await ark.get(TASKS, params=params)).json()
        return got["total"], [t["id"] for t in got["items"]]

    assert await ids(**{"filter.status": "succeeded"}) == (1, [a])
    assert await ids(**{"filter.status": "queued"}) == (2, [c, b])
    assert await ids(**{"filter.model": S20}) == (1, [b])
    assert await ids(**{"filter.service_tier": "flex"}) == (1, [c])
    assert await ids(**{"filter.task_ids": [a, c]}) == (2, [c, a])
    assert await ids(page_size=2) == (3, [c, b])
    assert await ids(page_size=2, page_num=2) == (3, [a])
    assert await ids(page_size=2, page_num=3) == (3, [])
    r = await ark.get(TASKS, params={"page_size": 0})
    assert r.status_code == 400 and error_of(r)["param"] == "page_size"
    r = await ark.get(TASKS, params={"filter.status": "done"})
    assert r.status_code == 400 and error_of(r)["param"] == "filter.status"


# -- cancel / delete --------------------------------------------------------------------------------


async def test_delete_cancels_queued(ark: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await create(ark)
    r = await ark.delete(f"{TASKS}/{tid}")
    assert r.status_code == 200 and r.json() == {}
    await ctx.clock.advance(100)
    task = (await ark.get(f"{TASKS}/{tid}")).json()
    assert task["status"] == "cancelled" and task["updated_at"] == task["created_at"]
    # A cancelled task is terminal: a second DELETE removes the record.
    assert (await ark.delete(f"{TASKS}/{tid}")).status_code == 200
    r = await ark.get(f"{TASKS}/{tid}")
    assert r.status_code == 404
    assert error_of(r) == {
        "code": "ResourceNotFound",
        "param": "id",
        "type": "NotFound",
        "message": f"The specified task {tid} is not found.",
    }


async def test_delete_running_is_refused_and_terminal_is_deleted(ark: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await create(ark)
    await ctx.clock.advance(10)
    r = await ark.delete(f"{TASKS}/{tid}")
    assert r.status_code == 400
    assert error_of(r)["message"] == (
        f"The parameter `id` specified in the request is not valid: the task {tid} "
        "is running and cannot be cancelled or deleted."
    )
    await ctx.clock.advance(30)
    assert (await ark.delete(f"{TASKS}/{tid}")).status_code == 200
    assert ctx.store.get(KIND, tid) is None
    assert (await ark.delete(f"{TASKS}/{tid}")).status_code == 404
    assert (await ark.get(f"/files/{tid}.mp4")).status_code == 404


# -- content URL ------------------------------------------------------------------------------------


async def test_video_url_serves_ranges_and_expires(
    ark: httpx.AsyncClient, ctx: EmulatorContext, media: MediaCache
) -> None:
    tid = await create(ark, duration=2)
    path = f"/files/{tid}.mp4"
    assert (await ark.get(path)).status_code == 404  # not produced yet
    await ctx.clock.advance(35)
    r = await ark.get(path, headers={"Authorization": ""})  # a signed URL: no API key needed
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    assert r.headers["accept-ranges"] == "bytes"
    data = r.content
    assert data[4:8] == b"ftyp"
    import io

    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (1248, 704)
        assert not container.streams.audio
    r = await ark.get(path, headers={"Range": "bytes=0-99"})
    assert r.status_code == 206 and r.content == data[:100]
    assert r.headers["content-range"] == f"bytes 0-99/{len(data)}"
    r = await ark.get(path, headers={"Range": "bytes=-10"})
    assert r.status_code == 206 and r.content == data[-10:]
    r = await ark.get(path, headers={"Range": f"bytes={len(data)}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{len(data)}"
    await ctx.clock.advance(24 * 3600 - 1)
    assert (await ark.get(path)).status_code == 200
    await ctx.clock.advance(1)
    r = await ark.get(path)
    assert r.status_code == 403 and r.json()["Code"] == "AccessDenied"
    # The task itself still reads succeeded with the (now stale) URL.
    assert (await ark.get(f"{TASKS}/{tid}")).json()["status"] == "succeeded"
    assert (await ark.get("/files/cgt-nope.mp4")).status_code == 404


async def test_journal_records_calls(ark: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    await create(ark)
    entries = ctx.journal.for_service("bytedance")
    assert [(e.method, e.path, e.status) for e in entries] == [("POST", TASKS, 200)]
    assert entries[0].body == body() and entries[0].headers["authorization"] != AUTH["Authorization"]


# -- the gateway's client ---------------------------------------------------------------------------

CAT = default_catalogue()


def submit_ctx(model: str, **request: Any) -> SubmitContext:
    req = CreateRequest(
        prompt=request.pop("prompt", "a lighthouse at dusk"), seconds=request.pop("seconds"), model=model, **request
    )
    first = prepare(req.image) if req.image else None
    last = prepare(req.last_frame) if req.last_frame else None
    return SubmitContext(
        request=req,
        mapping=CAT.resolve(model).mappings[0],
        request_id="req_1",
        first_frame=first,
        last_frame=last,
        references=tuple(prepare(i) for i in req.reference_images),
    )


@pytest.fixture
def client() -> Any:
    return PLUGIN.build_client(ServerConfig())


@pytest.fixture
async def http(ctx: EmulatorContext) -> AsyncIterator[httpx.AsyncClient]:
    app = PLUGIN.build_emulator(ctx)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bytedance.vidmock.internal"
    ) as c:
        yield c


def last_body(ctx: EmulatorContext) -> dict[str, Any]:
    posts = [e for e in ctx.journal.for_service("bytedance") if e.method == "POST"]
    return posts[-1].body


async def test_client_edge_21_seedance_2_5_480p_30s_reference_video(
    client: Any, http: httpx.AsyncClient, ctx: EmulatorContext
) -> None:
    sub = submit_ctx(
        "seedance-2-5", size="848x480", seconds=30, audio=False, reference_videos=("https://cdn.example/ref.mp4",)
    )
    result = await client.submit(http, sub)
    assert result.upstream_id.startswith("cgt-") and result.status == "queued" and result.progress == 0
    assert last_body(ctx) == {
        "model": "dreamina-seedance-2-5-260628",
        "content": [
            {"type": "text", "text": "a lighthouse at dusk"},
            {"type": "video_url", "video_url": {"url": "https://cdn.example/ref.mp4"}, "role": "reference_video"},
        ],
        "duration": 30,
        "ratio": "16:9",
        "generate_audio": False,
        "resolution": "480p",
    }
    entry = ctx.journal.for_service("bytedance")[-1]
    assert entry.headers["authorization"].startswith("Bear") and entry.status == 200


async def test_client_edge_36_frames(client: Any, http: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    sub = submit_ctx("seedance-2-0", seconds=5, image=ImageInput(PNG), last_frame=ImageInput(PNG))
    await client.submit(http, sub)
    sent = last_body(ctx)
    assert sent["ratio"] == "16:9" and sent["resolution"] == "720p"
    assert [(c["type"], c.get("role")) for c in sent["content"]] == [
        ("text", None),
        ("image_url", "first_frame"),
        ("image_url", "last_frame"),
    ]
    assert sent["content"][1]["image_url"]["url"] == PNG


async def test_client_edge_37_portrait_1080p(client: Any, http: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    await client.submit(http, submit_ctx("seedance-2-0", size="1080x1920", seconds=15))
    sent = last_body(ctx)
    assert (sent["ratio"], sent["resolution"], sent["duration"]) == ("9:16", "1080p", 15)


async def test_client_references_and_non_dreamina(client: Any, http: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    sub = submit_ctx(
        "seedance-2-0-fast",
        seconds=4,
        reference_images=(ImageInput(PNG),) * 9,
        reference_audios=("https://cdn.example/a.mp3",),
    )
    await client.submit(http, sub)
    sent = last_body(ctx)
    assert [c["role"] for c in sent["content"][1:]] == ["reference_image"] * 9 + ["reference_audio"]
    # seedance-1-5-pro's external id has no dreamina- prefix: no resolution is sent.
    await client.submit(http, submit_ctx("seedance-1-5-pro", size="1920x1080", seconds=10))
    sent = last_body(ctx)
    assert "resolution" not in sent and sent["model"] == "seedance-1-5-pro-251215"


async def test_client_polls_to_completion(client: Any, http: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    result = await client.submit(http, submit_ctx("seedance-2-0-fast", seconds=4, audio=False))
    poll = await client.poll(http, result.upstream_id, {})
    assert (poll.status, poll.progress, poll.content_url) == ("queued", None, None)
    await ctx.clock.advance(5)
    poll = await client.poll(http, result.upstream_id, {})
    assert (poll.status, poll.progress) == ("running", 50)
    await ctx.clock.advance(90)
    poll = await client.poll(http, result.upstream_id, {})
    assert (poll.status, poll.progress) == ("succeeded", 100)
    assert poll.content_url == f"{BASE}/files/{result.upstream_id}.mp4" and poll.error is None
    assert poll.raw["status"] == "succeeded"
    assert client.content_path(result.upstream_id) is None and client.content_headers() == {}
    r = await http.get(poll.content_url.removeprefix(BASE))
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"


async def test_client_poll_output_moderation(client: Any, http: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    result = await client.submit(http, submit_ctx("seedance-2-0", seconds=4, prompt="x [vidmock:output_moderation]"))
    await ctx.clock.advance(5 + 150)
    poll = await client.poll(http, result.upstream_id, {})
    assert (poll.status, poll.progress) == ("failed", 100)
    assert poll.error == {
        "code": "OutputVideoSensitiveContentDetected",
        "message": "The request failed because the output video may contain sensitive information.",
        "details": {
            "code": "OutputVideoSensitiveContentDetected",
            "message": "The request failed because the output video may contain sensitive information.",
        },
    }


async def test_client_submit_errors(client: Any, http: httpx.AsyncClient) -> None:
    with pytest.raises(UpstreamError) as info:
        await client.submit(http, submit_ctx("seedance-2-0", seconds=4, prompt="[vidmock:input_moderation]"))
    assert info.value.status == 400
    assert info.value.message.startswith(
        "The request failed because the input text may contain sensitive information. Request id: 0217"
    )
    with pytest.raises(PollFailure, match="404 Not Found"):
        await client.poll(http, "cgt-missing", {})


async def test_client_wrapped_and_missing_id() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"status": "queued"})
        return httpx.Response(200, json={"data": {"status": "failed"}})

    client = PLUGIN.build_client(ServerConfig())
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://b") as http:
        with pytest.raises(UpstreamError) as info:
            await client.submit(http, submit_ctx("seedance-2-0", seconds=4))
        assert (info.value.status, info.value.message) == (502, "ByteDance video response did not include a task id")
        poll = await client.poll(http, "cgt-x", {})
        assert (poll.status, poll.progress, poll.error) == (
            "failed",
            100,
            {"message": "ByteDance video generation failed"},
        )


# -- the official SDK -------------------------------------------------------------------------------


async def test_official_ark_sdk(ctx: EmulatorContext) -> None:
    ark_runtime = pytest.importorskip("volcenginesdkarkruntime")
    app = PLUGIN.build_emulator(ctx)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    sdk = ark_runtime.AsyncArk(
        api_key="ark-test-key", base_url="http://ark.test/api/v3", http_client=http, max_retries=0
    )
    tasks = sdk.content_generation.tasks
    created = await tasks.create(model=S20, content=[{"type": "text", "text": "a fox"}], duration=4)
    assert created.id.startswith("cgt-")
    got = await tasks.get(task_id=created.id)
    assert got.status == "queued"
    await ctx.clock.advance(200)
    got = await tasks.get(task_id=created.id)
    assert got.status == "succeeded" and got.content.video_url.endswith(f"/files/{created.id}.mp4")
    listing = await tasks.list(status="succeeded", task_ids=[created.id])
    assert listing.total == 1 and listing.items[0].id == created.id
    with pytest.raises(ark_runtime._exceptions.ArkNotFoundError) as info:
        await tasks.get(task_id="cgt-missing")
    assert info.value.code == "ResourceNotFound"
    with pytest.raises(ark_runtime._exceptions.ArkBadRequestError) as info:
        await tasks.create(model=S20, content=[{"type": "text", "text": "x"}], duration=99)
    assert (info.value.code, info.value.param) == ("InvalidParameter", "duration")
    await tasks.delete(task_id=created.id)
    assert ctx.store.get(KIND, created.id) is None
    await http.aclose()


# -- Seedance 2.5 draft mode, behind seedance_draft (changes-2026-12.md §4.6) ------------------------

S25 = "doubao-seedance-2-5-260628"


@pytest.fixture
async def drafting(media: MediaCache) -> AsyncIterator[tuple[httpx.AsyncClient, EmulatorContext]]:
    ctx = make_ctx(media, seedance_draft=True)
    app = PLUGIN.build_emulator(ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ark.test", headers=AUTH) as c:
        yield c, ctx


def draft_item(task_id: str) -> dict[str, Any]:
    return {"type": "draft_task", "draft_task": {"id": task_id}}


async def test_draft_then_final(drafting: tuple[httpx.AsyncClient, EmulatorContext]) -> None:
    ark, ctx = drafting
    draft = await create(ark, model=S25, prompt="waves", draft=True, duration=6, ratio="9:16", seed=7)
    r = await ark.post(TASKS, json={"model": S25, "content": [draft_item(draft)], "resolution": "1080p"})
    assert error_of(r)["message"].endswith(f"the draft task {draft} has not succeeded.")
    await ctx.clock.advance(300)
    got = (await ark.get(f"{TASKS}/{draft}")).json()
    assert (got["status"], got["draft"], got["resolution"], got["duration"]) == ("succeeded", True, "480p", 6)
    r = await ark.post(TASKS, json={"model": S25, "content": [draft_item(draft)], "resolution": "1080p"})
    assert r.status_code == 200, r.text
    final = r.json()["id"]
    await ctx.clock.advance(300)
    done = (await ark.get(f"{TASKS}/{final}")).json()
    assert (done["status"], done["draft"], done["draft_task_id"]) == ("succeeded", False, draft)
    assert (done["resolution"], done["ratio"], done["duration"], done["seed"]) == ("1080p", "9:16", 6, 7)


@pytest.mark.parametrize(
    "extra,param,detail",
    [
        ({"model": LITE, "draft": True}, "draft", "draft mode is not supported by this model"),
        ({"model": S25, "draft": True, "resolution": "720p"}, "resolution", "a draft renders at 480p only"),
        ({"model": S25, "draft": "yes"}, "draft", "expected a boolean"),
    ],
)
async def test_draft_errors(
    drafting: tuple[httpx.AsyncClient, EmulatorContext], extra: dict[str, Any], param: str, detail: str
) -> None:
    ark, _ = drafting
    r = await ark.post(TASKS, json=body(**extra))
    assert r.status_code == 400 and error_of(r)["param"] == param
    assert error_of(r)["message"].endswith(f"is not valid: {detail}.")


async def test_final_needs_a_draft_of_the_same_model(drafting: tuple[httpx.AsyncClient, EmulatorContext]) -> None:
    ark, ctx = drafting
    plain = await create(ark, model=S25, prompt="waves")
    await ctx.clock.advance(300)
    for content, fragment in (
        ([draft_item(plain)], f"{plain} is not a draft task"),
        ([draft_item("cgt-nope")], "cgt-nope is not a draft task"),
        ([draft_item(plain), {"type": "text", "text": "x"}], "a draft_task item must be the only content item"),
    ):
        r = await ark.post(TASKS, json={"model": S25, "content": content})
        assert r.status_code == 400 and error_of(r)["message"].endswith(fragment + "."), r.text
    draft = await create(ark, model=S25, prompt="waves", draft=True)
    await ctx.clock.advance(300)
    r = await ark.post(TASKS, json={"model": "dreamina-seedance-2-5-260628", "content": [draft_item(draft)]})
    assert error_of(r)["param"] == "model"


async def test_without_the_option_drafts_are_refused(ark: httpx.AsyncClient) -> None:
    r = await ark.post(TASKS, json=body(model=S25, draft=True))
    assert error_of(r)["message"].endswith("draft mode is not supported by this model.")


async def test_official_ark_sdk_drafts(media: MediaCache) -> None:
    ark_runtime = pytest.importorskip("volcenginesdkarkruntime")
    ctx = make_ctx(media, seedance_draft=True)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)))
    sdk = ark_runtime.AsyncArk(
        api_key="ark-test-key", base_url="http://ark.test/api/v3", http_client=http, max_retries=0
    )
    tasks = sdk.content_generation.tasks
    draft = await tasks.create(model=S25, content=[{"type": "text", "text": "a fox"}], draft=True)
    await ctx.clock.advance(300)
    got = await tasks.get(task_id=draft.id)
    assert got.status == "succeeded" and got.draft is True and got.resolution == "480p"
    final = await tasks.create(model=S25, content=[draft_item(draft.id)])
    await ctx.clock.advance(300)
    done = await tasks.get(task_id=final.id)
    assert done.status == "succeeded" and done.draft_task_id == draft.id and done.resolution == "720p"
    await http.aclose()
