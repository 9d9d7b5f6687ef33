"""The Vertex Veo emulator on its own wire format (providers.md §3)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
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


# -- google-genai 3.x: /v1beta1/, the 3.x request shapes (changes-2026-12.md §4.2) -------------------

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfirst").decode()
IMAGE = {"bytesBase64Encoded": PNG, "mimeType": "image/png"}


async def test_v1beta1_serves_the_same_operations_as_v1(vertex: tuple[httpx.AsyncClient, Clock]) -> None:
    client, clock = vertex
    beta = MODEL.replace("/v1/", "/v1beta1/", 1)
    name = (await client.post(f"{beta}:predictLongRunning", json=BODY)).json()["name"]
    await clock.advance(45)
    for path in (beta, MODEL):  # an operation is the project's, whichever version created or polls it
        done = (await client.post(f"{path}:fetchPredictOperation", json={"operationName": name})).json()
        assert done["done"] is True and len(done["response"]["videos"]) == 2
    express = "/v1beta1/publishers/google/models/veo-3.1-generate-001:predictLongRunning"
    assert (await client.post(express, json=BODY)).json()["name"].startswith("publishers/google/models/veo-3.1-")


@pytest.mark.parametrize(
    "path", ["/v1beta1/projects/p1/unknown", "/v2/projects/p1/locations/l/publishers/google/models/m:x", "/v1beta2/x"]
)
async def test_unknown_paths_answer_in_googles_envelope(vertex: tuple[httpx.AsyncClient, Clock], path: str) -> None:
    client, _ = vertex
    r = await client.post(path, json=BODY)
    assert r.status_code == 404
    assert r.json() == {
        "error": {
            "code": 404,
            "message": f"The requested URL {path} was not found on this server.",
            "status": "NOT_FOUND",
        }
    }


async def test_the_3x_shapes_are_accepted(vertex: tuple[httpx.AsyncClient, Clock]) -> None:
    client, _ = vertex
    shapes: list[dict[str, Any]] = [
        {"instances": [{"prompt": "a fox", "image": IMAGE, "lastFrame": IMAGE}], "parameters": {"resizeMode": "pad"}},
        {"instances": [{"video": {"gcsUri": "gs://b/in.mp4", "mimeType": "video/mp4"}}]},
        {"instances": [{"prompt": "x", "referenceImages": [{"image": IMAGE, "referenceType": "ASSET"}] * 3}]},
        {"instances": [{"prompt": "x", "referenceImages": [{"image": IMAGE, "referenceType": "style"}]}]},
        {"instances": [{"prompt": "x"}], "parameters": {"personGeneration": "allow_adult", "resizeMode": "CROP"}},
        {"instances": [{"prompt": "x"}], "parameters": {"compressionQuality": "LOSSLESS", "enhancePrompt": True}},
    ]
    for body in shapes:
        r = await client.post(f"{MODEL}:predictLongRunning", json=body)
        assert r.status_code == 200, (body, r.text)


@pytest.mark.parametrize(
    "instance,parameters,message",
    [
        (
            {"lastFrame": IMAGE, "prompt": "x"},
            {},
            "instances[0].lastFrame requires instances[0].image (the first frame).",
        ),
        (
            {"prompt": "x", "image": IMAGE, "video": {"gcsUri": "gs://b/v.mp4"}},
            {},
            "instances[0] may carry an image or a video, not both.",
        ),
        ({"video": {"bytesBase64Encoded": "AAAA"}}, {}, "instances[0].video.mimeType is required."),
        (
            {"prompt": "x", "referenceImages": [{"image": IMAGE, "referenceType": "MASK"}]},
            {},
            "Unsupported referenceType: MASK. Supported values are ASSET and STYLE.",
        ),
        (
            {"prompt": "x", "referenceImages": [{"image": IMAGE, "referenceType": "STYLE"}] * 2},
            {},
            "referenceImages supports at most 1 STYLE image.",
        ),
        (
            {"prompt": "x", "referenceImages": [{"image": IMAGE}, {"image": IMAGE, "referenceType": "STYLE"}]},
            {},
            "referenceImages must all have the same referenceType.",
        ),
        (
            {"prompt": "x"},
            {"resizeMode": "stretch"},
            "Unsupported resizeMode: stretch. Supported values are pad, crop.",
        ),
        (
            {"prompt": "x"},
            {"personGeneration": 1},
            "Unsupported personGeneration: 1. Supported values are dont_allow, allow_adult, allow_all.",
        ),
        ({"prompt": "x"}, {"enhancePrompt": "yes"}, "enhancePrompt must be a boolean."),
        ({}, {}, "A text prompt, an input image or an input video is required."),
    ],
)
async def test_bad_3x_values_are_google_400s(
    vertex: tuple[httpx.AsyncClient, Clock], instance: dict[str, Any], parameters: dict[str, Any], message: str
) -> None:
    client, _ = vertex
    beta = MODEL.replace("/v1/", "/v1beta1/", 1)
    r = await client.post(f"{beta}:predictLongRunning", json={"instances": [instance], "parameters": parameters})
    assert r.status_code == 400
    assert r.json() == {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}


@pytest.mark.parametrize("api_version", [None, "v1"])
def test_google_genai_3x_sdk_in_vertex_mode(tmp_path: Path, api_version: str | None) -> None:
    """The unchanged SDK: /v1beta1/ by default, /v1/ when asked (changes-2026-12.md §4.2)."""
    genai = pytest.importorskip("google.genai")
    from google.genai import errors, types
    from google.oauth2.credentials import Credentials
    from liveserver import LiveServer

    with LiveServer(tmp_path, "--clock", "virtual", "--provider", "google-vertex") as server:
        client = genai.Client(
            vertexai=True,
            project="p1",
            location="us-central1",
            credentials=Credentials(token="vertex-token"),  # type: ignore[no-untyped-call]  # a Bearer token, never refreshed
            http_options=types.HttpOptions(base_url=server.base, api_version=api_version),
        )
        op = client.models.generate_videos(
            model="veo-3.1-fast-generate-001",
            source=types.GenerateVideosSource(
                prompt="a fox", image=types.Image(image_bytes=b"\x89PNGfirst", mime_type="image/png")
            ),
            config=types.GenerateVideosConfig(
                duration_seconds=4,
                generate_audio=False,
                last_frame=types.Image(image_bytes=b"\x89PNGlast", mime_type="image/png"),
                resize_mode=types.ImageResizeMode.PAD,
            ),
        )
        assert op.name and op.name.startswith("projects/p1/locations/us-central1/") and not op.done
        httpx.post(f"{server.base}/_vidmock/clock/advance", json={"seconds": 45}, timeout=10)
        op = client.operations.get(op)
        assert op.done and op.error is None and op.response and op.response.generated_videos
        video = op.response.generated_videos[0].video
        assert video is not None and video.video_bytes and video.video_bytes[4:8] == b"ftyp"
        refs = client.models.generate_videos(
            model="veo-3.1-generate-001",
            source=types.GenerateVideosSource(prompt="a fox"),
            config=types.GenerateVideosConfig(
                reference_images=[
                    types.VideoGenerationReferenceImage(
                        image=types.Image(image_bytes=b"\x89PNGref", mime_type="image/png"),
                        reference_type=types.VideoGenerationReferenceType.ASSET,
                    )
                ]
            ),
        )
        assert refs.name and not refs.done
        with pytest.raises(errors.ClientError) as bad:
            client.models.generate_videos(
                model="veo-3.1-generate-001",
                source=types.GenerateVideosSource(prompt="x"),
                config=types.GenerateVideosConfig(duration_seconds=3),
            )
        assert bad.value.code == 400 and bad.value.status == "INVALID_ARGUMENT"
        calls = httpx.get(f"{server.base}/_vidmock/calls", timeout=10).json()["calls"]
    version = api_version or "v1beta1"
    assert {c["path"].split("/")[1] for c in calls} == {version}
    first = calls[0]["body"]["instances"][0]
    assert set(first) == {"prompt", "image", "lastFrame"}
    assert calls[0]["body"]["parameters"]["resizeMode"].upper() == "PAD"
    assert calls[2]["body"]["instances"][0]["referenceImages"][0]["referenceType"] == "ASSET"
