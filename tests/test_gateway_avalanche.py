"""The gateway routed to the Avalanche emulator (gateway.md §5.3 "Avalanche", §4.1 and §6 stealth
redaction; §7 edge cases 1, 2, 4, 7, 10, 25, 27, 28, 35, 40, 43, 69)."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from conftest import AUTH
from conftest import test_config as config_for_tests

from vidmock.gateway.domain.catalogue import Catalogue, Mapping, VideoModel, default_catalogue

# Seed-era behaviour (Avalanche, Sora): the gateway release the older references describe (issue 14).
pytestmark = [pytest.mark.anyio, pytest.mark.gateway_release("pre-2026-03")]
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="
)
FAST = "avalanche/veo-3.1-fast-generate-preview"
VEO = "avalanche/veo-3.1-generate-preview"
REDACTED = {"message": "Upstream provider error (502 Bad Gateway)"}
SECRET = "quota exhausted for key sk-live-SECRET on api.kie.ai"
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


async def drive(
    client: httpx.AsyncClient, runtime: Any, vid: str, seen: list[tuple[str, int]] | None = None, limit: int = 200
) -> dict[str, Any]:
    """Advance 5 s at a time until the job is terminal; record (status, progress) on the way."""
    video: dict[str, Any] = {}
    for _ in range(limit):
        await runtime.advance(5)
        video = (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()
        if seen is not None:
            seen.append((video["status"], video["progress"]))
        if video["status"] in ("completed", "failed"):
            break
    return video


def scenario_dir(tmp_path: Path, *docs: dict[str, Any], bundled: tuple[str, ...] = ()) -> str:
    """A scenario folder holding ``docs`` (JSON is valid YAML) and copies of bundled files."""
    for doc in docs:
        (tmp_path / f"{doc['name']}.yaml").write_text(json.dumps(doc))
    for name in bundled:
        shutil.copy(SCENARIOS / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return str(tmp_path)


def upstream_path(url: str) -> str:
    return url.replace("http://127.0.0.1:4001", "")


async def test_28_fast_4k_completes_after_the_4k_upgrade(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post(
        "/v1/videos", json={"model": FAST, "prompt": "a fox", "seconds": 8, "size": "3840x2160"}, headers=AUTH
    )
    assert r.status_code == 200, r.text
    vid = r.json()["id"]
    submit = runtime.journal.for_service("avalanche")[0]
    assert (submit.method, submit.path) == ("POST", "/api/v1/veo/generate")
    assert submit.body == {
        "prompt": "a fox",
        "model": "veo3_fast",
        "aspect_ratio": "16:9",
        "generationType": "TEXT_2_VIDEO",
        "enableFallback": False,
    }
    job = runtime.store.get("gateway.job", vid)
    assert job["external_id"] == "veo3_fast" and job["stealth"] is True and len(job["upstream_id"]) == 32
    seen: list[tuple[str, int]] = []
    video = await drive(client, runtime, vid, seen)
    assert video["status"] == "completed", video
    # 50 while Avalanche renders, then 95 while the 4K upgrade is pending (about 300 s), then done.
    assert ("in_progress", 50) in seen and seen.count(("in_progress", 95)) >= 55
    assert [p for _, p in seen] == sorted(p for _, p in seen)
    upgrades = [e for e in runtime.journal.for_service("avalanche") if e.path == "/api/v1/veo/get-4k-video"]
    assert upgrades[0].body == {"taskId": job["upstream_id"], "index": 0}
    assert [e.response["code"] for e in upgrades][:2] == [200, 422] and upgrades[-1].response["code"] == 200
    assert video["usage"]["cost"] == 2.8 and runtime.store.get("gateway.job", vid)["external_id"] == "veo3_fast"
    url = video["content"][0]["url"]
    assert "/v1/videos/logs/" in url and "token=" in url
    r = await client.get(upstream_path(url))  # signed: no API key
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(r.content)) as container:
        stream = container.streams.video[0].codec_context
        assert (stream.width, stream.height) == (3840, 2160)
    r = await client.get(f"/v1/videos/{vid}/content", headers={**AUTH, "Range": "bytes=0-7"})
    assert r.status_code == 206 and r.content[4:8] == b"ftyp"


async def test_27_vertex_500_falls_back_to_avalanche(make_app: Callable[..., Any], tmp_path: Path) -> None:
    # Both providers offer veo3_fast at 1920x1080 for 8 s at the same price; Vertex is tried first on uptime.
    config = config_for_tests(scenarios_dir=scenario_dir(tmp_path, bundled=("vertex-500-then-fallback",)))
    app = make_app(config)
    runtime = app.state.vidmock
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as client:
        r = await client.post(
            "/v1/videos",
            json={"model": "veo-3.1-fast-generate-preview", "prompt": "a fox", "seconds": 8, "size": "1920x1080"},
            headers={**AUTH, "X-Vidmock-Scenario": "vertex-500-then-fallback"},
        )
        assert r.status_code == 200, r.text
        video = r.json()
        assert video["model"] == "avalanche/veo-3.1-fast-generate-preview"
        job = runtime.store.get("gateway.job", video["id"])
        assert [(a["provider"], a["status_code"], a["succeeded"], a["error_type"]) for a in job["routing"]] == [
            ("google-vertex", 500, False, "upstream_error"),
            ("avalanche", 200, True, None),
        ]
        vertex = runtime.journal.for_service("google-vertex")
        avalanche = runtime.journal.for_service("avalanche")
        assert [e.status for e in vertex] == [500]
        assert vertex[0].headers["x-vidmock-scenario"] == avalanche[0].headers["x-vidmock-scenario"]
        assert avalanche[0].body["model"] == "veo3_fast"
        # The Vertex-only scenario does not script the avalanche job: a default plan, then the 1080p upgrade.
        seen: list[tuple[str, int]] = []
        done = await drive(client, runtime, video["id"], seen)
        assert done["status"] == "completed" and ("in_progress", 95) in seen
        assert any(
            e.path == "/api/v1/veo/get-1080p-video" and e.response["code"] == 422
            for e in runtime.journal.for_service("avalanche")
        )
        r = await client.get(f"/v1/videos/{video['id']}/content", headers=AUTH)
        with av.open(io.BytesIO(r.content)) as container:
            assert container.streams.video[0].codec_context.height == 1080


async def test_25_two_eligible_providers_prefer_vertex(client: httpx.AsyncClient, runtime: Any) -> None:
    """Equal prices; the router's uptime score (avalanche 70, vertex 99.5) picks Vertex."""
    r = await client.post(
        "/v1/videos",
        json={"model": "veo-3.1-fast-generate-preview", "prompt": "x", "seconds": 8, "size": "1920x1080"},
        headers=AUTH,
    )
    assert r.status_code == 200
    assert r.json()["model"] == "google-vertex/veo-3.1-fast-generate-preview"
    assert runtime.journal.for_service("avalanche") == []
    job = runtime.store.get("gateway.job", r.json()["id"])
    assert [a["provider"] for a in job["routing"]] == ["google-vertex"]


async def test_02_failed_job_shows_only_the_redacted_error(make_app: Callable[..., Any], tmp_path: Path) -> None:
    secret = {
        "name": "avalanche-secret-failure",
        "description": "d",
        "reproduces": "S1 stealth failure",
        "provider": "avalanche",
        "timeline": [{"at": 0, "status": "in_progress"}, {"at": 60, "status": "failed"}],
        "outcome": {"error": {"code": "501", "message": SECRET}},
    }
    app = make_app(config_for_tests(scenarios_dir=scenario_dir(tmp_path, secret), bare_model=True))
    runtime = app.state.vidmock
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as client:
        r = await client.post(
            "/v1/videos",
            json={"model": FAST, "prompt": "x", "seconds": 8, "size": "1920x1080"},
            headers={**AUTH, "X-Vidmock-Scenario": "avalanche-secret-failure"},
        )
        assert r.status_code == 200, r.text
        video = await drive(client, runtime, r.json()["id"])
        assert video["status"] == "failed" and video["error"] == REDACTED
        text = (await client.get(f"/v1/videos/{video['id']}", headers=AUTH)).text
        for leak in ("sk-live-SECRET", "kie", "avalanche", "vidmock.internal", "/providers/"):
            assert leak not in text
        # The vendor text was there upstream: the gateway hid it.
        record = [e for e in runtime.journal.for_service("avalanche") if e.path.endswith("record-info")][-1]
        assert record.response["data"]["errorMessage"] == SECRET and record.response["data"]["successFlag"] == 3


@pytest.mark.parametrize(
    "fault,status,message",
    [
        ({"status": 500, "message": SECRET}, 500, "Upstream provider error (500 Internal Server Error)"),
        (
            {"status": 200, "body": {"code": 402, "msg": SECRET, "data": None}},
            402,
            "Upstream provider error (402 Payment Required)",
        ),
        ({"status": 200, "body": {"code": 501, "msg": SECRET}}, 501, "Upstream provider error (501 Not Implemented)"),
        ({"status": 200, "body": {"code": 1001, "msg": SECRET}}, 502, "Upstream provider error (502 Bad Gateway)"),
    ],
    ids=["http-500", "app-402", "app-501", "app-out-of-range"],
)
async def test_69_submit_errors_are_redacted(
    make_app: Callable[..., Any], tmp_path: Path, fault: dict[str, Any], status: int, message: str
) -> None:
    doc = {
        "name": "avalanche-submit-error",
        "description": "d",
        "reproduces": "UES",
        "provider": "avalanche",
        "faults": {"submit": [fault]},
    }
    app = make_app(config_for_tests(scenarios_dir=scenario_dir(tmp_path, doc)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as client:
        r = await client.post(
            "/v1/videos",
            json={"model": FAST, "prompt": "x", "seconds": 8, "size": "1920x1080"},
            headers={**AUTH, "X-Vidmock-Scenario": "avalanche-submit-error"},
        )
    assert r.status_code == status
    assert r.json()["error"]["message"] == message
    assert "SECRET" not in r.text and "kie" not in r.text
    assert app.state.vidmock.journal.for_service("avalanche")[0].response["msg"] == SECRET


async def test_35_frames_are_uploaded_then_sent_as_first_and_last(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post(
        "/v1/videos",
        json={"model": VEO, "prompt": "morph", "seconds": 8, "size": "1920x1080", "image": PNG, "last_frame": PNG},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    calls = runtime.journal.for_service("avalanche")
    assert [c.path for c in calls] == ["/api/file-base64-upload"] * 2 + ["/api/v1/veo/generate"]
    assert calls[0].body == {"base64Data": PNG, "uploadPath": "videos/input-images"}
    uploaded = [c.response["data"]["fileUrl"] for c in calls[:2]]
    assert calls[2].body["generationType"] == "FIRST_AND_LAST_FRAMES_2_VIDEO"
    assert calls[2].body["imageUrls"] == uploaded and calls[2].body["model"] == "veo3"
    fetched = await client.get(upstream_path(uploaded[0]))
    assert fetched.status_code == 200 and fetched.content[:4] == b"\x89PNG"
    assert runtime.store.get("gateway.job", r.json()["id"])["image_count"] == 2


async def test_40_reference_images_on_fast(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post(
        "/v1/videos",
        json={"model": FAST, "prompt": "x", "seconds": 8, "size": "3840x2160", "reference_images": [PNG, PNG]},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    generate = runtime.journal.for_service("avalanche")[-1]
    assert generate.body["generationType"] == "REFERENCE_2_VIDEO" and len(generate.body["imageUrls"]) == 2
    assert runtime.store.get("gateway.job", r.json()["id"])["external_id"] == "veo3_fast"


NOT_FOR = "Requested parameters are not supported for"
SILENT = "audio=false is unsupported because this provider mapping only supports audio-enabled output"


@pytest.mark.parametrize(
    "model,extra,message",
    [
        (
            FAST,
            {"size": "1280x720", "seconds": 6},
            f"{NOT_FOR} {FAST}. avalanche: size 1280x720 is unsupported because Avalanche uses aspect_ratio and this "
            "integration only supports 1920x1080, 3840x2160; duration 6s is unsupported because Avalanche Veo 3.1 "
            "generates fixed 8s clips.",
        ),
        (
            VEO,
            {"reference_images": [PNG]},
            f"{NOT_FOR} {VEO}. avalanche: reference images are currently only supported on {FAST}.",
        ),
        (
            FAST,
            {"reference_videos": ["https://example.test/v.mp4"]},
            f"{NOT_FOR} {FAST}. avalanche: reference videos are currently only supported on bytedance Seedance 2.x models.",
        ),
        (
            FAST,
            {"reference_audios": ["https://example.test/a.mp3"]},
            f"{NOT_FOR} {FAST}. avalanche: reference audio is currently only supported on bytedance Seedance 2.x models.",
        ),
        (FAST, {"audio": False}, f"{NOT_FOR} {FAST}. avalanche: {SILENT}."),
    ],
    ids=["01-size-and-duration", "04-reference-on-veo", "07-reference-videos", "10-reference-audio", "43-silent"],
)
async def test_rejected_before_any_upstream_call(
    client: httpx.AsyncClient, runtime: Any, model: str, extra: dict[str, Any], message: str
) -> None:
    body = {"model": model, "prompt": "x", "seconds": 8, "size": "1920x1080", **extra}
    r = await client.post("/v1/videos", json=body, headers=AUTH)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == message
    assert runtime.journal.for_service("avalanche") == []


def sora_catalogue() -> Catalogue:
    """The default catalogue plus an avalanche Sora mapping (the reference lists none; G3 had the
    Sora variant in the client), for the createTask path."""
    sora = default_catalogue("pre-2026-03").get("sora-2")
    assert sora is not None
    extra = Mapping(
        provider="avalanche",
        external_id="sora-2",
        sizes=("1280x720", "720x1280"),
        durations=(10,),
        supports_audio=True,
        supports_silent=False,
        per_second_price={"default": 0.05},
        stealth=True,
    )
    model: VideoModel = replace(sora, mappings=(*sora.mappings, extra))
    return default_catalogue("pre-2026-03").with_overrides(models=[model])


async def test_sora_variant_end_to_end(make_app: Callable[..., Any]) -> None:
    app = make_app(catalogue=sora_catalogue())
    runtime = app.state.vidmock
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as client:
        r = await client.post(
            "/v1/videos",
            json={
                "model": "avalanche/sora-2",
                "prompt": "a fox",
                "seconds": 10,
                "size": "720x1280",
                "input_reference": PNG,
            },
            headers=AUTH,
        )
        assert r.status_code == 200, r.text
        calls = runtime.journal.for_service("avalanche")
        assert [c.path for c in calls] == ["/api/file-base64-upload", "/api/v1/jobs/createTask"]
        assert calls[1].body == {
            "model": "sora-2-image-to-video",
            "input": {
                "prompt": "a fox",
                "aspect_ratio": "portrait",
                "n_frames": "10",
                "remove_watermark": True,
                "upload_method": "s3",
                "image_urls": [calls[0].response["data"]["fileUrl"]],
            },
        }
        video = await drive(client, runtime, r.json()["id"])
        assert video["status"] == "completed" and video["usage"]["cost"] == 0.5
        polls = [c for c in runtime.journal.for_service("avalanche") if c.path == "/api/v1/jobs/recordInfo"]
        assert polls[0].response["data"]["state"] == "waiting" and polls[-1].response["data"]["state"] == "success"
        r = await client.get(f"/v1/videos/{video['id']}/content", headers=AUTH)
        with av.open(io.BytesIO(r.content)) as container:
            stream = container.streams.video[0].codec_context
            assert (stream.width, stream.height) == (720, 1280)
