"""The whole path on the virtual clock: create → advance → completed → download."""

from __future__ import annotations

import io

import av
import httpx
import pytest
from conftest import AUTH

pytestmark = pytest.mark.anyio


async def test_create_poll_download(client: httpx.AsyncClient, runtime) -> None:
    r = await client.post("/v1/videos", json={"prompt": "a fox", "seconds": 4}, headers=AUTH)
    assert r.status_code == 200, r.text
    video = r.json()
    assert video["object"] == "video"
    assert video["status"] == "queued"
    assert video["model"] == "google-vertex/veo-3.1-generate-preview"
    assert video["progress"] == 0
    assert "content" not in video and "usage" not in video
    assert video["created_at"] == 1773600000
    vid = video["id"]

    await runtime.advance(5)
    r = await client.get(f"/v1/videos/{vid}", headers=AUTH)
    assert r.json()["status"] == "in_progress" and r.json()["progress"] == 50

    r = await client.get(f"/v1/videos/{vid}/content", headers=AUTH)
    assert r.status_code == 409
    assert r.json()["error"]["message"] == "Video is not ready yet. Current status: in_progress"

    await runtime.advance(90)
    video = (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()
    assert video["status"] == "completed", video
    assert video["progress"] == 100
    assert video["completed_at"] == 1773600000 + 90
    assert video["usage"] == {"cost": 1.6, "cost_details": {"video_output_cost": 1.6, "image_input_cost": 0}}
    url = video["content"][0]["url"]
    assert url.startswith("http://127.0.0.1:4001/v1/videos/logs/") and "?token=" in url
    assert video["content"][0]["mime_type"] == "video/mp4"

    r = await client.get(f"/v1/videos/{vid}/content", headers=AUTH)
    assert r.status_code == 200
    assert r.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(r.content)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)
        assert abs(container.duration / av.time_base - 4) < 0.1
        assert len(container.streams.audio) == 1

    signed = await client.get(url.replace("http://127.0.0.1:4001", ""))
    assert signed.status_code == 200 and signed.content == r.content


async def test_journal_masks_credentials(client: httpx.AsyncClient, runtime) -> None:
    await client.post("/v1/videos", json={"prompt": "a fox", "seconds": 4}, headers=AUTH)
    entry = runtime.journal.for_service("google-vertex")[0]
    assert "vidmock-vertex-key" not in entry.query and entry.query.startswith("key=vidm")
    r = await client.get("/_vidmock/calls")
    assert "vidmock-vertex-key" not in r.text
