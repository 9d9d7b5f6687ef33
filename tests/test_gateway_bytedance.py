"""The gateway routed to the Seedance emulator (gateway.md §5.3 ByteDance; §7 edge cases 20, 21, 36, 37)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import AUTH

pytestmark = pytest.mark.anyio
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="
)


async def test_seedance_job_end_to_end(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post(
        "/v1/videos",
        json={
            "model": "seedance-2-0",
            "prompt": "morph",
            "seconds": 15,
            "size": "1080x1920",
            "image": PNG,
            "last_frame": PNG,
        },
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    vid = r.json()["id"]
    body = runtime.journal.for_service("bytedance")[0].body
    assert body["model"] == "dreamina-seedance-2-0-260128"
    assert (body["ratio"], body["resolution"], body["duration"]) == ("9:16", "1080p", 15)
    roles = [item.get("role") for item in body["content"]]
    assert roles == [None, "first_frame", "last_frame"]
    for _ in range(120):
        await runtime.advance(5)
        video = (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()
        if video["status"] == "completed":
            break
    assert video["status"] == "completed"
    assert video["usage"]["cost"] == round(0.3402 * 15, 6)
    r = await client.get(f"/v1/videos/{vid}/content", headers={**AUTH, "Range": "bytes=0-7"})
    assert r.status_code == 206 and r.content[4:8] == b"ftyp"


async def test_nine_reference_images_are_all_forwarded(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post(
        "/v1/videos",
        json={"model": "seedance-2-0-fast", "prompt": "x", "seconds": 5, "reference_images": [PNG] * 9},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    body = runtime.journal.for_service("bytedance")[0].body
    assert [i.get("role") for i in body["content"]].count("reference_image") == 9
