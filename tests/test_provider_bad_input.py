"""Every provider emulator answers bad input with a 4xx in its own envelope: never a 500, never a hang.

Hypothesis throws arbitrary JSON (and some non-JSON bytes) at each create route and at each status
route with arbitrary ids; an exception inside an emulator surfaces here as an error, a 5xx as a failure.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from conftest import test_config as config_for_tests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidmock.media import MediaCache
from vidmock.providers.registry import PLUGINS
from vidmock.server import build_app

BEARER = {"Authorization": "Bearer k"}
CREATE: dict[str, list[tuple[str, dict[str, str]]]] = {
    "google-vertex": [
        (
            "/v1/projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001"
            ":predictLongRunning?key=k",
            {},
        ),
        (
            "/v1/projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001"
            ":fetchPredictOperation?key=k",
            {},
        ),
    ],
    "openai": [("/v1/videos", BEARER)],
    "bytedance": [("/api/v3/contents/generations/tasks", BEARER)],
    "atlascloud": [("/api/v1/model/generateVideo", BEARER)],
    "minimax": [("/v1/video_generation", BEARER), ("/v2/video_generation", BEARER)],
    "xai": [("/v1/videos/generations", BEARER)],
    "alibaba": [("/api/v1/services/aigc/video-generation/video-synthesis", {**BEARER, "X-DashScope-Async": "enable"})],
    "avalanche": [
        ("/api/v1/veo/generate", BEARER),
        ("/api/v1/jobs/createTask", BEARER),
        ("/api/file-base64-upload", BEARER),
    ],
    "google-ai-studio": [("/v1beta/models/veo-3.1-generate-preview:predictLongRunning", {"x-goog-api-key": "k"})],
    "luma": [("/dream-machine/v1/generations", BEARER), ("/dream-machine/v1/generations/video", BEARER)],
    "fal": [
        ("/fal-ai/kling-video/v2/master/text-to-video", {"Authorization": "Key k:s"}),
        ("/fal-ai/veo3?fal_webhook=https://hooks.example/x", {"Authorization": "Key k:s"}),
    ],
    "runway": [
        (f"/v1/{e}", {**BEARER, "X-Runway-Version": "2024-11-06"})
        for e in ("text_to_video", "image_to_video", "video_to_video", "video_upscale")
    ],
    "kling": [("/v1/videos/text2video", BEARER), ("/v1/videos/image2video", BEARER)],
}
STATUS: dict[str, list[str]] = {
    "openai": ["/v1/videos/{id}", "/v1/videos/{id}/content"],
    "bytedance": ["/api/v3/contents/generations/tasks/{id}"],
    "atlascloud": ["/api/v1/model/prediction/{id}"],
    "minimax": ["/v1/query/video_generation?task_id={id}", "/v1/files/retrieve?file_id={id}"],
    "xai": ["/v1/videos/{id}", "/v1/videos/{id}/content"],
    "alibaba": ["/api/v1/tasks/{id}"],
    "avalanche": ["/api/v1/veo/record-info?taskId={id}", "/api/v1/jobs/recordInfo?taskId={id}"],
    "google-ai-studio": ["/v1beta/operations/{id}", "/v1beta/files/{id}:download?alt=media"],
    "luma": ["/dream-machine/v1/generations/{id}", "/files/{id}.mp4"],
    "fal": ["/fal-ai/kling-video/requests/{id}/status", "/fal-ai/kling-video/requests/{id}", "/files/{id}/output.mp4"],
    "runway": ["/v1/tasks/{id}", "/files/{id}.mp4?_jwt=a.b.c"],
    "kling": ["/v1/videos/text2video/{id}", "/v1/videos/image2video/{id}", "/files/{id}/x.mp4"],
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "prompt",
        "model",
        "content",
        "input",
        "parameters",
        "instances",
        "seconds",
        "size",
        "duration",
        "image",
        "aspect_ratio",
        "resolution",
        "base64Data",
        "operationName",
    ]
)
BODIES = st.one_of(JSON, st.dictionaries(KEYS, JSON, max_size=6))
RAW = st.binary(max_size=64)
IDS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_app(config_for_tests(), media=MediaCache(tmp_path_factory.mktemp("m")))


def _send(app: Any, method: str, path: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as c:
            return await c.request(method, path, headers=headers, **kw)

    return asyncio.run(go())


def test_every_registered_provider_is_covered() -> None:
    assert sorted(PLUGINS) == sorted(CREATE)


@pytest.mark.parametrize("provider", sorted(CREATE))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=BODIES, raw=RAW)
def test_create_routes_never_500(app: Any, provider: str, body: Any, raw: bytes) -> None:
    for path, headers in CREATE[provider]:
        r = _send(app, "POST", f"/providers/{provider}{path}", headers, json=body)
        assert r.status_code < 500, (path, body, r.status_code, r.text[:300])
        r = _send(
            app, "POST", f"/providers/{provider}{path}", {**headers, "Content-Type": "application/json"}, content=raw
        )
        assert r.status_code < 500, (path, raw, r.status_code, r.text[:300])


@pytest.mark.parametrize("provider", sorted(STATUS))
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(ident=IDS)
def test_status_routes_never_500_for_unknown_ids(app: Any, provider: str, ident: str) -> None:
    from urllib.parse import quote

    for template in STATUS[provider]:
        path = template.format(id=quote(ident, safe=""))
        r = _send(
            app,
            "GET",
            f"/providers/{provider}{path}",
            {**BEARER, "x-goog-api-key": "k", "X-Runway-Version": "2024-11-06"},
        )
        assert r.status_code < 500, (path, r.status_code, r.text[:300])


@pytest.mark.parametrize("provider", sorted(CREATE))
def test_the_routes_exist(app: Any, provider: str) -> None:
    """Guards the fuzzing above: a wrong path would make it pass on 404s alone."""
    for path, headers in CREATE[provider]:
        r = _send(app, "POST", f"/providers/{provider}{path}", headers, json={})
        assert r.status_code not in (404, 405), (path, r.status_code, r.text[:200])
        assert 400 <= r.status_code < 500 or r.status_code == 200, (path, r.status_code)


@pytest.mark.parametrize("provider", sorted(CREATE))
def test_an_unknown_scenario_is_a_4xx_naming_it(app: Any, provider: str) -> None:
    """A scenario header naming no scenario is the caller's mistake, on every create route."""
    body = {"prompt": "x", "model": "m", "instances": [{"prompt": "x"}], "content": [{"type": "text", "text": "x"}]}
    for path, headers in CREATE[provider]:
        r = _send(
            app,
            "POST",
            f"/providers/{provider}{path}",
            {**headers, "X-Vidmock-Scenario": "no-such-scenario"},
            json=body,
        )
        assert r.status_code < 500, (path, r.status_code, r.text[:300])
        if "upload" not in path and "fetchPredictOperation" not in path and r.status_code != 401:  # auth first
            assert "no-such-scenario" in r.text, (path, r.text[:300])
