"""The Runway API emulator and a gateway's client for it (providers.md §9)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_ctx
from conftest import test_config as config_for_tests

from vidmock.config import ServerConfig
from vidmock.gateway.application.images import prepare
from vidmock.gateway.domain.catalogue import Mapping
from vidmock.gateway.domain.request import CreateRequest, ImageInput
from vidmock.media import MediaCache, VideoSpec
from vidmock.providers.base import EmulatorContext, PollFailure, SubmitContext, UpstreamError
from vidmock.providers.runway import PLUGIN, RunwayOptions, make_plugin
from vidmock.providers.runway.models import KIND

pytestmark = pytest.mark.anyio
SERVICE = "runway"
HEADERS = {"Authorization": "Bearer key_test", "X-Runway-Version": "2024-11-06"}
BASE = "http://127.0.0.1:4001/providers/runway"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="
)
T2V = {"model": "gen4.5", "promptText": "a red fox in snow", "ratio": "1280:720", "duration": 5}
DOC = "https://docs.dev.runwayml.com/api"


@pytest.fixture
def ctx(media: MediaCache) -> EmulatorContext:
    return make_ctx(media)


def client_for(ctx: EmulatorContext, options: RunwayOptions | None = None) -> httpx.AsyncClient:
    app = make_plugin(options).build_emulator(ctx)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://runway.test")


@pytest.fixture
async def rw(ctx: EmulatorContext) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(ctx) as c:
        yield c


async def create(rw: httpx.AsyncClient, path: str = "/v1/text_to_video", **body: Any) -> str:
    r = await rw.post(path, json=body if "model" in body else {**T2V, **body}, headers=HEADERS)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def task(rw: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    r = await rw.get(f"/v1/tasks/{task_id}", headers=HEADERS)
    assert r.status_code == 200, r.text
    return dict(r.json())


def local(url: str) -> str:
    assert url.startswith(BASE + "/files/")
    return url[len(BASE) :]


def issues_of(r: httpx.Response) -> list[dict[str, Any]]:
    body = r.json()
    assert (r.status_code, body["error"], body["docUrl"]) == (400, "Validation of body failed", DOC), r.text
    return list(body["issues"])


# -- lifecycle --------------------------------------------------------------------------------------


async def test_text_to_video_lifecycle_on_the_clock(rw: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    r = await rw.post("/v1/text_to_video", json=T2V, headers=HEADERS)
    assert r.status_code == 200 and set(r.json()) == {"id", "estimatedCost"}
    tid = r.json()["id"]
    assert UUID.match(tid) and r.json()["estimatedCost"] == {"credits": 60}  # gen4.5: 12 credits/s
    pending = await task(rw, tid)
    assert ISO.match(pending["createdAt"])
    assert pending == {
        "id": tid,
        "createdAt": pending["createdAt"],
        "status": "PENDING",
        "estimatedCost": {"credits": 60},
    }
    await ctx.clock.advance(9)  # gen4.5 renders in 90 s, queued for the first tenth
    assert (await task(rw, tid))["progress"] == 0.0
    await ctx.clock.advance(36)
    running = await task(rw, tid)
    assert (running["status"], running["progress"], running["estimatedCost"]) == ("RUNNING", 0.44, {"credits": 60})
    await ctx.clock.advance(44)
    assert (await task(rw, tid))["status"] == "RUNNING"
    await ctx.clock.advance(1)
    done = await task(rw, tid)
    assert set(done) == {"id", "createdAt", "status", "output", "cost"}
    assert (done["status"], done["cost"], len(done["output"])) == ("SUCCEEDED", {"credits": 60}, 1)
    assert done["createdAt"] == pending["createdAt"]


async def test_output_url_bytes_ranges_and_expiry(
    rw: httpx.AsyncClient, ctx: EmulatorContext, media: MediaCache
) -> None:
    tid = await create(rw, seed=7)
    await ctx.clock.advance(90)
    url = local((await task(rw, tid))["output"][0])
    assert re.match(rf"^/files/{tid}\.mp4\?_jwt=[\w-]+\.[\w-]+\.[\w-]+$", url)
    r = await rw.get(url)  # a CDN URL: no key, no version header
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4" and r.content[4:8] == b"ftyp"
    assert r.content == media.get(VideoSpec(1280, 720, 5, False, 7))  # the asked size, length and seed
    part = await rw.get(url, headers={"Range": "bytes=0-9"})
    assert (part.status_code, part.headers["content-range"], part.content) == (
        206,
        f"bytes 0-9/{len(r.content)}",
        r.content[:10],
    )
    assert (await rw.get(url, headers={"Range": "bytes=0-1,3-4"})).status_code == 416
    for bad in (url.split("?")[0], url[:-2] + "xx"):
        denied = await rw.get(bad)
        assert denied.status_code == 403 and "error" in denied.json()
    await ctx.clock.advance(24 * 3600)  # URLs expire; fetching the task again gives a fresh one
    expired = await rw.get(url)
    assert expired.status_code == 403
    assert expired.json() == {"error": "The URL has expired. Fetch the task again to get a fresh URL."}
    fresh = local((await task(rw, tid))["output"][0])
    assert fresh != url and (await rw.get(fresh)).content == r.content


async def test_image_to_video_veo_frames_audio_and_cost(rw: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    body = {
        "model": "veo3.1",
        "ratio": "1080:1920",
        "duration": 4,
        "audio": False,
        "promptImage": [
            {"uri": PNG, "position": "first"},
            {"uri": "https://cdn.example.com/l.png", "position": "last"},
        ],
    }
    r = await rw.post("/v1/image_to_video", json=body, headers=HEADERS)
    assert r.status_code == 200 and r.json()["estimatedCost"] == {"credits": 80}  # silent Veo 3.1: 20/s
    doc = ctx.store.get(KIND, r.json()["id"])
    assert (doc["width"], doc["height"], doc["duration"], doc["audio"]) == (1080, 1920, 4, False)
    tid = await create(rw, "/v1/image_to_video", model="gen4_turbo", promptImage="runway://upload/abc", ratio="960:960")
    doc = ctx.store.get(KIND, tid)  # gen4_turbo: the prompt is optional, 5 s by default, 5 credits/s
    assert (doc["prompt"], doc["width"], doc["duration"], doc["estimate"]) == ("", 960, 5, 25)


async def test_video_inputs_and_upscale(rw: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await create(
        rw,
        "/v1/video_to_video",
        model="aleph2",
        videoUri="https://cdn.example.com/in.mp4",
        promptText="make it snow",
        ratio="848:480",
    )
    doc = ctx.store.get(KIND, tid)
    assert (doc["width"], doc["height"], doc["duration"], doc["estimate"]) == (848, 480, 5, 75)
    tid = await create(
        rw,
        "/v1/video_upscale",
        model="magnific_video_upscaler_creative",
        videoUri="data:video/mp4;base64,AAAA",
        resolution="1k",
        creativity=40,
        flavor="vivid",
    )
    doc = ctx.store.get(KIND, tid)  # the upscaler keeps the input's audio; 21 credits/s at 1k
    assert (doc["width"], doc["height"], doc["audio"], doc["estimate"]) == (1920, 1080, True, 105)
    r = await rw.post("/v1/video_upscale", json={"model": "upscale_v1", "promptText": "x"}, headers=HEADERS)
    assert issues_of(r) == [
        {
            "expected": "string",
            "code": "invalid_type",
            "path": ["videoUri"],
            "message": "Invalid input: expected string, received undefined",
        },
        {"code": "unrecognized_keys", "keys": ["promptText"], "path": [], "message": 'Unrecognized key: "promptText"'},
    ]


async def test_seedance_auto_duration_is_billed_at_the_maximum(rw: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await create(rw, model="seedance2_fast", promptText="waves", duration="auto")
    assert (await task(rw, tid))["estimatedCost"] == {"credits": 300}  # 20/s x 15 s up front
    await ctx.clock.advance(60)
    done = await task(rw, tid)
    assert (done["status"], done["cost"]) == ("SUCCEEDED", {"credits": 100})  # 5 s rendered, the rest refunded


async def test_latency_is_configurable_per_model(media: MediaCache) -> None:
    ctx = make_ctx(media, latency={"gen4.5": 10})
    async with client_for(ctx) as rw:
        tid = await create(rw)
        await ctx.clock.advance(9.9)
        assert (await task(rw, tid))["status"] == "RUNNING"
        await ctx.clock.advance(0.1)
        assert (await task(rw, tid))["status"] == "SUCCEEDED"


# -- validation -------------------------------------------------------------------------------------


def inv(path: list[Any], expected: str, received: str) -> dict[str, Any]:
    return {
        "expected": expected,
        "code": "invalid_type",
        "path": path,
        "message": f"Invalid input: expected {expected}, received {received}",
    }


NO_MODEL = {
    "code": "invalid_union",
    "errors": [],
    "note": "No matching discriminator",
    "discriminator": "model",
    "path": ["model"],
    "message": "Invalid input",
}


@pytest.mark.parametrize(
    "path, body, issues",
    [
        ("/v1/text_to_video", {"promptText": "x"}, [inv(["model"], "string", "undefined"), NO_MODEL]),
        ("/v1/text_to_video", {**T2V, "model": "gen3a_turbo"}, [NO_MODEL]),
        ("/v1/text_to_video", {**T2V, "model": "gen4_turbo"}, [NO_MODEL]),  # image_to_video only
        (
            "/v1/text_to_video",
            {k: v for k, v in T2V.items() if k != "duration"},
            [inv(["duration"], "number", "undefined")],
        ),
        (
            "/v1/text_to_video",
            {**T2V, "duration": 11},
            [
                {
                    "origin": "number",
                    "code": "too_big",
                    "maximum": 10,
                    "inclusive": True,
                    "path": ["duration"],
                    "message": "Too big: expected number to be <=10",
                }
            ],
        ),
        (
            "/v1/text_to_video",
            {**T2V, "duration": 2.5},
            [
                {
                    "expected": "int",
                    "format": "safeint",
                    "code": "invalid_type",
                    "path": ["duration"],
                    "message": "Invalid input: expected int, received number",
                }
            ],
        ),
        (
            "/v1/text_to_video",
            {**T2V, "model": "veo3.1", "duration": 5},
            [
                {
                    "code": "invalid_value",
                    "values": [4, 6, 8],
                    "path": ["duration"],
                    "message": "Invalid option: expected one of 4|6|8",
                }
            ],
        ),
        (
            "/v1/text_to_video",
            {**T2V, "promptText": "\U0001f98a" * 501},  # 1002 UTF-16 units
            [
                {
                    "origin": "string",
                    "code": "too_big",
                    "maximum": 1000,
                    "inclusive": True,
                    "path": ["promptText"],
                    "message": "Too big: expected string to have <=1000 characters",
                }
            ],
        ),
        (
            "/v1/text_to_video",
            {**T2V, "seed": -1},
            [
                {
                    "origin": "number",
                    "code": "too_small",
                    "minimum": 0,
                    "inclusive": True,
                    "path": ["seed"],
                    "message": "Too small: expected number to be >=0",
                }
            ],
        ),
        (
            "/v1/text_to_video",
            {**T2V, "promptText": "", "ratio": "16:9", "duration": None, "fps": 24},
            [
                {
                    "origin": "string",
                    "code": "too_small",
                    "minimum": 1,
                    "inclusive": True,
                    "path": ["promptText"],
                    "message": "Too small: expected string to have >=1 characters",
                },
                {
                    "code": "invalid_value",
                    "values": ["1280:720", "720:1280"],
                    "path": ["ratio"],
                    "message": 'Invalid option: expected one of "1280:720"|"720:1280"',
                },
                inv(["duration"], "number", "null"),
                {"code": "unrecognized_keys", "keys": ["fps"], "path": [], "message": 'Unrecognized key: "fps"'},
            ],
        ),
        (
            "/v1/image_to_video",
            {**T2V, "promptImage": "http://example.com/a.png"},
            [{"code": "custom", "path": ["promptImage"], "message": "Only HTTPS URLs are allowed."}],
        ),
        (
            "/v1/image_to_video",
            {**T2V, "promptImage": "https://10.0.0.1/a.png"},
            [{"code": "custom", "path": ["promptImage"], "message": "URLs must be hosted on a domain."}],
        ),
        (
            "/v1/image_to_video",
            {**T2V, "promptImage": "data:text/plain;base64,aGk="},
            [{"code": "custom", "path": ["promptImage"], "message": "Unsupported asset type."}],
        ),
        (
            "/v1/image_to_video",
            {**T2V, "promptImage": "data:image/png;base64,@@@"},
            [{"code": "custom", "path": ["promptImage"], "message": "Invalid data URI."}],
        ),
        (
            "/v1/image_to_video",
            {"model": "gen4_turbo", "ratio": "960:960", "promptImage": [{"uri": PNG, "position": "last"}]},
            [
                {
                    "code": "invalid_value",
                    "values": ["first"],
                    "path": ["promptImage", 0, "position"],
                    "message": 'Invalid input: expected "first"',
                }
            ],
        ),
        (
            "/v1/image_to_video",
            {"model": "veo3.1", "ratio": "1280:720", "promptImage": [{"uri": PNG, "position": "last"}]},
            [
                {
                    "code": "custom",
                    "path": ["promptImage"],
                    "message": "This model does not support generating with only a last frame.",
                }
            ],
        ),
        ("/v1/text_to_video", [T2V], [inv([], "object", "array")]),
    ],
)
async def test_validation_in_runways_envelope(
    rw: httpx.AsyncClient, path: str, body: Any, issues: list[dict[str, Any]]
) -> None:
    assert issues_of(await rw.post(path, json=body, headers=HEADERS)) == issues


async def test_bad_bodies_and_unknown_routes(rw: httpx.AsyncClient) -> None:
    r = await rw.post("/v1/text_to_video", content=b"{", headers={**HEADERS, "Content-Type": "application/json"})
    assert (r.status_code, r.json()) == (400, {"error": "The request body is not valid JSON."})
    r = await rw.post("/v1/text_to_video", content=b"x" * (32 * 1024 * 1024 + 1), headers=HEADERS)
    assert (r.status_code, r.json()) == (413, {"error": "Request body is too large."})
    for method, path in (("GET", "/v1/tasks/nope"), ("DELETE", "/v1/tasks/nope")):
        r = await rw.request(method, path, headers=HEADERS)
        assert (r.status_code, r.json()) == (404, {"error": "Could not find Task"})
    assert (await rw.get("/v1/tasks/a/b", headers=HEADERS)).json() == {"error": "Not found."}
    r = await rw.put("/v1/tasks/x", headers=HEADERS)
    assert (r.status_code, r.json()) == (405, {"error": "Method not allowed."})
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "DELETE"}
    assert (await rw.get("/v1/text_to_video", headers=HEADERS)).status_code == 405
    assert (await rw.get("/files/nope.mp4")).status_code == 404


async def test_auth_and_version_header(ctx: EmulatorContext, rw: httpx.AsyncClient) -> None:
    r = await rw.post("/v1/text_to_video", json=T2V, headers={"X-Runway-Version": "2024-11-06"})
    assert (r.status_code, r.json()) == (
        401,
        {"error": "No API key was provided. Pass it in the Authorization header as a Bearer token."},
    )
    assert (await rw.get("/v1/tasks/x", headers={**HEADERS, "Authorization": "Bearer  "})).status_code == 401
    r = await rw.post("/v1/text_to_video", json=T2V, headers={"Authorization": HEADERS["Authorization"]})
    assert (r.status_code, r.json()) == (
        400,
        {"error": "The X-Runway-Version header is required (for example 2024-11-06)."},
    )
    r = await rw.get("/v1/tasks/x", headers={**HEADERS, "X-Runway-Version": "2024-09-13"})
    assert (r.status_code, r.json()) == (
        400,
        {"error": "Unsupported X-Runway-Version '2024-09-13'. Supported versions: 2024-11-06."},
    )
    async with client_for(ctx, RunwayOptions(api_keys=("key_good",))) as strict:
        r = await strict.post("/v1/text_to_video", json=T2V, headers=HEADERS)
        assert (r.status_code, r.json()) == (401, {"error": "Invalid API key."})
        r = await strict.post("/v1/text_to_video", json=T2V, headers={**HEADERS, "Authorization": "Bearer key_good"})
        assert r.status_code == 200
    async with client_for(ctx, RunwayOptions(versions=())) as lax:  # the version check switched off
        assert (await lax.get("/v1/tasks/x", headers={"Authorization": "Bearer k"})).status_code == 404


# -- cancel and delete ------------------------------------------------------------------------------


async def test_delete_cancels_an_active_task_and_deletes_a_finished_one(
    rw: httpx.AsyncClient, ctx: EmulatorContext
) -> None:
    active = await create(rw)
    r = await rw.delete(f"/v1/tasks/{active}", headers={**HEADERS, "Accept": "*/*"})
    assert (r.status_code, r.content) == (204, b"")
    assert (await rw.get(f"/v1/tasks/{active}", headers=HEADERS)).status_code == 404  # can't be fetched again
    assert (await rw.delete(f"/v1/tasks/{active}", headers=HEADERS)).status_code == 404
    finished = await create(rw)
    await ctx.clock.advance(90)
    url = local((await task(rw, finished))["output"][0])
    assert (await rw.delete(f"/v1/tasks/{finished}", headers=HEADERS)).status_code == 204
    assert (await rw.get(f"/v1/tasks/{finished}", headers=HEADERS)).json() == {"error": "Could not find Task"}
    assert (await rw.get(url)).status_code == 404  # the output goes with it


async def test_kept_cancelled_tasks_and_refunds(ctx: EmulatorContext) -> None:
    async with client_for(ctx, RunwayOptions(keep_cancelled=True)) as rw:
        pending, running = await create(rw), await create(rw)
        await rw.delete(f"/v1/tasks/{pending}", headers=HEADERS)  # PENDING: refunded
        await ctx.clock.advance(30)
        await rw.delete(f"/v1/tasks/{running}", headers=HEADERS)  # RUNNING: charged
        await ctx.clock.advance(120)
        first, second = await task(rw, pending), await task(rw, running)
        assert (first["status"], first["cost"]) == ("CANCELLED", {"credits": 0})
        assert (second["status"], second["cost"]) == ("CANCELLED", {"credits": 60})
        assert "output" not in second
        assert (await rw.delete(f"/v1/tasks/{pending}", headers=HEADERS)).status_code == 204  # now deleted
        assert (await rw.get(f"/v1/tasks/{pending}", headers=HEADERS)).status_code == 404


async def test_throttled_past_the_concurrency_limit(ctx: EmulatorContext) -> None:
    async with client_for(ctx, RunwayOptions(concurrency=1)) as rw:
        body = {"model": "gen4_turbo", "promptImage": PNG, "ratio": "1280:720"}  # 45 s each
        first = await create(rw, "/v1/image_to_video", **body)
        second = await create(rw, "/v1/image_to_video", **body)
        other_model = await create(rw)
        r = await rw.post("/v1/image_to_video", json=body, headers={**HEADERS, "Authorization": "Bearer key_other"})
        other_key = r.json()["id"]
        throttled = await task(rw, second)
        assert set(throttled) == {"id", "createdAt", "status", "estimatedCost"} and throttled["status"] == "THROTTLED"
        assert [(await task(rw, t))["status"] for t in (first, other_model, other_key)] == ["PENDING"] * 3
        await ctx.clock.advance(45)  # the first finishes; the second is enqueued
        assert [(await task(rw, t))["status"] for t in (first, second)] == ["SUCCEEDED", "PENDING"]
        await ctx.clock.advance(5)
        assert (await task(rw, second))["status"] == "RUNNING"
        await ctx.clock.advance(40)
        assert (await task(rw, second))["status"] == "SUCCEEDED"


# -- scenarios --------------------------------------------------------------------------------------

SCENARIOS = {
    "runway-moderated": """\
name: runway-moderated
description: d
reproduces: r
timeline: [{at: 0, status: queued}, {at: 5, status: in_progress}, {at: 30, status: failed}]
outcome: {error: {code: SAFETY.OUTPUT.VIDEO, message: The output was flagged by content moderation.}}
faults:
  submit: [{status: 429, retry_after: 7}, pass]
  poll: [{status: 503}, pass]
""",
    "runway-short-lived": """\
name: runway-short-lived
description: d
reproduces: r
timeline: [{at: 0, status: in_progress}, {at: 10, status: completed}]
faults:
  content: [{status: 502}]
content: {expires_after: 600}
""",
    "runway-expired": """\
name: runway-expired
description: d
reproduces: r
timeline: [{at: 0, status: queued}, {at: 100, status: expired}]
""",
}


async def test_scenario_failure_and_faults(media: MediaCache, tmp_path: Path) -> None:
    for name, text in SCENARIOS.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    ctx = make_ctx(media, scenarios_dir=str(tmp_path))
    async with client_for(ctx) as rw:
        pick = {**HEADERS, "X-Vidmock-Scenario": "runway-moderated"}
        r = await rw.post("/v1/text_to_video", json=T2V, headers=pick)
        assert (r.status_code, r.headers["retry-after"], r.json()) == (
            429,
            "7",
            {"error": "You have exceeded the rate limit for your organization. Please retry later."},
        )
        tid = (await rw.post("/v1/text_to_video", json=T2V, headers=pick)).json()["id"]
        r = await rw.get(f"/v1/tasks/{tid}", headers=HEADERS)
        assert (r.status_code, r.json()) == (503, {"error": "Runway is temporarily shedding load. Please retry."})
        await ctx.clock.advance(30)
        failed = await task(rw, tid)
        assert {k: failed[k] for k in ("status", "failure", "failureCode", "cost")} == {
            "status": "FAILED",
            "failure": "The output was flagged by content moderation.",
            "failureCode": "SAFETY.OUTPUT.VIDEO",
            "cost": {"credits": 0},
        }
        r = await rw.post("/v1/text_to_video", json=T2V, headers={**HEADERS, "X-Vidmock-Scenario": "nope"})
        assert r.status_code == 400 and r.json()["error"].startswith("unknown scenario 'nope'")
        tid = (
            await rw.post(
                "/v1/text_to_video", json={**T2V, "promptText": "[scenario:runway-expired] x"}, headers=HEADERS
            )
        ).json()["id"]
        await ctx.clock.advance(100)
        assert (await task(rw, tid))["failureCode"] == "INTERNAL.TIMEOUT"


async def test_scenario_content_fault_and_retention(media: MediaCache, tmp_path: Path) -> None:
    (tmp_path / "runway-short-lived.yaml").write_text(SCENARIOS["runway-short-lived"])
    ctx = make_ctx(media, scenarios_dir=str(tmp_path))
    async with client_for(ctx) as rw:
        tid = (
            await rw.post(
                "/v1/text_to_video", json=T2V, headers={**HEADERS, "X-Vidmock-Scenario": "runway-short-lived"}
            )
        ).json()["id"]
        await ctx.clock.advance(10)
        url = local((await task(rw, tid))["output"][0])
        assert (await rw.get(url)).status_code == 502
        assert (await rw.get(url)).content[4:8] == b"ftyp"
        await ctx.clock.advance(599)
        assert (await rw.get(url)).status_code == 200
        await ctx.clock.advance(1)  # retention over: the URL's token ends with it, and no new URL is given
        assert (await rw.get(url)).status_code == 403
        done = await task(rw, tid)
        assert (done["status"], done["output"]) == ("SUCCEEDED", [])


# -- mounted in the server, and the official SDK ---------------------------------------------------


@pytest.fixture
async def served(make_app: Callable[..., Any]) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = make_app(config_for_tests())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as c:
        yield app, c


async def test_mounted_in_the_server(served: tuple[Any, httpx.AsyncClient]) -> None:
    app, http = served
    runtime = app.state.vidmock
    r = await http.post("/providers/runway/v1/text_to_video", json=T2V, headers=HEADERS)
    assert r.status_code == 200, r.text
    await runtime.advance(90)
    done = (await http.get(f"/providers/runway/v1/tasks/{r.json()['id']}", headers=HEADERS)).json()
    content = await http.get(done["output"][0])  # the URL is absolute and reachable as given
    assert content.status_code == 200 and content.content[4:8] == b"ftyp"
    assert [e.method for e in runtime.journal.for_service(SERVICE)] == ["POST", "GET", "GET"]


async def test_official_sdk(served: tuple[Any, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch) -> None:
    runwayml = pytest.importorskip("runwayml")
    from runwayml.lib import polling

    app, http = served
    runtime = app.state.vidmock
    sdk = runwayml.AsyncRunwayML(api_key="key_sdk", base_url=BASE, http_client=http, max_retries=0)
    created = await sdk.text_to_video.create(model="gen4.5", prompt_text="a fox", ratio="1280:720", duration=5)
    assert created.estimated_cost.credits == 60
    pending = await sdk.tasks.retrieve(created.id)
    assert pending.status == "PENDING" and pending.created_at.year >= 2020
    await runtime.advance(45)
    running = await sdk.tasks.retrieve(created.id)
    assert running.status == "RUNNING" and running.progress == 0.44
    await runtime.advance(45)
    monkeypatch.setattr(polling, "POLL_TIME", 0)  # the SDK sleeps 6 ± 1.5 s between polls in wall time
    monkeypatch.setattr(polling, "POLL_JITTER", 0)
    done = await created.wait_for_task_output()
    assert done.status == "SUCCEEDED" and done.cost.credits == 60
    assert (await http.get(done.output[0])).content[4:8] == b"ftyp"
    image = await sdk.image_to_video.create(model="gen4_turbo", prompt_image=PNG, ratio="960:960")
    assert UUID.match(image.id)
    with pytest.raises(runwayml.BadRequestError) as info:
        await sdk.text_to_video.create(model="gen4.5", prompt_text="a fox", ratio="1:1", duration=5)  # type: ignore[arg-type]
    assert info.value.body["issues"][0]["path"] == ["ratio"]
    await sdk.tasks.delete(image.id)
    with pytest.raises(runwayml.NotFoundError):
        await sdk.tasks.retrieve(image.id)
    bad = runwayml.AsyncRunwayML(api_key=" ", base_url=BASE, http_client=http, max_retries=0)
    with pytest.raises(runwayml.AuthenticationError):
        await bad.tasks.retrieve(created.id)


# -- the gateway's client ---------------------------------------------------------------------------

MAPPING = Mapping(
    provider=SERVICE,
    external_id="gen4.5",
    sizes=("1280x720",),
    durations=(5,),
    supports_audio=False,
    supports_silent=True,
    per_second_price={"default": 0.12},
)


def submit_ctx(
    image: str | None = None, last: str | None = None, mapping: Mapping = MAPPING, seconds: int = 5
) -> SubmitContext:
    req = CreateRequest(
        prompt="a lighthouse",
        seconds=seconds,
        size="1280x720",
        image=ImageInput(image) if image else None,
        last_frame=ImageInput(last) if last else None,
    )
    return SubmitContext(
        request=req,
        mapping=mapping,
        request_id="req_1",
        first_frame=prepare(req.image) if req.image else None,
        last_frame=prepare(req.last_frame) if req.last_frame else None,
    )


async def test_client_submit_poll_and_content(ctx: EmulatorContext) -> None:
    client = PLUGIN.build_client(ctx.config)
    async with client_for(ctx) as http:
        result = await client.submit(http, submit_ctx())
        sent = ctx.journal.for_service(SERVICE)[-1]
        assert (sent.path, sent.body) == (
            "/v1/text_to_video",
            {"model": "gen4.5", "promptText": "a lighthouse", "ratio": "1280:720", "duration": 5},
        )
        assert (result.status, result.progress, UUID.match(result.upstream_id) is not None) == ("PENDING", 0, True)
        await ctx.clock.advance(45)
        poll = await client.poll(http, result.upstream_id, {})
        assert (poll.status, poll.progress, poll.content_url) == ("RUNNING", 44, None)
        await ctx.clock.advance(45)
        poll = await client.poll(http, result.upstream_id, {})
        assert poll.status == "SUCCEEDED" and client.content_path(result.upstream_id) is None
        assert (await http.get(local(poll.content_url or ""))).content[4:8] == b"ftyp"
        veo = Mapping(
            provider=SERVICE,
            external_id="veo3.1",
            sizes=(),
            durations=(),
            supports_audio=True,
            supports_silent=True,
            per_second_price={},
        )
        await client.submit(http, submit_ctx(PNG, PNG, veo, seconds=8))
        sent = ctx.journal.for_service(SERVICE)[-1]
        assert sent.path == "/v1/image_to_video" and sent.body["audio"] is True
        assert [p["position"] for p in sent.body["promptImage"]] == ["first", "last"]
        with pytest.raises(UpstreamError) as err:  # gen4.5 takes a first frame only
            await client.submit(http, submit_ctx(PNG, PNG))
        assert (err.value.status, err.value.message) == (
            400,
            "Validation of body failed: promptImage: Too big: expected array to have <=1 items",
        )
        with pytest.raises(PollFailure):
            await client.poll(http, "missing", {})


@pytest.mark.parametrize(
    "reply, status, progress, error, url",
    [
        ({"status": "THROTTLED"}, "THROTTLED", 0, None, None),
        ({"status": "RUNNING", "progress": 0.375}, "RUNNING", 37, None, None),
        ({"status": "SUCCEEDED", "output": ["https://cdn/x.mp4"]}, "SUCCEEDED", 100, None, "https://cdn/x.mp4"),
        (
            {"status": "FAILED", "failure": "Flagged.", "failureCode": "SAFETY.INPUT.TEXT"},
            "FAILED",
            100,
            ("SAFETY.INPUT.TEXT", "Flagged."),
            None,
        ),
        ({"status": "FAILED"}, "FAILED", 100, (None, "Runway video generation failed"), None),
        ({"status": "CANCELLED"}, "CANCELLED", 100, ("cancelled", "Runway task was cancelled"), None),
    ],
)
async def test_client_maps_every_status(
    reply: dict[str, Any], status: str, progress: int, error: tuple[str | None, str] | None, url: str | None
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=reply)), base_url="http://x"
    ) as http:
        poll = await PLUGIN.build_client(ServerConfig()).poll(http, "t", {})
    assert (poll.status, poll.progress, poll.content_url) == (status, progress, url)
    assert (None if poll.error is None else (poll.error["code"], poll.error["message"])) == error


@pytest.mark.parametrize(
    "reply, status, message",
    [
        (
            httpx.Response(200, json={"estimatedCost": {"credits": 1}}),
            502,
            "Runway video response did not include a task id",
        ),
        (httpx.Response(429, json={"error": "Too many tasks."}), 429, "Too many tasks."),
        (
            httpx.Response(
                400, json={"error": "Validation of body failed", "issues": [{"path": ["ratio"], "message": "Bad."}]}
            ),
            400,
            "Validation of body failed: ratio: Bad.",
        ),
        (httpx.Response(502, text="bad gateway"), 502, "bad gateway"),
    ],
)
async def test_client_submit_errors(reply: httpx.Response, status: int, message: str) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: reply), base_url="http://x") as http:
        with pytest.raises(UpstreamError) as err:
            await PLUGIN.build_client(ServerConfig()).submit(http, submit_ctx())
    assert (err.value.status, err.value.message) == (status, message)


# -- the models and endpoint of late 2026 (changes-2026-12.md §4.4), through runwayml 5.24 -----------

NEW_T2V: list[tuple[dict[str, Any], tuple[int, int, int]]] = [
    ({"model": "kling3.0_standard", "ratio": "960:960", "duration": 10}, (960, 960, 10)),
    ({"model": "kling3.0_pro", "ratio": "1920:1080", "promptText": "x", "cfgScale": 0.7}, (1920, 1080, 5)),
    ({"model": "kling3.0_4k", "ratio": "2880:2880", "audio": True}, (2880, 2880, 5)),
    (
        {"model": "klingO3_standard", "ratio": "720:1280", "providerSettings": {"shotType": "intelligence"}},
        (720, 1280, 5),
    ),
    ({"model": "klingO3_pro", "ratio": "1440:1440"}, (1440, 1440, 5)),
    ({"model": "klingO3_4k", "ratio": "3840:2160"}, (3840, 2160, 5)),
    ({"model": "kling_4", "promptText": "x", "ratio": "auto_1080p"}, (1920, 1080, 5)),
    ({"model": "kling2.5_turbo_pro", "promptText": "x", "duration": 10}, (1280, 720, 10)),
    ({"model": "wan3", "promptText": "x", "ratio": "832:480"}, (832, 480, 5)),
    ({"model": "wan3_prime", "promptText": "x", "ratio": "auto_480p"}, (854, 480, 5)),
    ({"model": "hailuo3", "promptText": "x", "ratio": "9:16", "resolution": "2K"}, (720, 1280, 6)),
    ({"model": "h3_max", "promptText": "x", "resolution": "480p", "promptExpansionMode": "disabled"}, (854, 480, 6)),
    ({"model": "grok_imagine_1_5", "promptText": "x", "ratio": "1:1", "duration": 15}, (960, 960, 15)),
    ({"model": "grok_imagine_1_5_lite", "promptText": "x", "ratio": "1904:1072"}, (1904, 1072, 6)),
    ({"model": "gemini_omni_flash_1.1", "promptText": "x", "duration": "auto"}, (1280, 720, 5)),
    ({"model": "seedance2_5", "promptText": "x", "ratio": "1080:1920", "outputFormat": "mov"}, (1080, 1920, 5)),
    ({"model": "seedance2_5", "promptText": "x", "draft": True}, (854, 480, 5)),
]


@pytest.mark.parametrize("body,expected", NEW_T2V, ids=[f"{b['model']}-{i}" for i, (b, _) in enumerate(NEW_T2V)])
async def test_new_text_to_video_models(
    rw: httpx.AsyncClient, ctx: EmulatorContext, body: dict[str, Any], expected: tuple[int, int, int]
) -> None:
    tid = await create(rw, **body)
    doc = ctx.store.get(KIND, tid)
    assert doc is not None
    assert (doc["width"], doc["height"], doc["duration"]) == expected


@pytest.mark.parametrize(
    "body,path,code",
    [
        ({"model": "kling3.0_pro", "promptText": "x"}, ["ratio"], "invalid_value"),  # ratio is required
        ({"model": "kling3.0_pro", "ratio": "1280:720"}, ["ratio"], "invalid_value"),
        ({"model": "kling3.0_standard", "ratio": "960:960", "cfgScale": 2}, ["cfgScale"], "too_big"),
        ({"model": "klingO3_pro", "ratio": "1440:1440", "cfgScale": 0.5}, [], "unrecognized_keys"),
        ({"model": "kling2.5_turbo_pro", "promptText": "x", "duration": 7}, ["duration"], "invalid_value"),
        ({"model": "wan3", "ratio": "1280:720"}, ["promptText"], "invalid_type"),
        ({"model": "hailuo3", "promptText": "x", "resolution": "1080p"}, ["resolution"], "invalid_value"),
        (
            {"model": "h3_max", "promptText": "x", "promptExpansionMode": "max"},
            ["promptExpansionMode"],
            "invalid_value",
        ),
        ({"model": "seedance2_5", "draft": True, "outputFormat": "mov"}, ["outputFormat"], "custom"),
        ({"model": "seedance2_5", "outputFormat": "hdr10"}, ["outputFormat"], "invalid_value"),
        ({"model": "gemini_omni_flash_1.1", "promptText": "x", "duration": 11}, ["duration"], "too_big"),
    ],
)
async def test_new_models_validate_as_runway_does(
    rw: httpx.AsyncClient, body: dict[str, Any], path: list[str], code: str
) -> None:
    r = await rw.post("/v1/text_to_video", json=body, headers=HEADERS)
    assert r.status_code == 400
    assert [(i["path"], i["code"]) for i in issues_of(r)][:1] == [(path, code)]


async def test_video_to_hdr(rw: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    tid = await create(
        rw, "/v1/video_to_hdr", model="ruby", videoUri="https://cdn.example.com/sdr.mp4", outputFormat="hlg"
    )
    doc = ctx.store.get(KIND, tid)
    assert doc is not None
    assert (doc["endpoint"], doc["duration"], doc["estimate"]) == ("video_to_hdr", 5, 100)  # 20 credits/s
    await ctx.clock.advance(120)
    done = await task(rw, tid)
    assert done["status"] == "SUCCEEDED" and (await rw.get(local(done["output"][0]))).content[4:8] == b"ftyp"
    r = await rw.post(
        "/v1/video_to_hdr", json={"model": "ruby", "videoUri": "http://x/y.mp4", "outputFormat": "sdr"}, headers=HEADERS
    )
    assert [(i["path"], i["code"]) for i in issues_of(r)] == [
        (["videoUri"], "custom"),
        (["outputFormat"], "invalid_value"),
    ]
    r = await rw.post("/v1/video_to_hdr", json={"model": "gen4.5", "videoUri": "runway://u"}, headers=HEADERS)
    assert [i["code"] for i in issues_of(r)] == ["invalid_union"]


async def test_official_sdk_new_models_and_hdr(
    served: tuple[Any, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    runwayml = pytest.importorskip("runwayml")
    app, http = served
    runtime = app.state.vidmock
    sdk = runwayml.AsyncRunwayML(api_key="key_sdk", base_url=BASE, http_client=http, max_retries=0)
    kling = await sdk.text_to_video.create(model="kling3.0_pro", ratio="1080:1920", prompt_text="a fox", cfg_scale=0.3)
    seedance = await sdk.text_to_video.create(model="seedance2_5", prompt_text="waves", draft=True, duration="auto")
    assert seedance.estimated_cost.credits == 36 * 15  # "auto" is billed at the variant maximum up front
    hdr = await sdk.video_to_hdr.create(
        model="ruby", video_uri="https://cdn.example.com/sdr.mp4", output_format="hdr10"
    )
    assert hdr.estimated_cost.credits == 100
    await runtime.advance(150)
    for created in (kling, seedance, hdr):
        done = await sdk.tasks.retrieve(created.id)
        assert done.status == "SUCCEEDED" and done.output, created
        assert (await http.get(done.output[0])).content[4:8] == b"ftyp"
    with pytest.raises(runwayml.BadRequestError) as info:
        await sdk.video_to_hdr.create(model="ruby", video_uri="ftp://x/y.mp4")
    assert info.value.body["issues"][0]["path"] == ["videoUri"]
