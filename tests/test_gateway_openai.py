"""The gateway routed to the Sora emulator (gateway.md §5.3 OpenAI; §7 edge case 59)."""

from __future__ import annotations

import io
from typing import Any

import av
import httpx
import pytest
from conftest import AUTH

# Seed-era behaviour (Avalanche, Sora): the gateway release the older references describe (issue 14).
pytestmark = [pytest.mark.anyio, pytest.mark.gateway_release("pre-2026-03")]


async def test_sora_job_end_to_end_with_proxied_content(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post("/v1/videos", json={"model": "sora-2", "prompt": "a fox", "seconds": 4}, headers=AUTH)
    assert r.status_code == 200, r.text
    video = r.json()
    assert video["model"] == "openai/sora-2" and video["status"] == "queued"
    job = runtime.store.get("gateway.job", video["id"])
    assert job["upstream_id"].startswith("video_")
    submit = runtime.journal.for_service("openai")[0]
    assert submit.path == "/v1/videos"
    assert submit.body == {"model": "sora-2", "prompt": "a fox", "size": "1280x720", "seconds": "4"}
    seen = []
    for _ in range(80):
        await runtime.advance(5)
        got = (await client.get(f"/v1/videos/{video['id']}", headers=AUTH)).json()
        seen.append(got["progress"])
        if got["status"] == "completed":
            break
    assert got["status"] == "completed"
    assert seen == sorted(seen)  # progress never goes down
    assert got["usage"]["cost"] == 0.4
    r = await client.get(f"/v1/videos/{video['id']}/content", headers={**AUTH, "Range": "bytes=0-15"})
    assert r.status_code == 206 and r.content[4:8] == b"ftyp"
    full = await client.get(f"/v1/videos/{video['id']}/content", headers=AUTH)
    assert full.status_code == 200
    with av.open(io.BytesIO(full.content)) as container:
        assert container.streams.video[0].codec_context.width == 1280
    proxied = [e for e in runtime.journal.for_service("openai") if e.path.endswith("/content")]
    assert proxied and all("authorization" in e.headers for e in proxied)  # the gateway's key, masked
    assert all(e.headers["authorization"] != AUTH["Authorization"] for e in proxied)


async def test_sora_rejects_frames_and_reference_counts(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/videos",
        json={"model": "sora-2", "prompt": "x", "seconds": 4, "image": "https://example.test/a.png"},
        headers=AUTH,
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "Requested parameters are not supported for openai/sora-2. openai: Sora models do not support "
        "image/last_frame inputs. Use input_reference or reference_images with exactly one image.."
    )
