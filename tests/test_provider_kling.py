"""The Kling AI direct-API emulator and a gateway client for it (providers.md §5.1–5.6), on the virtual
clock. Kling has no official Python SDK: requests are plain httpx with a JWT signed as Kling's docs show."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import struct
import zlib
from collections.abc import AsyncIterator, Callable, Generator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_ctx
from conftest import test_config as config_for_tests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidmock.clock import Clock
from vidmock.config import ServerConfig
from vidmock.gateway.application.images import prepare
from vidmock.gateway.domain.catalogue import Mapping
from vidmock.gateway.domain.request import CreateRequest, ImageInput
from vidmock.listen import Receiver
from vidmock.media import MediaCache
from vidmock.providers.base import EmulatorContext, PollFailure, SubmitContext, UpstreamError
from vidmock.providers.callbacks import dispatcher_of
from vidmock.providers.faults import InProcessTransport
from vidmock.providers.kling import DEV_ACCESS_KEY, DEV_SECRET_KEY, PLUGIN, KlingOptions, encode_token, make_plugin
from vidmock.providers.kling.client import KlingClient
from vidmock.providers.kling.models import KIND, RISK_CONTROL
from vidmock.providers.kling.params import image_size

pytestmark = pytest.mark.anyio
T0 = 1773600000.0  # the virtual clock's default start
BASE = "http://127.0.0.1:4001/providers/kling"
T2V, I2V = "/v1/videos/text2video", "/v1/videos/image2video"
BODY = {"model_name": "kling-v1", "prompt": "a red fox in snow", "duration": "5"}  # 120 s, queued for 12 s
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$")


def png(width: int, height: int) -> bytes:
    """A real grey PNG of the given size."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


IMAGE = b64(png(640, 360))


class KlingAuth(httpx.Auth):
    """Signs every request at the emulator clock's time, the way Kling's docs build the token."""

    def __init__(self, clock: Clock, access_key: str = DEV_ACCESS_KEY, secret_key: str = DEV_SECRET_KEY) -> None:
        self.clock, self.access_key, self.secret_key = clock, access_key, secret_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {encode_token(self.access_key, self.secret_key, self.clock.now())}"
        yield request


@pytest.fixture
def ctx(media: MediaCache) -> EmulatorContext:
    return make_ctx(media)


@pytest.fixture
def app(ctx: EmulatorContext) -> Any:
    return PLUGIN.build_emulator(ctx)


def connect(app: Any, auth: httpx.Auth | None = None, socket_like: bool = False) -> httpx.AsyncClient:
    """``socket_like``: emulator faults (a body cut short) reach the client as httpx errors."""
    transport = InProcessTransport(app) if socket_like else httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://kling.test", auth=auth)


@pytest.fixture
async def kling(app: Any, ctx: EmulatorContext) -> AsyncIterator[httpx.AsyncClient]:
    async with connect(app, KlingAuth(ctx.clock)) as c:
        yield c


async def create(kling: httpx.AsyncClient, path: str = T2V, **changes: Any) -> str:
    r = await kling.post(path, json={**BODY, **changes})
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["task_id"])


def record(ctx: EmulatorContext, task_id: str) -> dict[str, Any]:
    doc = ctx.store.get(KIND, task_id)
    assert doc is not None
    return doc


def error(r: httpx.Response) -> tuple[int, int, str]:
    body = r.json()
    assert set(body) == {"code", "message", "request_id"} and UUID.match(body["request_id"])
    return r.status_code, body["code"], body["message"]


# -- lifecycle, envelope, content --------------------------------------------------------------------


async def test_text2video_lifecycle_and_ranged_content(
    kling: httpx.AsyncClient, app: Any, ctx: EmulatorContext
) -> None:
    r = await kling.post(T2V, json={**BODY, "external_task_id": "order-1"})
    body = r.json()
    assert (r.status_code, body["code"], body["message"]) == (200, 0, "SUCCEED") and UUID.match(body["request_id"])
    tid = body["data"]["task_id"]
    assert re.fullmatch(r"8\d{17}", tid)
    ms = int(T0 * 1000)
    assert body["data"] == {
        "task_id": tid,
        "task_info": {"external_task_id": "order-1"},
        "task_status": "submitted",
        "created_at": ms,
        "updated_at": ms,
    }
    assert r.headers["date"] == formatdate(T0, usegmt=True)  # the server's clock

    async def task() -> dict[str, Any]:
        return dict((await kling.get(f"{T2V}/{tid}")).json()["data"])

    assert (await task())["task_status"] == "submitted"
    await ctx.clock.advance(12)
    assert {k: v for k, v in (await task()).items() if k != "task_info"} == {
        "task_id": tid,
        "task_status": "processing",
        "task_status_msg": "",
        "created_at": ms,
        "updated_at": ms + 12000,
    }
    assert (await kling.get(f"/files/{tid}/x.mp4")).status_code == 404
    await ctx.clock.advance(108)
    done = await task()
    video = done["task_result"]["videos"][0]
    assert (done["task_status"], done["updated_at"]) == ("succeed", ms + 120000)
    assert UUID.match(video["id"]) and video == {
        "id": video["id"],
        "duration": "5.0",
        "url": f"{BASE}/files/{tid}/{video['id']}.mp4",
    }
    assert (await kling.get(f"{T2V}/order-1")).json()["data"] == done  # by external_task_id too
    path = f"/files/{tid}/{video['id']}.mp4"
    async with connect(app) as anonymous:  # a CDN URL: no auth
        full = await anonymous.get(path)
        assert (full.status_code, full.headers["content-type"], full.content[4:8]) == (200, "video/mp4", b"ftyp")
        part = await anonymous.get(path, headers={"Range": "bytes=0-9"})
        assert (part.status_code, part.headers["content-range"], part.content) == (
            206,
            f"bytes 0-9/{len(full.content)}",
            full.content[:10],
        )
        assert (await anonymous.get(path, headers={"Range": f"bytes={len(full.content)}-"})).status_code == 416
        assert (await anonymous.get(f"/files/{tid}/{'0' * 8}.mp4")).status_code == 404
        await ctx.clock.advance(30 * 86400 - 1)
        assert (await anonymous.get(path)).status_code == 200
        await ctx.clock.advance(1)  # deleted 30 days after the task succeeded
        assert error(await anonymous.get(path)) == (
            404,
            1203,
            "The requested video has been deleted: generated media are kept for 30 days",
        )
    assert (await task())["task_status"] == "succeed"


async def test_pro_and_ten_second_clips_render_slower(kling: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    steps = {}
    for changes in ({}, {"mode": "pro"}, {"duration": "10"}, {"mode": "pro", "duration": "10"}):
        tid = await create(kling, **changes)
        steps[tuple(changes.values())] = record(ctx, tid)["plan"]["steps"][-1][0]
    assert steps == {(): 120.0, ("pro",): 180.0, ("10",): 240.0, ("pro", "10"): 360.0}


async def test_configured_latency_replaces_the_computed_one(media: MediaCache) -> None:
    ctx = make_ctx(media, latency={"kling-v1": 7.0})
    async with connect(PLUGIN.build_emulator(ctx), KlingAuth(ctx.clock)) as c:
        tid = await create(c, mode="pro", duration="10")
        await ctx.clock.advance(6)
        assert (await c.get(f"{T2V}/{tid}")).json()["data"]["task_status"] == "processing"
        await ctx.clock.advance(1)
        assert (await c.get(f"{T2V}/{tid}")).json()["data"]["task_status"] == "succeed"


async def test_image2video_shape_from_image_and_type_scoped_lookup(
    kling: httpx.AsyncClient, ctx: EmulatorContext
) -> None:
    tid = await create(kling, I2V, model_name="kling-v1-6", mode="pro", image=b64(png(400, 800)), prompt=None)
    doc = record(ctx, tid)
    assert (doc["aspect_ratio"], doc["width"], doc["height"]) == ("9:16", 1080, 1920)
    assert doc["params"]["image"] == f"base64:{len(b64(png(400, 800)))}"  # the record keeps no image bytes
    assert (await kling.get(f"{I2V}/{tid}")).json()["data"]["task_status"] == "submitted"
    assert error(await kling.get(f"{T2V}/{tid}")) == (404, 1203, f"task {tid} does not exist")
    url = await create(kling, I2V, image="https://example.com/first.jpg")  # URLs are not fetched: 16:9
    assert (record(ctx, url)["width"], record(ctx, url)["height"]) == (1280, 720)
    jpeg = b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x11\x08" + struct.pack(">HH", 500, 500) + b"\x03" + b"\0" * 9
    assert image_size(jpeg) == (500, 500)
    square = await create(kling, I2V, image=b64(jpeg))
    assert record(ctx, square)["aspect_ratio"] == "1:1"


async def test_list_pages_newest_first_per_type(kling: httpx.AsyncClient) -> None:
    t2v = [await create(kling) for _ in range(3)]
    await create(kling, I2V, image=IMAGE)
    r = await kling.get(T2V)
    assert [t["task_id"] for t in r.json()["data"]] == t2v[::-1]
    r = await kling.get(T2V, params={"pageNum": 2, "pageSize": 2})
    assert [t["task_id"] for t in r.json()["data"]] == [t2v[0]]
    assert len((await kling.get(I2V)).json()["data"]) == 1
    for params in ({"pageSize": 0}, {"pageSize": 501}, {"pageNum": 1001}, {"pageNum": "x"}):
        status, code, message = error(await kling.get(T2V, params=params))
        assert (status, code) == (400, 1201) and message.startswith(next(iter(params)))
    assert (
        error(await kling.get(T2V, params={"pageSize": 501}))[2]
        == "pageSize must be an integer between 1 and 500, got 501"
    )


# -- auth ---------------------------------------------------------------------------------------------


def forge(header: dict[str, Any], payload: dict[str, Any], secret: str = DEV_SECRET_KEY) -> str:
    """A token built by hand (pretty-printed JSON, other key order): verification must not depend on
    the encoder's formatting."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value, indent=1).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(payload)}"
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


HS256 = {"typ": "JWT", "alg": "HS256"}


@pytest.mark.parametrize(
    "authorization, code, message",
    [
        (None, 1001, "Authorization is empty"),
        ("   ", 1001, "Authorization is empty"),
        ("Basic dXNlcjpwYXNz", 1002, "Authorization is invalid"),
        ("Bearer not-a-jwt", 1002, "Authorization is invalid"),
        ("Bearer a.b.c", 1002, "Authorization is invalid"),
        ("Bearer " + forge({"alg": "none"}, {"iss": DEV_ACCESS_KEY, "exp": T0 + 60}), 1002, "Authorization is invalid"),
        ("Bearer " + forge(HS256, {"iss": DEV_ACCESS_KEY}), 1002, "Authorization is invalid"),
        (
            "Bearer " + forge(HS256, {"iss": DEV_ACCESS_KEY, "exp": T0 + 60}, "wrong-secret"),
            1000,
            "Authentication failed",
        ),
        ("Bearer " + forge(HS256, {"iss": "no-such-key", "exp": T0 + 60}), 1000, "Authentication failed"),
        (
            "Bearer " + forge(HS256, {"iss": DEV_ACCESS_KEY, "exp": T0 + 1800, "nbf": T0 + 10}),
            1003,
            "Authorization is not yet valid",
        ),
        (
            "Bearer " + forge(HS256, {"iss": DEV_ACCESS_KEY, "exp": T0, "nbf": T0 - 1800}),
            1004,
            "Authorization has expired",
        ),
    ],
)
async def test_jwt_is_verified(app: Any, authorization: str | None, code: int, message: str) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with connect(app) as c:
        for method, path in (("POST", T2V), ("GET", f"{T2V}/1"), ("GET", I2V)):
            r = await c.request(method, path, json=BODY if method == "POST" else None, headers=headers)
            assert error(r) == (401, code, message)


async def test_hand_built_token_and_clock_boundaries(app: Any, ctx: EmulatorContext) -> None:
    token = forge(HS256, {"exp": int(T0) + 30, "iss": DEV_ACCESS_KEY, "nbf": int(T0)})
    async with connect(app) as c:
        auth = {"Authorization": f"Bearer {token}"}
        assert (await c.post(T2V, json=BODY, headers=auth)).status_code == 200
        await ctx.clock.advance(29)
        assert (await c.get(T2V, headers=auth)).status_code == 200
        await ctx.clock.advance(1)
        assert error(await c.get(T2V, headers=auth))[1] == 1004  # exp is exclusive


async def test_configured_key_pairs_accounts_and_leeway(media: MediaCache) -> None:
    ctx = make_ctx(media)
    plugin = make_plugin(KlingOptions(keys=(("ak-a", "sk-a"), ("ak-b", "sk-b")), leeway=10))
    app = plugin.build_emulator(ctx)
    async with (
        connect(app, KlingAuth(ctx.clock, "ak-a", "sk-a")) as a,
        connect(app, KlingAuth(ctx.clock, "ak-b", "sk-b")) as b,
        connect(app, KlingAuth(ctx.clock)) as dev,
    ):
        assert error(await dev.get(T2V))[1] == 1000  # the dev pair is not configured here
        tid = await create(a, external_task_id="shared-id")
        await create(b, external_task_id="shared-id")  # external ids are per account
        assert error(await a.post(T2V, json={**BODY, "external_task_id": "shared-id"})) == (
            400,
            1201,
            "external_task_id shared-id already exists",
        )
        assert error(await b.get(f"{T2V}/{tid}"))[:2] == (404, 1203)  # another account's task
        assert [t["task_id"] for t in (await a.get(T2V)).json()["data"]] == [tid]
        client = plugin.build_client(ServerConfig())
        assert isinstance(client, KlingClient) and client.access_key == "ak-a"
        early = encode_token("ak-a", "sk-a", T0 + 10)  # nbf = T0 + 5: within the 10 s leeway
        assert (await a.get(T2V, headers={"Authorization": f"Bearer {early}"})).status_code == 200


# -- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, changes, status, code, message",
    [
        (T2V, {"duration": 5}, 400, 1201, 'duration must be a string, "5" or "10", got 5'),
        (T2V, {"duration": "7"}, 400, 1201, 'duration must be one of "5", "10", got \'7\''),
        (T2V, {"model_name": "kling-v9"}, 404, 1203, "model_name 'kling-v9' does not exist"),
        (T2V, {"model_name": "kling-v2-1"}, 400, 1201, "model_name kling-v2-1 is not supported by text2video"),
        (T2V, {"prompt": ""}, 400, 1201, "prompt is required"),
        (T2V, {"prompt": 3}, 400, 1201, "prompt must be a string"),
        (T2V, {"prompt": "x" * 2501}, 400, 1201, "prompt must not exceed 2500 characters"),
        (T2V, {"negative_prompt": "x" * 2501}, 400, 1201, "negative_prompt must not exceed 2500 characters"),
        (T2V, {"aspect_ratio": "4:3"}, 400, 1201, "aspect_ratio must be one of 16:9, 9:16, 1:1, got '4:3'"),
        (T2V, {"mode": "ultra"}, 400, 1201, "mode must be one of std, pro, got 'ultra'"),
        (T2V, {"cfg_scale": 1.5}, 400, 1201, "cfg_scale must be a number between 0 and 1, got 1.5"),
        (T2V, {"sound": "on"}, 400, 1201, "sound is not supported by model_name kling-v1"),
        (
            T2V,
            {"model_name": "kling-v2-6", "sound": "on"},
            400,
            1201,
            "sound on requires mode pro for model_name kling-v2-6",
        ),
        (
            T2V,
            {"camera_control": {"type": "zoom"}},
            400,
            1201,
            "camera_control.type must be one of simple, down_back, forward_up, right_turn_forward, left_turn_forward, got 'zoom'",
        ),
        (
            T2V,
            {"camera_control": {"type": "simple", "config": {"pan": 3, "zoom": 2}}},
            400,
            1201,
            "camera_control.config must set exactly one of horizontal, vertical, pan, tilt, roll, zoom to a non-zero value",
        ),
        (
            T2V,
            {"watermark_info": {"enabled": "yes"}},
            400,
            1201,
            "watermark_info must be an object with a boolean enabled",
        ),
        (T2V, {"callback_url": "ftp://hooks"}, 400, 1201, "callback_url must be an http(s) URL"),
        (
            T2V,
            {"prompt": "a fox [vidmock:input_moderation]"},
            400,
            1301,
            "The input triggered the content security policy of the platform, please modify it and try again",
        ),
        (I2V, {}, 400, 1201, "image is required"),
        (
            I2V,
            {"image": "data:image/png;base64," + IMAGE},
            400,
            1201,
            "image must be raw base64 without the data: prefix",
        ),
        (I2V, {"image": "@@@"}, 400, 1201, "image must be an image URL or valid base64"),
        (I2V, {"image": b64(b"GIF89a" + b"\0" * 20)}, 400, 1201, "image format must be jpg, jpeg or png"),
        (I2V, {"image": b64(png(1, 1))}, 400, 1201, "image width and height must be at least 300px, got 1x1"),
        (
            I2V,
            {"image": b64(png(1000, 300))},
            400,
            1201,
            "image aspect ratio must be between 1:2.5 and 2.5:1, got 1000x300",
        ),
        (
            I2V,
            {"image": IMAGE, "model_name": "kling-v1-6", "image_tail": IMAGE},
            400,
            1201,
            "image_tail is not supported by mode std of model_name kling-v1-6",
        ),
        (
            I2V,
            {"image": IMAGE, "image_tail": IMAGE, "camera_control": {"type": "down_back"}},
            400,
            1201,
            "image_tail, static_mask/dynamic_masks and camera_control cannot be used together",
        ),
        (
            I2V,
            {"image": IMAGE, "dynamic_masks": [{"mask": "https://m", "trajectories": [{"x": 1, "y": 2}]}]},
            400,
            1201,
            "dynamic_masks[0].trajectories must be 2 to 77 points with integer x and y",
        ),
        (
            I2V,
            {"image": IMAGE, "model_name": "kling-v2-6", "mode": "pro", "voice_list": [{"voice_id": "v1"}]},
            400,
            1201,
            "voice_list requires sound on",
        ),
    ],
)
async def test_create_validation_in_kling_envelope(
    kling: httpx.AsyncClient, path: str, changes: dict[str, Any], status: int, code: int, message: str
) -> None:
    assert error(await kling.post(path, json={**BODY, **changes})) == (status, code, message)


async def test_bodies_routes_and_ids(kling: httpx.AsyncClient, app: Any) -> None:
    for raw in (b"{", b"\xff\xfe", b"[" * 100000):
        assert error(await kling.post(T2V, content=raw, headers={"Content-Type": "application/json"})) == (
            400,
            1200,
            "Invalid request parameters: the request body is not valid JSON",
        )
    assert error(await kling.post(T2V, json=[BODY])) == (
        400,
        1200,
        "Invalid request parameters: the request body must be a JSON object",
    )
    huge = await kling.post(T2V, content=b" " * (48 * 1024 * 1024 + 1), headers={"Content-Type": "application/json"})
    assert error(huge) == (413, 1200, "Invalid request parameters: the request body is too large")
    assert error(await kling.get(f"{T2V}/123")) == (404, 1203, "task 123 does not exist")
    assert error(await kling.get("/v1/videos/omni-video/123")) == (404, 1202, "The requested method is invalid")
    assert error(await kling.delete(f"{T2V}/123")) == (404, 1202, "The requested method is invalid")
    assert error(await kling.get("/v2/nothing")) == (404, 1202, "The requested method is invalid")
    # Explicit nulls are absent fields; the default model is kling-v1 and the defaults are std, 5 s, 16:9.
    tid = await create(kling, model_name=None, duration=None, mode=None, cfg_scale=None)
    doc = (await kling.get(f"{T2V}/{tid}")).json()["data"]
    assert doc["task_status"] == "submitted"
    camera = await kling.post(T2V, json={**BODY, "camera_control": {"type": "simple", "config": {"zoom": -4}}})
    assert camera.status_code == 200


async def test_image_size_check_is_an_option(media: MediaCache) -> None:
    ctx = make_ctx(media)
    app = make_plugin(KlingOptions(check_image_size=False)).build_emulator(ctx)
    async with connect(app, KlingAuth(ctx.clock)) as c:
        tid = await create(c, I2V, image=b64(png(1, 1)))
        assert record(ctx, tid)["aspect_ratio"] == "1:1"
        assert (
            error(await c.post(I2V, json={**BODY, "image": b64(b"not an image")}))[2]
            == "image format must be jpg, jpeg or png"
        )


# -- scenarios and moderation -------------------------------------------------------------------------

SCENARIO = """\
name: kling-flaky
description: d
reproduces: r
provider: kling
timeline: [{at: 0, status: queued}, {at: 10, status: in_progress}, {at: 40, status: completed}]
faults:
  submit: [{status: 429, code: 1303}, pass]
  poll: [{status: 503}, pass]
  content: [{truncate: 100}]
"""
FAILING = """\
name: kling-fails
description: d
reproduces: r
provider: kling
timeline: [{at: 0, status: queued}, {at: 30, status: failed}]
outcome: {error: {code: "5000", message: The task failed for an internal reason.}}
"""


async def test_scenario_faults_in_kling_envelope(media: MediaCache, tmp_path: Path) -> None:
    (tmp_path / "kling-flaky.yaml").write_text(SCENARIO)
    (tmp_path / "kling-fails.yaml").write_text(FAILING)
    ctx = make_ctx(media, scenarios_dir=str(tmp_path))
    app = PLUGIN.build_emulator(ctx)
    async with connect(app, KlingAuth(ctx.clock), socket_like=True) as c:
        flaky = {"X-Vidmock-Scenario": "kling-flaky"}
        assert error(await c.post(T2V, json=BODY, headers=flaky)) == (
            429,
            1303,
            "parallel task over resource pack limit",
        )
        tid = (await c.post(T2V, json=BODY, headers=flaky)).json()["data"]["task_id"]
        assert error(await c.get(f"{T2V}/{tid}")) == (
            503,
            5001,
            "Server temporarily unavailable, usually due to maintenance",
        )
        assert (await c.get(f"{T2V}/{tid}")).json()["data"]["task_status"] == "submitted"
        await ctx.clock.advance(40)
        video = (await c.get(f"{T2V}/{tid}")).json()["data"]["task_result"]["videos"][0]
        path = video["url"].removeprefix(BASE)
        with pytest.raises(httpx.RemoteProtocolError):
            await c.get(path)  # the first download breaks off after 100 bytes
        assert (await c.get(path)).content[4:8] == b"ftyp"
        failing = await create(c, prompt="a fox [scenario:kling-fails]")
        await ctx.clock.advance(30)
        data = (await c.get(f"{T2V}/{failing}")).json()["data"]
        assert (data["task_status"], data["task_status_msg"]) == ("failed", "The task failed for an internal reason.")
        assert "task_result" not in data
        status, code, message = error(await c.post(T2V, json=BODY, headers={"X-Vidmock-Scenario": "nope"}))
        assert (status, code) == (400, 1201) and message.startswith("unknown scenario 'nope'")


async def test_output_moderation_fails_the_task_after_running(kling: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await create(kling, prompt="a fox [vidmock:output_moderation]")
    await ctx.clock.advance(12)
    assert (await kling.get(f"{T2V}/{tid}")).json()["data"]["task_status"] == "processing"
    await ctx.clock.advance(108)
    data = (await kling.get(f"{T2V}/{tid}")).json()["data"]
    assert (data["task_status"], data["task_status_msg"]) == ("failed", RISK_CONTROL)


# -- callbacks ----------------------------------------------------------------------------------------


async def test_callback_posts_each_status_change(kling: httpx.AsyncClient, app: Any, ctx: EmulatorContext) -> None:
    receiver = Receiver(None, now=ctx.clock.now)
    dispatcher = dispatcher_of(app)
    dispatcher.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app))
    tid = await create(kling, callback_url="https://hooks.example/kling?t=1", external_task_id="cb-1")
    await create(kling)  # no callback_url: nothing sent
    snapshots = {}
    for at in (0, 12, 120):
        await ctx.clock.advance(at - (ctx.clock.now() - T0))
        snapshots[at] = (await kling.get(f"{T2V}/{tid}")).json()["data"]
    await ctx.clock.advance(600)
    posts = receiver.deliveries
    assert [(d.received_at - T0, json.loads(d.body)["task_status"]) for d in posts] == [
        (0, "submitted"),
        (12, "processing"),
        (120, "succeed"),
    ]
    assert [json.loads(d.body) for d in posts] == [snapshots[0], snapshots[12], snapshots[120]]
    assert all(d.path == "/kling?t=1" and d.headers["content-type"] == "application/json" for d in posts)
    assert json.loads(posts[-1].body)["task_info"] == {"external_task_id": "cb-1"}
    assert ctx.clock.pending_timers() == 0


async def test_callback_retries_a_failed_post(kling: httpx.AsyncClient, app: Any, ctx: EmulatorContext) -> None:
    receiver = Receiver(None, script=[500, 200], now=ctx.clock.now)
    dispatcher = dispatcher_of(app)
    dispatcher.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app))
    tid = await create(kling, prompt="x [vidmock:output_moderation]", callback_url="https://hooks.example/k")
    await ctx.clock.advance(200)
    got = [(d.received_at - T0, json.loads(d.body)["task_status"], d.answered.status) for d in receiver.deliveries]
    assert got == [(0, "submitted", 500), (10, "submitted", 200), (12, "processing", 200), (120, "failed", 200)]
    assert [r["status"] for r in dispatcher.rows(tid)] == ["retrying", "delivered", "delivered", "delivered"]


# -- the client -------------------------------------------------------------------------------------


def mapping(external_id: str) -> Mapping:
    return Mapping(
        provider="kling",
        external_id=external_id,
        sizes=("1280x720", "720x1280", "1920x1080"),
        durations=(5, 10),
        supports_audio=True,
        supports_silent=True,
        per_second_price={"default": 0.1},
    )


def submit_ctx(
    model: str = "kling-v1",
    size: str = "1280x720",
    seconds: int = 5,
    image: str | None = None,
    last: str | None = None,
    audio: bool = False,
) -> SubmitContext:
    req = CreateRequest(
        prompt="a lighthouse",
        seconds=seconds,
        size=size,
        audio=audio,
        image=ImageInput(image) if image else None,
        last_frame=ImageInput(last) if last else None,
    )
    return SubmitContext(
        request=req,
        mapping=mapping(model),
        request_id="req_1",
        first_frame=prepare(req.image) if req.image else None,
        last_frame=prepare(req.last_frame) if req.last_frame else None,
    )


async def test_client_corrects_clock_skew_then_submits_and_polls(app: Any, ctx: EmulatorContext) -> None:
    wall = [T0 + 250 * 86400]  # the client's wall clock is months ahead of the virtual clock
    client = KlingClient(now=lambda: wall[0])
    async with connect(app) as http:
        result = await client.submit(http, submit_ctx())
        calls = ctx.journal.for_service("kling")
        assert [(e.path, e.status) for e in calls] == [(T2V, 401), (T2V, 200)]  # 1003, then re-signed
        assert calls[0].response["code"] == 1003
        assert calls[-1].body == {
            "model_name": "kling-v1",
            "prompt": "a lighthouse",
            "duration": "5",
            "mode": "std",
            "aspect_ratio": "16:9",
        }
        assert (result.status, result.progress, result.upstream_id) == (
            "submitted",
            0,
            calls[-1].response["data"]["task_id"],
        )
        poll = await client.poll(http, result.upstream_id, {"image_count": 0})
        assert (poll.status, poll.progress, poll.content_url) == ("queued", 0, None)
        await ctx.clock.advance(3600)  # past the token's 30 min: the learned offset is stale, 1004 then retry
        poll = await client.poll(http, result.upstream_id, {"image_count": 0})
        assert [e.status for e in ctx.journal.for_service("kling")][-2:] == [401, 200]
        assert poll.status == "completed" and poll.content_url is not None
        assert (poll.completed_at, poll.expires_at) == (T0 + 120, T0 + 120 + 30 * 86400)
        r = await http.get(poll.content_url.removeprefix(BASE), headers={"Range": "bytes=0-7"})
        assert r.status_code == 206 and r.content[4:8] == b"ftyp"
        with pytest.raises(PollFailure):
            await client.poll(http, "999", {"image_count": 0})
        assert client.content_path("x") is None and client.content_headers() == {}


async def test_client_image2video_frames_sound_and_references(media: MediaCache) -> None:
    ctx = make_ctx(media)
    app = make_plugin(KlingOptions(check_image_size=False)).build_emulator(ctx)
    client = KlingClient(now=ctx.clock.now)
    data_url = "data:image/png;base64," + IMAGE
    async with connect(app) as http:
        result = await client.submit(
            http,
            submit_ctx("kling-v2-6", "1920x1080", 10, image=data_url, last="https://img.example/last.png", audio=False),
        )
        sent = ctx.journal.for_service("kling")[-1]
        assert sent.path == I2V and sent.body == {
            "model_name": "kling-v2-6",
            "prompt": "a lighthouse",
            "duration": "10",
            "mode": "pro",
            "image": IMAGE,
            "image_tail": "https://img.example/last.png",
            "sound": "off",
        }
        assert (await client.poll(http, result.upstream_id, {"image_count": 2})).status == "queued"
        with pytest.raises(PollFailure):  # the task is an image2video one
            await client.poll(http, result.upstream_id, {"image_count": 0})
        with pytest.raises(UpstreamError) as err:  # sound needs pro: the emulator's 1201 reaches the gateway
            await client.submit(http, submit_ctx("kling-v2-6", "720x1280", audio=True, seconds=5))
        assert (err.value.status, err.value.message) == (
            400,
            "Kling video API error: sound on requires mode pro for model_name kling-v2-6 (code 1201)",
        )
        base = submit_ctx()
        refs = SubmitContext(
            request=base.request, mapping=base.mapping, request_id="r", references=(prepare(ImageInput(data_url)),)
        )
        with pytest.raises(UpstreamError) as err:
            await client.submit(http, refs)
        assert (err.value.status, err.value.message) == (400, "reference inputs are unsupported on Kling video models")


@pytest.mark.parametrize(
    "reply, status, message",
    [
        (
            httpx.Response(400, json={"code": 1201, "message": "bad duration", "request_id": "r"}),
            400,
            "Kling video API error: bad duration (code 1201)",
        ),
        (
            httpx.Response(429, json={"code": 1303, "message": "parallel task over resource pack limit"}),
            429,
            "Kling video API error: parallel task over resource pack limit (code 1303)",
        ),
        (httpx.Response(502, text="<html>bad gateway</html>"), 502, "Upstream provider error (502)"),
        (
            httpx.Response(200, json={"code": 1200, "message": "odd", "data": None}),
            502,
            "Kling video API error: odd (code 1200)",
        ),
        (
            httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": {}}),
            502,
            "Kling video response did not include a task id",
        ),
    ],
)
async def test_client_submit_errors(reply: httpx.Response, status: int, message: str) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: reply), base_url="http://x") as http:
        with pytest.raises(UpstreamError) as err:
            await KlingClient().submit(http, submit_ctx())
    assert (err.value.status, err.value.message) == (status, message)


@pytest.mark.parametrize(
    "data, status, error_message",
    [
        ({"task_status": "processing"}, "in_progress", None),
        ({"task_status": "failed", "task_status_msg": "risk control"}, "failed", "risk control"),
        ({"task_status": "failed", "task_status_msg": ""}, "failed", "Kling video generation failed"),
        ({"task_status": "succeed", "task_result": {"videos": []}}, "completed", None),
    ],
)
async def test_client_poll_mapping(data: dict[str, Any], status: str, error_message: str | None) -> None:
    reply = httpx.Response(200, json={"code": 0, "message": "SUCCEED", "request_id": "r", "data": data})
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: reply), base_url="http://x") as http:
        poll = await KlingClient().poll(http, "1", {})
    assert poll.status == status and (poll.error or {}).get("message") == error_message


# -- mounted in the full app --------------------------------------------------------------------------


async def test_mounted_in_vidmock(make_app: Callable[..., Any]) -> None:
    app = make_app(config_for_tests())  # the registry's Kling plugin (the default)
    runtime = app.state.vidmock
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001", auth=KlingAuth(runtime.clock)
    ) as c:
        r = await c.post(f"/providers/kling{T2V}", json={**BODY, "model_name": "kling-v2-5-turbo"})
        assert r.status_code == 200, r.text
        tid = r.json()["data"]["task_id"]
        await runtime.advance(90)
        data = (await c.get(f"/providers/kling{T2V}/{tid}")).json()["data"]
        url = data["task_result"]["videos"][0]["url"]
        assert url.startswith(f"{BASE}/files/{tid}/")
        content = await c.get(url.removeprefix("http://127.0.0.1:4001"), headers={"Range": "bytes=0-7"})
        assert content.status_code == 206 and content.content[4:8] == b"ftyp"
        assert [e.path for e in runtime.journal.for_service("kling")][:2] == [
            f"/providers/kling{T2V}",
            f"/providers/kling{T2V}/{tid}",
        ]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as anonymous:
        assert error(await anonymous.post(f"/providers/kling{T2V}", json=BODY))[:2] == (401, 1001)


# -- arbitrary input, authenticated (the shared bad-input test only reaches the 401) --------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    [
        "model_name",
        "prompt",
        "negative_prompt",
        "cfg_scale",
        "mode",
        "aspect_ratio",
        "duration",
        "sound",
        "camera_control",
        "watermark_info",
        "callback_url",
        "external_task_id",
        "image",
        "image_tail",
        "static_mask",
        "dynamic_masks",
        "voice_list",
    ]
)
VALUES = st.one_of(
    JSON, st.sampled_from(["5", "10", "pro", "std", "on", "kling-v2-6", "kling-v1-6", IMAGE, "https://x/y.png", "16:9"])
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from([T2V, I2V]),
    body=st.one_of(JSON, st.dictionaries(FIELDS, VALUES, max_size=8)),
    ident=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30),
)
def test_arbitrary_bodies_and_ids_get_a_4xx_envelope(media: MediaCache, path: str, body: Any, ident: str) -> None:
    from urllib.parse import quote

    async def go() -> None:
        ctx = make_ctx(media)
        async with connect(
            make_plugin(KlingOptions(check_image_size=False)).build_emulator(ctx), KlingAuth(ctx.clock)
        ) as c:
            r = await c.post(path, json=body)
            assert r.status_code == 200 or (
                r.status_code < 500 and set(r.json()) == {"code", "message", "request_id"}
            ), (body, r.status_code, r.text[:300])
            for target in (f"{path}/{quote(ident, safe='')}", f"/files/{quote(ident, safe='')}/x.mp4"):
                r = await c.get(target, params={"pageSize": ident[:6]})
                assert 400 <= r.status_code < 500 and "code" in r.json(), (target, r.status_code, r.text[:300])

    asyncio.run(go())


def test_client_over_a_socket_with_the_servers_own_date_header(media: MediaCache) -> None:
    """uvicorn adds a wall-clock ``Date`` of its own; the client reads the emulator's (the last)."""
    from vidmock.harness.serve import ThreadServer

    ctx = make_ctx(media)
    app = PLUGIN.build_emulator(ctx)

    async def go(url: str) -> None:
        client = KlingClient()  # signs with the real wall clock, months after the virtual one
        async with httpx.AsyncClient(base_url=url) as http:
            result = await client.submit(http, submit_ctx())
            r = await http.get(T2V, headers={"Authorization": f"Bearer {client.token()}"})
            assert len(r.headers.get_list("date")) == 2 and r.status_code == 200
            assert (await client.poll(http, result.upstream_id, {"image_count": 0})).status == "queued"
        assert [e.status for e in ctx.journal.for_service("kling")] == [401, 200, 200, 200]

    with ThreadServer(app) as server:
        asyncio.run(go(server.url))
