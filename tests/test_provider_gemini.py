"""Veo on the Gemini API (``google-ai-studio``, providers.md §2): the emulator on its own wire format, its
scenarios, the (unrouted) client, and the official ``google-genai`` SDK over a real loopback socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_ctx

from vidmock.gateway.domain.catalogue import Mapping
from vidmock.gateway.domain.request import CreateRequest
from vidmock.media import MediaCache
from vidmock.providers.base import EmulatorContext, SubmitContext
from vidmock.providers.gemini import PLUGIN

pytestmark = pytest.mark.anyio
KEY = {"x-goog-api-key": "gm-test"}
MODEL = "/v1beta/models/veo-3.1-fast-generate-preview"
BODY: dict[str, Any] = {"instances": [{"prompt": "a fox"}], "parameters": {"durationSeconds": 4, "aspectRatio": "9:16"}}
RESPONSE_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
FAILING = """\
name: veo-invalid-argument
description: d
reproduces: r
timeline: [{at: 0, status: in_progress}, {at: 30, status: failed}]
outcome: {error: {code: "3", message: The prompt could not be processed.}}
faults:
  poll: [{status: 429}]
"""


@pytest.fixture
def ctx(media: MediaCache) -> EmulatorContext:
    return make_ctx(media)


@pytest.fixture
async def gemini(ctx: EmulatorContext) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)), base_url="http://gemini.test", headers=KEY
    ) as c:
        yield c


async def test_operation_lifecycle_and_download(gemini: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    r = await gemini.post(
        f"{MODEL}:predictLongRunning", json={**BODY, "parameters": {**BODY["parameters"], "sampleCount": 2}}
    )
    name = r.json()["name"]
    assert r.json() == {"name": name} and name.startswith("models/veo-3.1-fast-generate-preview/operations/")
    op_id = name.rsplit("/", 1)[1]
    assert len(op_id) == 12 and op_id.isalnum() and op_id == op_id.lower()
    await ctx.clock.advance(44)
    assert (await gemini.get(f"/v1beta/{name}")).json() == {"name": name, "done": False}
    await ctx.clock.advance(1)
    done = (await gemini.get(f"/v1beta/{name}")).json()
    # A poller that kept only the id may GET operations/{id} (providers.md §2.7 item 3).
    assert (await gemini.get(f"/v1beta/operations/{op_id}")).json() == done
    response = done["response"]
    assert done["done"] is True and response["@type"] == RESPONSE_TYPE and "error" not in done
    samples = response["generateVideoResponse"]["generatedSamples"]
    uris = [s["video"]["uri"] for s in samples]
    assert len(uris) == 2 and all(
        u.startswith("http://127.0.0.1:4001/providers/google-ai-studio/v1beta/files/")
        and u.endswith(":download?alt=media")
        for u in uris
    )
    path = uris[0].split("/providers/google-ai-studio", 1)[1]
    first = (await gemini.get(path)).content
    second = (await gemini.get(uris[1].split("/providers/google-ai-studio", 1)[1])).content
    assert first[4:8] == b"ftyp" and first != second  # two samples, two seeds
    part = await gemini.get(path, headers={"Range": "bytes=4-7"})
    assert (part.status_code, part.content, part.headers["content-range"]) == (206, b"ftyp", f"bytes 4-7/{len(first)}")
    assert (await gemini.get(path, headers={"x-goog-api-key": ""})).status_code == 403  # the key is needed
    await ctx.clock.advance(2 * 24 * 3600 - 1)
    assert (await gemini.get(path)).status_code == 200
    await ctx.clock.advance(1)  # files are removed after 2 days (§2.7 item 5)
    gone = await gemini.get(path)
    file_id = path.split("/files/")[1].split(":")[0]
    assert gone.status_code == 403 and gone.json() == {
        "error": {
            "code": 403,
            "message": f"You do not have permission to access the File {file_id} or it may not exist.",
            "status": "PERMISSION_DENIED",
        }
    }
    assert (await gemini.get(f"/v1beta/{name}")).json() == done  # the operation itself stays readable


@pytest.mark.parametrize(
    "body, message",
    [
        (
            {**BODY, "parameters": {"generateAudio": False}},
            "`generateAudio` isn't supported by this model. Please remove it or refer to the Gemini API documentation "
            "for supported usage.",
        ),
        (
            {**BODY, "parameters": {"seed": 1}},
            "`seed` isn't supported by this model. Please remove it or refer to the "
            "Gemini API documentation for supported usage.",
        ),
        (
            {**BODY, "parameters": {"durationSeconds": 5}},
            "The number value for `durationSeconds` is out of bound. Please "
            "provide a value between 4 and 8, inclusive.",
        ),
        (
            {**BODY, "parameters": {"resolution": "1080p", "durationSeconds": 4}},
            "1080p is only supported for 8 second videos.",
        ),
        (
            {**BODY, "parameters": {"aspectRatio": "1:1"}},
            "Unsupported aspect ratio: 1:1. Supported values are 16:9 and 9:16.",
        ),
        (
            {"instances": [{"prompt": "x", "image": {"gcsUri": "gs://b/i.png"}}]},
            "instances[0].image must include bytesBase64Encoded.",
        ),
        (
            {"instances": [{"prompt": "x", "video": {"encodedVideo": "AAAA"}}]},
            "instances[0].video must be a Veo-generated file given by uri.",
        ),
        ({"instances": []}, "instances must be a list holding exactly one object."),
    ],
)
async def test_invalid_bodies_get_google_400s(gemini: httpx.AsyncClient, body: dict[str, Any], message: str) -> None:
    r = await gemini.post(f"{MODEL}:predictLongRunning", json=body)
    assert (r.status_code, r.json()) == (
        400,
        {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}},
    )


async def test_keys_unknown_models_and_names(gemini: httpx.AsyncClient) -> None:
    r = await gemini.post(f"{MODEL}:predictLongRunning", json=BODY, headers={"x-goog-api-key": ""})
    assert r.status_code == 403 and r.json()["error"]["status"] == "PERMISSION_DENIED"
    assert r.json()["error"]["message"].startswith("Method doesn't allow unregistered callers")
    r = await gemini.post(f"{MODEL}:predictLongRunning", json=BODY, params={"key": "k"}, headers={"x-goog-api-key": ""})
    assert r.status_code == 200  # ?key= works as well as the header
    name = r.json()["name"]
    r = await gemini.post("/v1beta/models/veo-9:predictLongRunning", json=BODY)
    assert r.status_code == 404 and r.json()["error"]["message"].startswith(
        "models/veo-9 is not found for API version v1beta, or is not supported for predictLongRunning."
    )
    assert (await gemini.post(f"{MODEL}:generateContent", json=BODY)).status_code == 404
    r = await gemini.post(f"{MODEL}:predictLongRunning", content=b"{", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["message"] == "Invalid JSON payload received."
    wrong_model = name.replace("veo-3.1-fast-generate-preview", "veo-2.0-generate-001")
    assert (await gemini.get(f"/v1beta/{wrong_model}")).status_code == 404
    r = await gemini.get("/v1beta/operations/zzzzzzzzzzzz")
    assert r.json() == {
        "error": {"code": 404, "message": "Operation operations/zzzzzzzzzzzz not found.", "status": "NOT_FOUND"}
    }
    assert (await gemini.get("/v1beta/files/abc:download")).status_code == 400  # alt=media is required
    assert (await gemini.get("/v1beta/files/abc:delete?alt=media")).status_code == 404


async def test_scripted_error_and_poll_fault(media: MediaCache, tmp_path: Path) -> None:
    (tmp_path / "veo-invalid-argument.yaml").write_text(FAILING)
    ctx = make_ctx(media, scenarios_dir=str(tmp_path))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PLUGIN.build_emulator(ctx)), base_url="http://gemini.test", headers=KEY
    ) as gemini:
        body = {"instances": [{"prompt": "fox [scenario:veo-invalid-argument]"}]}
        name = (await gemini.post(f"{MODEL}:predictLongRunning", json=body)).json()["name"]
        r = await gemini.get(f"/v1beta/{name}")
        assert r.status_code == 429 and r.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert r.json()["error"]["details"] == [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}
        ]
        await ctx.clock.advance(30)
        assert (await gemini.get(f"/v1beta/{name}")).json() == {
            "name": name,
            "done": True,
            "error": {"code": 3, "message": "The prompt could not be processed."},
        }


async def test_audio_filter_scenario_then_a_clean_retry(client: httpx.AsyncClient, runtime: Any) -> None:
    """scenarios/gemini-audio-filter-flaky.yaml on the virtual clock, through the mounted emulator."""
    base = "/providers/google-ai-studio/v1beta"
    headers = {**KEY, "X-Vidmock-Scenario": "gemini-audio-filter-flaky"}
    body = {"instances": [{"prompt": "a knight says hello"}], "parameters": {"durationSeconds": 8}}
    name = (
        await client.post(f"{base}/models/veo-3.1-generate-preview:predictLongRunning", json=body, headers=headers)
    ).json()["name"]
    seen = []
    for step in (0, 35, 34, 1):
        await runtime.advance(step)
        seen.append((await client.get(f"{base}/{name}", headers=KEY)).json())
    assert [op["done"] for op in seen] == [False, False, False, True]
    assert seen[-1] == {
        "name": name,
        "done": True,
        "response": {
            "@type": RESPONSE_TYPE,
            "generateVideoResponse": {
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": [
                    "We encountered an issue with the audio for your prompt, which means we could "
                    "not create your video. You have not been charged for this attempt."
                ],
            },
        },
    }
    assert "error" not in seen[-1]  # success-shaped: no error, no samples
    # The filter is flaky: the same request without the scenario renders a video.
    retry = (
        await client.post(f"{base}/models/veo-3.1-generate-preview:predictLongRunning", json=body, headers=KEY)
    ).json()["name"]
    await runtime.advance(90)
    done = (await client.get(f"{base}/{retry}", headers=KEY)).json()
    assert len(done["response"]["generateVideoResponse"]["generatedSamples"]) == 1


async def test_client_speaks_the_protocol(gemini: httpx.AsyncClient, ctx: EmulatorContext) -> None:
    """The gateway never routes to google-ai-studio (gateway.md §8), but its client works."""
    client = PLUGIN.build_client(ctx.config)
    mapping = Mapping(
        provider="google-ai-studio",
        external_id="veo-3.1-generate-preview",
        sizes=("1280x720",),
        durations=(8,),
        supports_audio=True,
        supports_silent=False,
        per_second_price={"default": 0.4},
    )
    sub = SubmitContext(
        request=CreateRequest(prompt="a fox", seconds=8, size="1920x1080"), mapping=mapping, request_id="r1"
    )
    result = await client.submit(gemini, sub)
    assert ctx.journal.for_service("google-ai-studio")[-1].body == {
        "instances": [{"prompt": "a fox"}],
        "parameters": {"aspectRatio": "16:9", "durationSeconds": 8, "sampleCount": 1, "resolution": "1080p"},
    }
    assert (await client.poll(gemini, result.upstream_id, {})).status == "in_progress"
    await ctx.clock.advance(90)
    poll = await client.poll(gemini, result.upstream_id, {})
    assert poll.status == "completed" and poll.content_url and poll.content_url.endswith(":download?alt=media")


# -- the official SDK over a real socket ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vidmock",
            "serve",
            "--clock",
            "virtual",
            "--provider",
            "google-ai-studio",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                httpx.get(f"{base}/_vidmock/health", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"vidmock serve did not start:\n{proc.stdout.read().decode() if proc.stdout else ''}"
                    ) from None
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()  # else a ResourceWarning (an error in this suite) when it is collected


def test_the_2x_sdk_wire_generates_polls_and_downloads(served: str) -> None:
    """What google-genai 2.x sends for Veo on the Gemini API, as raw HTTP: the 3.x SDK refuses
    generate_videos in this mode (changes-2026-12.md §4.3) and one venv holds one google-genai, so the
    2.x wire is replayed here rather than driven through a second SDK install."""
    http = httpx.Client(base_url=served, headers={"x-goog-api-key": "k"}, timeout=10)
    body = {"instances": [{"prompt": "a fox in snow"}], "parameters": {"durationSeconds": 4, "aspectRatio": "9:16"}}
    op = http.post("/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning", json=body).json()
    assert op["name"].startswith("models/veo-3.1-fast-generate-preview/operations/") and "done" not in op
    polls = 0
    while not op.get("done"):
        httpx.post(f"{served}/_vidmock/clock/advance", json={"seconds": 10}, timeout=10)  # the SDK's 10 s cadence
        op = http.get(f"/v1beta/{op['name']}").json()
        polls += 1
    assert polls == 5 and "error" not in op  # 45 s for the fast model
    samples = op["response"]["generateVideoResponse"]["generatedSamples"]
    uri = samples[0]["video"]["uri"]
    assert uri.startswith(served)
    data = http.get(uri).content
    assert data[4:8] == b"ftyp"
    calls = httpx.get(f"{served}/_vidmock/calls", timeout=10).json()["calls"]
    assert [c["method"] for c in calls] == ["POST"] + ["GET"] * (polls + 1)
    assert all(c["headers"].get("x-goog-api-key") and c["status"] == 200 for c in calls)
    http.close()


def test_google_genai_3x_refuses_veo_on_the_gemini_api() -> None:
    """Why the test above is raw HTTP: the 3.x SDK fails before sending anything (§4.3)."""
    genai = pytest.importorskip("google.genai")
    from google.genai import types

    if hasattr(genai.models, "_GenerateVideosParameters_to_mldev"):
        pytest.skip("google-genai 2.x still drives Veo on the Gemini API")
    client = genai.Client(
        api_key="k", http_options=types.HttpOptions(base_url="http://127.0.0.1:9", api_version="v1beta")
    )
    with pytest.raises(ValueError, match="only supported in"):
        client.models.generate_videos(
            model="veo-3.1-fast-generate-preview", source=types.GenerateVideosSource(prompt="x")
        )
