"""The Vertex Veo emulator on its own wire format (providers.md §3)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from vidmock.clock import Clock
from vidmock.config import ServerConfig
from vidmock.ids import IdFactory
from vidmock.journal import Journal
from vidmock.media import MediaCache
from vidmock.providers.base import EmulatorContext
from vidmock.providers.vertex import PLUGIN
from vidmock.store import MemoryStore

pytestmark = pytest.mark.anyio
MODEL = "/v1/projects/p1/locations/us-central1/publishers/google/models/veo-3.1-fast-generate-001"
BODY = {
    "instances": [{"prompt": "a fox"}],
    "parameters": {"durationSeconds": 4, "aspectRatio": "9:16", "generateAudio": False, "sampleCount": 2},
}


@pytest.fixture
async def vertex(media: MediaCache) -> AsyncIterator[tuple[httpx.AsyncClient, Clock]]:
    store = MemoryStore()
    clock = Clock.virtual()
    ctx = EmulatorContext(
        clock=clock,
        store=store,
        ids=IdFactory(store, 0),
        media=media,
        journal=Journal(),
        config=ServerConfig(clock="virtual"),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)), base_url="http://vertex", params={"key": "k"}
    ) as client:
        yield client, clock


async def test_operation_lifecycle_and_inline_videos(vertex: tuple[httpx.AsyncClient, Clock]) -> None:
    client, clock = vertex
    op = (await client.post(f"{MODEL}:predictLongRunning", json=BODY)).json()
    name = op["name"]
    assert name.startswith(
        "projects/p1/locations/us-central1/publishers/google/models/veo-3.1-fast-generate-001/operations/"
    )
    assert op == {"name": name}
    await clock.advance(44)
    r = await client.post(f"{MODEL}:fetchPredictOperation", json={"operationName": name})
    assert r.json() == {"name": name}
    await clock.advance(1)
    done = (await client.post(f"{MODEL}:fetchPredictOperation", json={"operationName": name})).json()
    assert done["done"] is True
    response: dict[str, Any] = done["response"]
    assert response["@type"].endswith("GenerateVideoResponse") and response["raiMediaFilteredCount"] == 0
    videos = response["videos"]
    assert len(videos) == 2 and videos[0]["mimeType"] == "video/mp4"
    first, second = (base64.b64decode(v["bytesBase64Encoded"]) for v in videos)
    assert first[4:8] == b"ftyp" and first != second  # two samples, two seeds


async def test_get_of_an_operation_name_is_404(vertex: tuple[httpx.AsyncClient, Clock]) -> None:
    client, _ = vertex
    name = (await client.post(f"{MODEL}:predictLongRunning", json=BODY)).json()["name"]
    r = await client.get(f"/v1/{name}")
    assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "body,message",
    [
        ({"instances": []}, "instances must be a non-empty list of objects."),
        (
            {"instances": [{"prompt": "x"}], "parameters": {"durationSeconds": 3}},
            "Unsupported duration: 3. Supported durations are 4 to 8 seconds (10 for Veo 3.1).",
        ),
        (
            {"instances": [{"prompt": "x"}], "parameters": {"aspectRatio": "1:1"}},
            "Unsupported aspect ratio: 1:1. Supported values are 16:9 and 9:16.",
        ),
        (
            {"instances": [{"prompt": "x", "image": {"bytesBase64Encoded": "%%%", "mimeType": "image/png"}}]},
            "instances[0].image.bytesBase64Encoded is not valid base64.",
        ),
    ],
)
async def test_invalid_bodies_get_google_400s(vertex: tuple[httpx.AsyncClient, Clock], body: Any, message: str) -> None:
    client, _ = vertex
    r = await client.post(f"{MODEL}:predictLongRunning", json=body)
    assert r.status_code == 400
    assert r.json() == {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}


async def test_malformed_json_unknown_model_and_missing_auth(vertex: tuple[httpx.AsyncClient, Clock]) -> None:
    client, _ = vertex
    r = await client.post(f"{MODEL}:predictLongRunning", content=b"{nope")
    assert r.status_code == 400 and r.json()["error"]["message"] == "Invalid JSON payload received."
    r = await client.post(MODEL.replace("veo-3.1-fast-generate-001", "veo-9") + ":predictLongRunning", json=BODY)
    assert r.status_code == 404
    assert r.json()["error"]["message"] == (
        "Publisher Model `projects/p1/locations/us-central1/publishers/google/"
        "models/veo-9` was not found or your project does not have access to it."
    )
    bare = httpx.AsyncClient(transport=client._transport, base_url="http://vertex")
    r = await bare.post(f"{MODEL}:predictLongRunning", json=BODY)
    assert r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
    r = await client.post(f"{MODEL}:fetchPredictOperation", json={"operationName": "projects/x/operations/1"})
    assert r.status_code == 404
