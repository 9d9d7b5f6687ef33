"""The Luma Dream Machine emulator, its callbacks and a gateway client for it (providers.md §10)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import test_config as config_for_tests

from vidmock.clock import Clock
from vidmock.config import ServerConfig
from vidmock.gateway.domain.catalogue import Mapping
from vidmock.gateway.domain.request import CreateRequest, ImageInput
from vidmock.ids import IdFactory
from vidmock.journal import Journal
from vidmock.listen import Receiver
from vidmock.media import MediaCache
from vidmock.providers.base import EmulatorContext, PollFailure, SubmitContext, UpstreamError
from vidmock.providers.callbacks import CallbackDispatcher, dispatcher_of
from vidmock.providers.faults import ConnectionReset
from vidmock.providers.luma import PLUGIN, LumaOptions, make_plugin
from vidmock.providers.luma.models import KIND
from vidmock.store import MemoryStore

pytestmark = pytest.mark.anyio

T0 = 1773600000  # 2026-03-15T18:40:00Z
V1 = "/dream-machine/v1"
GEN = V1 + "/generations"
AUTH = {"Authorization": "Bearer luma-test-key"}
BASE = "http://127.0.0.1:4001/providers/luma"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$")
BODY = {"model": "ray-flash-2", "prompt": "a red fox in snow", "resolution": "540p"}  # 4.5 s queued, 45 s in all
IMAGE = "https://cdn.example/fox.jpg"
HOOK = "https://hooks.example/luma"
SCENARIOS = {
    "luma-moderated.yaml": """\
name: luma-moderated
description: d
reproduces: r
timeline: [{at: 0, status: queued}, {at: 5, status: in_progress}, {at: 20, status: failed}]
outcome: {error: {code: moderation, message: Advanced prompt moderation failed}}
faults:
  submit: [{status: 429}, pass]
  poll: [{status: 503}, pass]
""",
    "luma-flaky-content.yaml": """\
name: luma-flaky-content
description: d
reproduces: r
timeline: [{at: 0, status: queued}, {at: 10, status: completed}]
content: {expires_after: 600}
faults:
  content: [{truncate: 100}, {status: 503, message: upstream CDN unavailable}]
""",
}


def make_ctx(media: MediaCache, **config: Any) -> EmulatorContext:
    store = MemoryStore()
    return EmulatorContext(
        clock=Clock.virtual(T0),
        store=store,
        ids=IdFactory(store, 0),
        media=media,
        journal=Journal(),
        config=ServerConfig(clock="virtual", **config),
    )


@pytest.fixture
def ctx(media: MediaCache) -> EmulatorContext:
    return make_ctx(media)


@pytest.fixture
def luma_app(ctx: EmulatorContext) -> Any:
    return PLUGIN.build_emulator(ctx)


@pytest.fixture
async def luma(luma_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=luma_app), base_url="http://luma.test", headers=AUTH
    ) as c:
        yield c


async def create(luma: httpx.AsyncClient, path: str = GEN + "/video", **changes: Any) -> dict[str, Any]:
    r = await luma.post(path, json={**BODY, **changes})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def at(ctx: EmulatorContext, seconds: float) -> None:
    """Move the virtual clock to ``seconds`` after T0."""
    await ctx.clock.advance(T0 + seconds - ctx.clock.now())


def wire(app: Any, receiver: Receiver) -> CallbackDispatcher:
    dispatcher = dispatcher_of(app)
    dispatcher.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app))
    return dispatcher


# -- lifecycle, object shape, assets -------------------------------------------------------------------


async def test_lifecycle_generation_object_and_assets(luma: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    created = await create(luma, aspect_ratio="9:16")
    gid = created["id"]
    assert UUID.match(gid)
    request = {
        "generation_type": "video",
        "model": "ray-flash-2",
        "prompt": "a red fox in snow",
        "aspect_ratio": "9:16",
        "loop": False,
        "keyframes": None,
        "callback_url": None,
        "resolution": "540p",
        "duration": "5s",
        "concepts": None,
    }
    assert created == {
        "id": gid,
        "generation_type": "video",
        "state": "queued",
        "failure_reason": None,
        "created_at": "2026-03-15T18:40:00.000000Z",
        "assets": None,
        "model": "ray-flash-2",
        "request": request,
    }
    seen = []
    for t in (4, 4.5, 44, 45):
        await at(ctx, t)
        body = (await luma.get(f"{GEN}/{gid}")).json()
        seen.append((t, body["state"], body["assets"]))
    video, image = f"{BASE}/files/{gid}.mp4", f"{BASE}/files/{gid}.jpg"
    assert seen == [
        (4, "queued", None),
        (4.5, "dreaming", None),
        (44, "dreaming", None),
        (45, "completed", {"video": video, "image": image}),
    ]
    async with httpx.AsyncClient(transport=luma._transport, base_url="http://luma.test") as cdn:  # no key
        data = (await cdn.get(f"/files/{gid}.mp4")).content
        assert data[4:8] == b"ftyp" and ctx.store.get(KIND, gid)["width"] == 540
        part = await cdn.get(f"/files/{gid}.mp4", headers={"Range": "bytes=0-9"})
        assert (part.status_code, part.headers["content-range"], part.content) == (
            206,
            f"bytes 0-9/{len(data)}",
            data[:10],
        )
        assert (await cdn.get(f"/files/{gid}.mp4", headers={"Range": "bytes=0-1,3-4"})).status_code == 416
        thumb = await cdn.get(f"/files/{gid}.jpg")
        assert thumb.headers["content-type"] == "image/jpeg" and thumb.content[:2] == b"\xff\xd8"
    doc = ctx.store.get(KIND, gid)
    assert (doc["width"], doc["height"], doc["seconds"], doc["audio"]) == (540, 960, 5, False)


async def test_docs_route_defaults_and_sizes(luma: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    created = await create(luma, GEN, model="ray-2", resolution=None)  # the docs' curl route; null = absent
    assert created["request"]["resolution"] == "720p" and created["request"]["aspect_ratio"] == "16:9"
    doc = ctx.store.get(KIND, created["id"])
    assert (doc["width"], doc["height"], doc["seconds"]) == (1280, 720, 5)
    wide = await create(
        luma,
        model="ray-2",
        aspect_ratio="21:9",
        resolution="1080p",
        duration="9s",
        loop=True,
        concepts=[{"key": "dolly_zoom"}],
    )
    doc = ctx.store.get(KIND, wide["id"])
    assert (doc["width"], doc["height"], doc["seconds"]) == (2520, 1080, 9)
    assert wide["request"]["concepts"] == [{"key": "dolly_zoom"}] and wide["request"]["loop"] is True
    await at(ctx, 119)
    assert (await luma.get(f"{GEN}/{wide['id']}")).json()["state"] == "dreaming"  # ray-2: 120 s
    await at(ctx, 120)
    assert (await luma.get(f"{GEN}/{wide['id']}")).json()["state"] == "completed"


async def test_latency_is_overridable_per_model(media: MediaCache) -> None:
    ctx = make_ctx(media, latency={"ray-flash-2": 8.0})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)), base_url="http://luma.test", headers=AUTH
    ) as luma:
        gid = (await create(luma))["id"]
        await at(ctx, 8)
        assert (await luma.get(f"{GEN}/{gid}")).json()["state"] == "completed"


# -- validation ------------------------------------------------------------------------------------------

OBJECT = "Input should be a valid dictionary or object to extract fields from"


@pytest.mark.parametrize(
    "body, detail",
    [
        ([1], [{"type": "model_attributes_type", "loc": ["body"], "msg": OBJECT, "input": [1]}]),
        (
            {"prompt": "a fox"},
            [{"type": "missing", "loc": ["body", "model"], "msg": "Field required", "input": {"prompt": "a fox"}}],
        ),
        (
            {**BODY, "model": "ray-9"},
            [
                {
                    "type": "literal_error",
                    "loc": ["body", "model"],
                    "msg": "Input should be 'ray-2', 'ray-flash-2' or 'ray-1-6'",
                    "input": "ray-9",
                }
            ],
        ),
        (
            {**BODY, "aspect_ratio": "2:1", "loop": "yes", "prompt": 5},
            [
                {"type": "string_type", "loc": ["body", "prompt"], "msg": "Input should be a valid string", "input": 5},
                {
                    "type": "literal_error",
                    "loc": ["body", "aspect_ratio"],
                    "msg": "Input should be '1:1', '16:9', '9:16', '4:3', '3:4', '21:9' or '9:21'",
                    "input": "2:1",
                },
                {
                    "type": "bool_type",
                    "loc": ["body", "loop"],
                    "msg": "Input should be a valid boolean",
                    "input": "yes",
                },
            ],
        ),
        (
            {**BODY, "keyframes": {"frame0": {"type": "video", "url": IMAGE}, "frame1": {"type": "image"}}},
            [
                {
                    "type": "union_tag_invalid",
                    "loc": ["body", "keyframes", "frame0"],
                    "msg": "Input tag 'video' found using 'type' does not match any of the expected tags: 'generation', 'image'",
                    "input": {"type": "video", "url": IMAGE},
                },
                {
                    "type": "missing",
                    "loc": ["body", "keyframes", "frame1", "image", "url"],
                    "msg": "Field required",
                    "input": {"type": "image"},
                },
            ],
        ),
        (
            {**BODY, "concepts": [{"key": 1}, "x"], "duration": 5},
            [
                {
                    "type": "string_type",
                    "loc": ["body", "duration"],
                    "msg": "Input should be a valid string",
                    "input": 5,
                },
                {
                    "type": "string_type",
                    "loc": ["body", "concepts", 0, "key"],
                    "msg": "Input should be a valid string",
                    "input": 1,
                },
                {"type": "model_attributes_type", "loc": ["body", "concepts", 1], "msg": OBJECT, "input": "x"},
            ],
        ),
    ],
)
async def test_schema_errors_are_fastapi_422s(luma: httpx.AsyncClient, body: Any, detail: list[Any]) -> None:
    r = await luma.post(GEN + "/video", json=body)
    assert (r.status_code, r.json()) == (422, {"detail": detail})


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"prompt": None}, "Prompt is required"),
        ({"prompt": "  "}, "Prompt is required"),
        ({"prompt": "ab"}, "Prompt is too short, minimum length is 3 characters"),
        ({"prompt": "a" * 5001}, "Prompt is too long, maximum length is 5000 characters"),
        ({"keyframes": {"frame0": None}}, "No keyframes provided"),
        ({"generation_type": "image"}, "Unknown request type"),
        (
            {
                "loop": True,
                "keyframes": {"frame0": {"type": "image", "url": IMAGE}, "frame1": {"type": "image", "url": IMAGE}},
            },
            "Loop is not supported for keyframes",
        ),
        (
            {"loop": True, "keyframes": {"frame1": {"type": "image", "url": IMAGE}}},
            "Loop is not supported for end frame",
        ),
        (
            {"loop": True, "keyframes": {"frame1": {"type": "generation", "id": "g"}}},
            "Loop is not supported for extend reverse",
        ),
        (
            {
                "loop": True,
                "keyframes": {"frame0": {"type": "generation", "id": "g"}, "frame1": {"type": "image", "url": IMAGE}},
            },
            "Loop is not supported for interpolate video to image",
        ),
        (
            {
                "loop": True,
                "keyframes": {"frame0": {"type": "image", "url": IMAGE}, "frame1": {"type": "generation", "id": "g"}},
            },
            "Loop is not supported for interpolate image to video",
        ),
        (
            {
                "loop": True,
                "keyframes": {"frame0": {"type": "generation", "id": "g"}, "frame1": {"type": "generation", "id": "h"}},
            },
            "Loop is not supported for interpolate between two videos",
        ),
        ({"keyframes": {"frame0": {"type": "image", "url": "data:image/png;base64,AAAA"}}}, "failed to moderate image"),
        (
            {"keyframes": {"frame0": {"type": "image", "url": "https://bucket.invalid/x.png"}}},
            "failed to moderate image",
        ),
        ({"keyframes": {"frame0": {"type": "generation", "id": "nope"}}}, "Keyframe generation nope not found"),
        (
            {"resolution": "8k"},
            "Resolution 8k is not supported for ray-flash-2; supported resolutions are 540p, 720p, 1080p, 4k",
        ),
        (
            {"model": "ray-1-6", "resolution": None, "duration": "9s"},
            "Duration 9s is not supported for ray-1-6; supported durations are 5s",
        ),
        ({"concepts": [{"key": "barrel_roll"}]}, "Unknown concept: barrel_roll"),
        ({"callback_url": "ftp://hooks.example/x"}, "Invalid callback_url: expected an http(s) URL"),
    ],
)
async def test_luma_rules_answer_400_detail(luma: httpx.AsyncClient, changes: dict[str, Any], message: str) -> None:
    r = await luma.post(GEN + "/video", json={**BODY, **changes})
    assert (r.status_code, r.json()) == (400, {"detail": message})


async def test_keyframes_image_and_generation_references(luma: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    first = await create(luma, prompt=None, keyframes={"frame0": {"type": "image", "url": IMAGE}})  # no prompt needed
    assert first["request"]["keyframes"] == {"frame0": {"type": "image", "url": IMAGE}}
    extend = {"keyframes": {"frame0": {"type": "generation", "id": first["id"]}}, "prompt": "the fox runs on"}
    r = await luma.post(GEN + "/video", json={**BODY, **extend})
    assert (r.status_code, r.json()) == (400, {"detail": f"Keyframe generation {first['id']} is not completed"})
    await at(ctx, 45)
    assert (await create(luma, **extend))["request"]["keyframes"] == extend["keyframes"]


async def test_auth_bodies_and_unknown_things(luma: httpx.AsyncClient) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer  "}):
        r = await luma.post(GEN + "/video", json=BODY, headers=headers)
        assert (r.status_code, r.json(), r.headers["www-authenticate"]) == (
            401,
            {"detail": "Not authenticated"},
            "Bearer",
        )
    assert (await luma.get(GEN, headers={"Authorization": ""})).status_code == 401
    r = await luma.post(GEN + "/video", content=b"{", headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()) == (
        422,
        {"detail": [{"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error", "input": {}}]},
    )
    r = await luma.post(GEN + "/video", content=b'{"prompt": "' + b"a" * (1024 * 1024) + b'"}')
    assert (r.status_code, r.json()) == (413, {"detail": "Request body too large"})
    assert (await luma.get(f"{GEN}/nope")).json() == {"detail": "Generation nope not found"}
    assert (await luma.delete(f"{GEN}/nope")).status_code == 404
    assert (await luma.post(f"{GEN}/nope/upscale", json={})).status_code == 404
    r = await luma.get(V1 + "/nothing")
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})
    r = await luma.put(GEN)
    assert (r.status_code, r.json()) == (405, {"detail": "Method Not Allowed"})
    gid = (await create(luma))["id"]
    assert (await luma.get(f"/files/{gid}.mp4")).json() == {"detail": "Not Found"}  # not completed yet
    assert (await luma.get("/files/nope.mp4")).status_code == 404
    assert (await luma.get(f"/files/{gid}.gif")).status_code == 404


async def test_only_configured_keys_when_chosen(ctx: EmulatorContext) -> None:
    app = make_plugin(LumaOptions(api_keys=("luma-good",))).build_emulator(ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://luma.test") as c:
        r = await c.post(GEN + "/video", json=BODY, headers={"Authorization": "Bearer luma-bad"})
        assert (r.status_code, r.json()) == (401, {"detail": "Invalid API key"})
        r = await c.post(GEN + "/video", json=BODY, headers={"Authorization": "Bearer luma-good"})
        assert r.status_code == 201


# -- list, delete, upscale, audio, concepts --------------------------------------------------------------


async def test_list_pages_newest_first(luma: httpx.AsyncClient) -> None:
    ids = [(await create(luma, prompt=f"fox number {i}"))["id"] for i in range(3)]
    body = (await luma.get(GEN)).json()
    assert [g["id"] for g in body["generations"]] == ids[::-1]
    assert {k: body[k] for k in ("count", "has_more", "limit", "offset")} == {
        "count": 3,
        "has_more": False,
        "limit": 10,
        "offset": 0,
    }
    body = (await luma.get(GEN, params={"limit": 2})).json()
    assert ([g["id"] for g in body["generations"]], body["count"], body["has_more"]) == (ids[:0:-1], 2, True)
    body = (await luma.get(GEN, params={"limit": 2, "offset": 2})).json()
    assert ([g["id"] for g in body["generations"]], body["has_more"]) == ([ids[0]], False)
    r = await luma.get(GEN, params={"limit": "many"})
    assert (r.status_code, r.json()["detail"][0]["type"], r.json()["detail"][0]["loc"]) == (
        422,
        "int_parsing",
        ["query", "limit"],
    )
    r = await luma.get(GEN, params={"limit": 101})
    assert r.json()["detail"][0]["msg"] == "Input should be less than or equal to 100"
    r = await luma.get(GEN, params={"offset": -1})
    assert r.json()["detail"][0]["msg"] == "Input should be greater than or equal to 0"


async def test_delete_any_state(luma: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    running, done = (await create(luma))["id"], (await create(luma))["id"]
    await at(ctx, 10)
    r = await luma.delete(f"{GEN}/{running}")
    assert (r.status_code, r.content) == (204, b"")
    assert (await luma.get(f"{GEN}/{running}")).status_code == 404
    await at(ctx, 45)
    assert (await luma.get(f"/files/{done}.mp4")).status_code == 200
    assert (await luma.delete(f"{GEN}/{done}")).status_code == 204
    assert (await luma.get(f"/files/{done}.mp4")).status_code == 404
    assert (await luma.get(GEN)).json()["generations"] == []


async def test_delete_status_200_when_chosen(ctx: EmulatorContext) -> None:
    app = make_plugin(LumaOptions(delete_status=200)).build_emulator(ctx)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://luma.test", headers=AUTH
    ) as c:
        gid = (await create(c))["id"]
        r = await c.delete(f"{GEN}/{gid}")
        assert (r.status_code, r.json()) == (200, None)


async def test_upscale_and_add_audio(luma: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    source = (await create(luma))["id"]  # 540p
    r = await luma.post(f"{GEN}/{source}/upscale", json={"resolution": "1080p"})
    assert (r.status_code, r.json()) == (400, {"detail": f"Generation {source} is not completed"})
    await at(ctx, 45)
    r = await luma.post(f"{GEN}/{source}/upscale", json={"resolution": "540p"})
    assert (r.status_code, r.json()) == (400, {"detail": "Cannot upscale a 540p generation to 540p"})
    r = await luma.post(f"{GEN}/{source}/upscale", json={"resolution": 1080})
    assert r.status_code == 422
    up = await luma.post(f"{GEN}/{source}/upscale", json={"resolution": "1080p", "generation_type": "upscale_video"})
    assert up.status_code == 201
    up_body = up.json()
    assert up_body["id"] != source and up_body["state"] == "queued" and up_body["model"] == "ray-flash-2"
    assert up_body["request"] == {"generation_type": "upscale_video", "resolution": "1080p", "callback_url": None}
    sound = (await luma.post(f"{GEN}/{source}/audio", json={"prompt": "wind and snow"})).json()
    assert sound["request"] == {
        "generation_type": "add_audio",
        "prompt": "wind and snow",
        "negative_prompt": None,
        "callback_url": None,
    }
    await at(ctx, 45 + 30)  # add_audio: 30 s
    assert (await luma.get(f"{GEN}/{sound['id']}")).json()["state"] == "completed"
    assert (await luma.get(f"{GEN}/{up_body['id']}")).json()["state"] == "dreaming"
    await at(ctx, 45 + 60)  # upscale: 60 s
    assert (await luma.get(f"{GEN}/{up_body['id']}")).json()["state"] == "completed"
    up_doc, sound_doc = ctx.store.get(KIND, up_body["id"]), ctx.store.get(KIND, sound["id"])
    assert (up_doc["width"], up_doc["height"], up_doc["source"]) == (1920, 1080, source)
    assert (sound_doc["audio"], sound_doc["width"]) == (True, 960)
    assert (await luma.get(f"/files/{sound['id']}.mp4")).content[4:8] == b"ftyp"


async def test_concepts_and_ping(luma: httpx.AsyncClient) -> None:
    concepts = (await luma.get(GEN + "/concepts/list")).json()
    assert "dolly_zoom" in concepts and all(isinstance(c, str) for c in concepts)
    assert (await luma.get(V1 + "/ping")).json() == {"message": "pong"}


# -- scenarios -------------------------------------------------------------------------------------------


@pytest.fixture
def scenario_ctx(media: MediaCache, tmp_path: Path) -> EmulatorContext:
    for name, text in SCENARIOS.items():
        (tmp_path / name).write_text(text)
    return make_ctx(media, scenarios_dir=str(tmp_path))


async def test_scenario_failure_and_faults(scenario_ctx: EmulatorContext) -> None:
    ctx = scenario_ctx
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)), base_url="http://luma.test", headers=AUTH
    ) as luma:
        r = await luma.post(GEN + "/video", json={**BODY, "prompt": "a fox [scenario:luma-moderated]"})
        assert (r.status_code, r.json()) == (429, {"detail": "Too many requests, please slow down"})
        gid = (await create(luma, prompt="a fox [scenario:luma-moderated]"))["id"]
        r = await luma.get(f"{GEN}/{gid}")
        assert (r.status_code, r.json()) == (503, {"detail": "Service Unavailable"})
        assert (await luma.get(f"{GEN}/{gid}")).json()["state"] == "queued"
        await at(ctx, 20)
        body = (await luma.get(f"{GEN}/{gid}")).json()
        assert (body["state"], body["failure_reason"], body["assets"]) == (
            "failed",
            "Advanced prompt moderation failed",
            None,
        )
        assert (await luma.get(f"/files/{gid}.mp4")).status_code == 404


async def test_scenario_content_faults_and_expiry(scenario_ctx: EmulatorContext) -> None:
    ctx = scenario_ctx
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)),
        base_url="http://luma.test",
        headers={**AUTH, "X-Vidmock-Scenario": "luma-flaky-content"},
    ) as luma:
        gid = (await create(luma))["id"]
        await at(ctx, 10)
        with pytest.raises(ConnectionReset):  # announced in full, cut after 100 bytes
            await luma.get(f"/files/{gid}.mp4")
        r = await luma.get(f"/files/{gid}.mp4")
        assert (r.status_code, r.json()) == (503, {"detail": "upstream CDN unavailable"})
        assert (await luma.get(f"/files/{gid}.mp4")).content[4:8] == b"ftyp"
        await at(ctx, 610)
        assert (await luma.get(f"/files/{gid}.mp4")).status_code == 404
        assert (await luma.get(f"{GEN}/{gid}")).json()["state"] == "completed"  # the record stays
        r = await luma.post(GEN + "/video", json=BODY, headers={"X-Vidmock-Scenario": "no-such-scenario"})
        assert r.status_code == 400 and "no-such-scenario" in r.json()["detail"]


# -- callbacks -------------------------------------------------------------------------------------------


async def test_callbacks_post_the_generation_on_dreaming_and_completed(
    luma: httpx.AsyncClient, luma_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(None, now=ctx.clock.now)
    wire(luma_app, receiver)
    gid = (await create(luma, callback_url=HOOK + "?k=1"))["id"]
    snapshots = {}
    for t in (5, 45):  # the dispatcher ticks every second: dreaming (4.5 s) is seen at 5 s
        await at(ctx, t)
        snapshots[t] = (await luma.get(f"{GEN}/{gid}")).json()
    await at(ctx, 200)
    posts = receiver.deliveries
    assert [(d.received_at - T0, json.loads(d.body)["state"]) for d in posts] == [(5, "dreaming"), (45, "completed")]
    assert [json.loads(d.body) for d in posts] == [snapshots[5], snapshots[45]]  # the full Generation
    assert all(d.method == "POST" and d.path == "/luma?k=1" for d in posts)
    assert all(
        d.headers["content-type"] == "application/json" and not any("signature" in h for h in d.headers) for d in posts
    )


async def test_callbacks_failed_state_retries_and_delete(scenario_ctx: EmulatorContext) -> None:
    ctx = scenario_ctx
    app = PLUGIN.build_emulator(ctx)
    receiver = Receiver(None, script=[500, 500, 200], now=ctx.clock.now)
    dispatcher = wire(app, receiver)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://luma.test", headers=AUTH
    ) as luma:
        moderated = {**BODY, "prompt": "a fox [scenario:luma-moderated]", "callback_url": HOOK}
        assert (await luma.post(GEN + "/video", json=moderated)).status_code == 429  # the scenario's submit fault
        gid = (await create(luma, **moderated))["id"]
        gone = (await create(luma, callback_url=HOOK + "/gone"))["id"]
        await at(ctx, 3)
        assert (await luma.delete(f"{GEN}/{gone}")).status_code == 204
        await at(ctx, 100)
    got = [(d.received_at - T0, json.loads(d.body)["state"], d.answered.status) for d in receiver.deliveries]
    # dreaming fails twice and is retried on the next ticks; a deleted generation is not reported on.
    assert got == [(5, "dreaming", 500), (6, "dreaming", 500), (7, "dreaming", 200), (20, "failed", 200)]
    assert json.loads(receiver.deliveries[-1].body)["failure_reason"] == "Advanced prompt moderation failed"
    assert [(r["event_type"], r["attempt"], r["status"]) for r in dispatcher.rows(gid)] == [
        ("dreaming", 1, "retrying"),
        ("dreaming", 2, "retrying"),
        ("dreaming", 3, "delivered"),
        ("failed", 1, "delivered"),
    ]


async def test_callbacks_give_up_after_four_attempts(
    luma: httpx.AsyncClient, luma_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(None, script=[500] * 10, now=ctx.clock.now)
    dispatcher = wire(luma_app, receiver)
    await create(luma, callback_url=HOOK)
    await at(ctx, 30)
    assert [d.received_at - T0 for d in receiver.deliveries] == [5, 6, 7, 8]
    assert [r["status"] for r in dispatcher.rows()] == ["retrying"] * 3 + ["failed"]


# -- mounted in the server, and the official SDK ----------------------------------------------------------


@pytest.fixture
def server(make_app: Callable[..., Any]) -> Any:
    return make_app(config_for_tests())


async def test_mounted_in_the_server(server: Any) -> None:
    runtime = server.state.vidmock
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server), base_url="http://127.0.0.1:4001", headers=AUTH
    ) as c:
        gid = (await create(c, "/providers/luma" + GEN))["id"]
        await runtime.advance(45)
        video = (await c.get(f"/providers/luma{GEN}/{gid}")).json()["assets"]["video"]
        assert video == f"{BASE}/files/{gid}.mp4"
        r = await c.get(video, headers={"Range": "bytes=4-7"})
        assert (r.status_code, r.content) == (206, b"ftyp")
    calls = runtime.journal.for_service("luma")
    assert [(e.method, e.path, e.status) for e in calls][:2] == [
        ("POST", f"/providers/luma{GEN}", 201),
        ("GET", f"/providers/luma{GEN}/{gid}", 200),
    ]
    assert calls[0].body == BODY


async def test_official_sdk_unchanged(server: Any) -> None:
    lumaai = pytest.importorskip("lumaai")
    runtime = server.state.vidmock
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server)) as http:
        started = runtime.clock.now()
        client = lumaai.AsyncLumaAI(auth_token="luma-sdk-key", base_url=f"{BASE}{V1}", http_client=http, max_retries=0)
        generation = await client.generations.create(
            model="ray-2",
            prompt="a lighthouse at dusk",
            aspect_ratio="9:16",
            resolution="720p",
            duration="5s",
            loop=False,
        )
        assert (generation.state, generation.generation_type, generation.model) == ("queued", "video", "ray-2")
        assert generation.created_at is not None and generation.created_at.timestamp() == pytest.approx(started)
        same = await client.generations.video.create(model="ray-flash-2", prompt="the same lighthouse")
        await runtime.advance(120)
        done = await client.generations.get(generation.id)
        assert (
            done.state == "completed" and done.assets is not None and done.assets.video.endswith(f"{generation.id}.mp4")
        )
        assert done.request.aspect_ratio == "9:16"
        page = await client.generations.list(limit=1, offset=0)
        assert ([g.id for g in page.generations], page.count, page.has_more) == ([same.id], 1, True)
        assert "dolly_zoom" in await client.generations.concepts.list()
        upscaled = await client.generations.upscale(generation.id, resolution="1080p")
        assert upscaled.state == "queued" and upscaled.id != generation.id
        with_audio = await client.generations.audio(generation.id, prompt="waves")
        assert with_audio.state == "queued"
        assert await client.generations.delete(same.id) is None
        with pytest.raises(lumaai.NotFoundError):
            await client.generations.get(same.id)
        with pytest.raises(lumaai.BadRequestError) as bad:
            await client.generations.create(model="ray-2", prompt="ab")
        assert bad.value.body == {"detail": "Prompt is too short, minimum length is 3 characters"}
        with pytest.raises(lumaai.UnprocessableEntityError):
            await client.generations.create(model="ray-7", prompt="a lighthouse")  # type: ignore[arg-type]
        anonymous = lumaai.AsyncLumaAI(auth_token="", base_url=f"{BASE}{V1}", http_client=http, max_retries=0)
        with pytest.raises(lumaai.AuthenticationError):
            await anonymous.generations.list()
        video = await http.get(done.assets.video)
        assert video.content[4:8] == b"ftyp"


# -- the gateway-side client ----------------------------------------------------------------------------

MAPPING = Mapping(
    provider="luma",
    external_id="ray-2",
    sizes=("1280x720", "720x1280"),
    durations=(5, 9),
    supports_audio=False,
    supports_silent=True,
    per_second_price={},
)


def submit_ctx(size: str = "720x1280", seconds: int = 8, image: str | None = None) -> SubmitContext:
    req = CreateRequest(prompt="a lighthouse", seconds=seconds, size=size, image=ImageInput(image) if image else None)
    return SubmitContext(request=req, mapping=MAPPING, request_id="req_1")


async def test_client_submit_and_poll(ctx: EmulatorContext, luma_app: Any) -> None:
    client = PLUGIN.build_client(ctx.config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=luma_app), base_url="http://luma.test") as http:
        result = await client.submit(http, submit_ctx(image=IMAGE))
        assert ctx.journal.for_service("luma")[-1].body == {
            "model": "ray-2",
            "prompt": "a lighthouse",
            "aspect_ratio": "9:16",
            "resolution": "720p",
            "duration": "9s",
            "keyframes": {"frame0": {"type": "image", "url": IMAGE}},
        }
        assert (result.status, result.progress, UUID.match(result.upstream_id) is not None) == ("queued", 0, True)
        await at(ctx, 13)
        poll = await client.poll(http, result.upstream_id, {})
        assert (poll.status, poll.progress, poll.content_url) == ("in_progress", None, None)
        await at(ctx, 120)
        poll = await client.poll(http, result.upstream_id, {})
        assert (poll.status, poll.content_url) == ("completed", f"{BASE}/files/{result.upstream_id}.mp4")
        assert client.content_path(result.upstream_id) is None and client.content_headers() == {}
        with pytest.raises(PollFailure):
            await client.poll(http, "missing", {})
        with pytest.raises(UpstreamError) as err:
            await client.submit(http, submit_ctx(image="data:image/png;base64,AAAA"))
        assert err.value.status == 400
        body = client.body(submit_ctx(size="1920x1080", seconds=5))
        assert (body["aspect_ratio"], body["resolution"], body["duration"]) == ("16:9", "1080p", "5s")


@pytest.mark.parametrize(
    "reply, status, message",
    [
        (httpx.Response(400, json={"detail": "Prompt is required"}), 400, "Prompt is required"),
        (
            httpx.Response(422, json={"detail": [{"loc": ["body", "model"], "msg": "Field required"}]}),
            422,
            "model: Field required",
        ),
        (httpx.Response(500, text="oops"), 500, "Upstream provider error (500)"),
        (httpx.Response(201, json={"state": "queued"}), 502, "Luma generation response did not include an id"),
    ],
)
async def test_client_submit_errors(reply: httpx.Response, status: int, message: str) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: reply), base_url="http://x") as http:
        with pytest.raises(UpstreamError) as err:
            await PLUGIN.build_client(ServerConfig()).submit(http, submit_ctx())
    assert (err.value.status, err.value.message) == (status, message)


async def test_client_reads_failure_reason() -> None:
    reply = {"id": "g", "state": "failed", "failure_reason": "Frame moderation failed", "assets": None}
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=reply)), base_url="http://x"
    ) as http:
        poll = await PLUGIN.build_client(ServerConfig()).poll(http, "g", {})
    assert (poll.status, poll.error) == (
        "failed",
        {"message": "Frame moderation failed", "details": {"failure_reason": "Frame moderation failed"}},
    )


# -- video modify and reframe (changes-2026-12.md §4.5) ----------------------------------------------

SOURCE = "https://cdn.example/source.mp4"


@pytest.mark.parametrize("mode", ["adhere_1", "adhere_3", "flex_2", "reimagine_1", "reimagine_3"])
async def test_modify_every_mode_family(luma: httpx.AsyncClient, ctx: EmulatorContext, mode: str) -> None:
    body = {"generation_type": "modify_video", "model": "ray-2", "mode": mode, "media": {"url": SOURCE}}
    r = await luma.post(f"{GEN}/video/modify", json={**body, "prompt": "make it winter"})
    assert r.status_code == 201, r.text
    generation = r.json()
    assert generation["state"] == "queued" and generation["request"]["mode"] == mode
    await ctx.clock.advance(90)
    done = (await luma.get(f"{GEN}/{generation['id']}")).json()
    assert done["state"] == "completed" and done["assets"]["video"].endswith(f"{generation['id']}.mp4")


async def test_reframe_sizes_and_bounds(luma: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    body = {
        "generation_type": "reframe_video",
        "model": "ray-flash-2",
        "aspect_ratio": "9:16",
        "media": {"url": SOURCE},
    }
    r = await luma.post(f"{GEN}/video/reframe", json={**body, "x_start": 0, "x_end": 720, "grid_position_x": 2})
    assert r.status_code == 201, r.text
    generation = r.json()
    assert generation["request"]["aspect_ratio"] == "9:16" and generation["request"]["x_end"] == 720
    doc = ctx.store.get("luma.generation", generation["id"])
    assert doc is not None
    assert (doc["width"], doc["height"], doc["seconds"]) == (720, 1280, 5)
    await ctx.clock.advance(60)
    assert (await luma.get(f"{GEN}/{generation['id']}")).json()["state"] == "completed"


@pytest.mark.parametrize(
    "path,body,status,detail",
    [
        ("modify", {"generation_type": "modify_video", "model": "ray-2", "media": {"url": SOURCE}}, 422, "mode"),
        (
            "modify",
            {"generation_type": "modify_video", "model": "ray-2", "mode": "flex_4", "media": {"url": SOURCE}},
            422,
            "mode",
        ),
        (
            "modify",
            {"generation_type": "modify_video", "model": "ray-1-6", "mode": "flex_1", "media": {"url": SOURCE}},
            422,
            "model",
        ),
        (
            "modify",
            {"generation_type": "video", "model": "ray-2", "mode": "flex_1", "media": {"url": SOURCE}},
            422,
            "generation_type",
        ),
        ("modify", {"generation_type": "modify_video", "model": "ray-2", "mode": "flex_1", "media": {}}, 422, "url"),
        (
            "modify",
            {
                "generation_type": "modify_video",
                "model": "ray-2",
                "mode": "flex_1",
                "media": {"url": "data:video/mp4;base64,AA"},
            },
            400,
            "Invalid media url: expected an http(s) URL",
        ),
        (
            "reframe",
            {"generation_type": "reframe_video", "model": "ray-2", "media": {"url": SOURCE}},
            422,
            "aspect_ratio",
        ),
        (
            "reframe",
            {"generation_type": "reframe_video", "model": "ray-2", "aspect_ratio": "2:1", "media": {"url": SOURCE}},
            422,
            "aspect_ratio",
        ),
        (
            "reframe",
            {
                "generation_type": "reframe_video",
                "model": "ray-2",
                "aspect_ratio": "1:1",
                "media": {"url": SOURCE},
                "x_start": "0",
            },
            422,
            "x_start",
        ),
        (
            "reframe",
            {
                "generation_type": "reframe_video",
                "model": "ray-2",
                "aspect_ratio": "1:1",
                "media": {"url": SOURCE},
                "y_start": 9,
                "y_end": 9,
            },
            400,
            "y_start must be less than y_end",
        ),
    ],
)
async def test_modify_and_reframe_validation(
    luma: httpx.AsyncClient, path: str, body: dict[str, Any], status: int, detail: str
) -> None:
    r = await luma.post(f"{GEN}/video/{path}", json=body)
    assert r.status_code == status, r.text
    if status == 400:
        assert r.json() == {"detail": detail}
    else:
        assert detail in {str(part) for issue in r.json()["detail"] for part in issue["loc"]}


async def test_official_sdk_modify_and_reframe(server: Any) -> None:
    lumaai = pytest.importorskip("lumaai")
    runtime = server.state.vidmock
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server)) as http:
        client = lumaai.AsyncLumaAI(auth_token="luma-sdk-key", base_url=f"{BASE}{V1}", http_client=http, max_retries=0)
        modified = await client.generations.video.modify(
            generation_type="modify_video", media={"url": SOURCE}, mode="reimagine_2", model="ray-2", prompt="in snow"
        )
        reframed = await client.generations.video.reframe(
            generation_type="reframe_video", media={"url": SOURCE}, aspect_ratio="21:9", model="ray-flash-2"
        )
        assert modified.state == reframed.state == "queued" and modified.id != reframed.id
        await runtime.advance(90)
        for created in (modified, reframed):
            done = await client.generations.get(created.id)
            assert done.state == "completed" and done.assets is not None and done.assets.video
            assert (await http.get(done.assets.video)).content[4:8] == b"ftyp"
        with pytest.raises(lumaai.UnprocessableEntityError):
            await client.generations.video.modify(
                generation_type="modify_video",
                media={"url": SOURCE},
                mode="flex_9",
                model="ray-2",
            )
