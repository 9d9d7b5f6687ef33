"""``GET /v1/models``: the video models of the served gateway release, in the real route's shape."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH
from conftest import test_config as server_config
from test_socket import _serve

from vidmock.gateway.application.routes import RELEASE_HEADER
from vidmock.gateway.domain.catalogue import UNSUPPORTED_MODEL_MESSAGE

pytestmark = pytest.mark.anyio

VEO = {
    "id": "veo-3.1-generate-preview",
    "name": "Veo 3.1",
    "created": 1773446400,  # releasedAt 2026-03-14 (N3)
    "description": "veo-3.1-generate-preview provided by google-vertex",
    "family": "google",
    "architecture": {"input_modalities": ["text"], "output_modalities": ["video"], "tokenizer": "GPT"},
    "top_provider": {"is_moderated": True},
    "providers": [
        {
            "providerId": "google-vertex",
            "externalId": "veo-3.1-generate-001",
            "supportedVideoSizes": ["1280x720", "720x1280", "1920x1080", "1080x1920", "3840x2160", "2160x3840"],
            "supportsVideoAudio": True,
            "supportsVideoWithoutAudio": True,
            "pricing": {
                "prompt": "0",
                "completion": "0",
                "image": "0",
                "per_second": {"default_audio": "0.4", "default_video": "0.2", "4k_audio": "0.6", "4k_video": "0.4"},
            },
            "streaming": False,
            "vision": False,
            "cancellation": False,
            "tools": False,
            "parallelToolCalls": False,
            "reasoning": False,
            "stability": "beta",
        }
    ],
    "pricing": {
        "prompt": "0",
        "completion": "0",
        "image": "0",
        "per_second": {"default_audio": "0.4", "default_video": "0.2", "4k_audio": "0.6", "4k_video": "0.4"},
        "request": "0",
        "input_cache_read": "0",
        "input_cache_write": "0",
        "input_cache_write_1h": "0",
        "web_search": "0",
        "internal_reasoning": "0",
    },
    "context_length": 32768,
    "supported_parameters": [
        "temperature",
        "max_tokens",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "response_format",
        "tools",
        "tool_choice",
    ],
    "json_output": False,
    "structured_outputs": False,
    "free": False,
    "per_request_limits": {"max_video_duration_seconds": "10"},
    "stability": "beta",
}


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001")


async def models(app: Any, **params: str) -> httpx.Response:
    async with client_for(app) as c:
        return await c.get("/v1/models", params=params)


async def test_newest_lists_todays_video_models_without_a_key(make_app: Callable[..., Any]) -> None:
    r = await models(make_app())
    assert r.status_code == 200 and r.headers[RELEASE_HEADER] == "2026-12"
    ids = [m["id"] for m in r.json()["data"]]
    assert "sora-2" not in ids and "sora-2-pro" not in ids  # every mapping deactivated (§1.1)
    assert "grok-imagine-video-1-5" in ids and "grok-imagine-video-1-5-preview" in ids  # §1.3
    assert all(p["providerId"] != "avalanche" for m in r.json()["data"] for p in m["providers"])  # §1.2
    assert r.json()["data"][0] == VEO


async def test_include_deactivated_shows_sora_with_its_date(make_app: Callable[..., Any]) -> None:
    data = (await models(make_app(), include_deactivated="true")).json()["data"]
    sora = next(m for m in data if m["id"] == "sora-2")
    assert sora["deactivated_at"] == "2026-03-24T00:00:00.000Z" and "deprecated_at" not in sora
    assert sora["providers"][0]["pricing"]["per_second"] == {"default": "0.1"}
    # Only the string "true" switches it on, as the real route's transform does.
    assert "sora-2" not in [m["id"] for m in (await models(make_app(), include_deactivated="1")).json()["data"]]


async def test_older_release_lists_sora_and_avalanche(make_app: Callable[..., Any]) -> None:
    r = await models(make_app(server_config(gateway_release="pre-2026-03")))
    assert r.headers[RELEASE_HEADER] == "pre-2026-03"
    data = {m["id"]: m for m in r.json()["data"]}
    assert "sora-2" in data and "grok-imagine-video-1-5" not in data
    veo = data["veo-3.1-generate-preview"]
    assert [p["providerId"] for p in veo["providers"]] == ["google-vertex", "avalanche"]
    assert veo["description"] == "veo-3.1-generate-preview provided by google-vertex, avalanche"
    fast = data["veo-3.1-fast-generate-preview"]["providers"][0]
    assert fast["pricing"]["per_second"]["4k_video"] == "0.35"


async def test_every_listed_model_is_accepted_and_others_point_to_the_list(make_app: Callable[..., Any]) -> None:
    """What a client discovers from /v1/models, the create accepts (with a size and duration it offers)."""
    app = make_app()
    async with client_for(app) as c:
        for model in (await c.get("/v1/models")).json()["data"]:
            provider = model["providers"][0]
            # /v1/models does not list durations (the real route neither): take one the catalogue offers.
            entry = app.state.vidmock.service.catalogue.get(model["id"])
            body = {
                "model": f"{provider['providerId']}/{model['id']}",
                "prompt": "fox",
                "seconds": 8 if 8 in entry.mappings[0].durations else entry.mappings[0].durations[0],
                "size": provider["supportedVideoSizes"][0],
                "audio": provider["supportsVideoAudio"],
            }
            r = await c.post("/v1/videos", json=body, headers=AUTH)
            assert r.status_code == 200, (model["id"], r.text)
        r = await c.post("/v1/videos", json={"model": "sora-3", "prompt": "fox", "seconds": 4}, headers=AUTH)
        assert r.status_code == 400 and r.json()["error"]["message"] == UNSUPPORTED_MODEL_MESSAGE
        assert "/v1/models" in UNSUPPORTED_MODEL_MESSAGE


async def test_lifecycle_follows_the_server_clock(make_app: Callable[..., Any]) -> None:
    """A model past its deactivatedAt drops out when the (virtual) clock passes it."""
    from dataclasses import replace

    from vidmock.gateway.domain.catalogue import Catalogue, default_catalogue

    wan = default_catalogue().get("wan-2-5")
    assert wan is not None
    start = 1773600000.0  # the virtual clock's default start
    dated = replace(wan, mappings=tuple(replace(m, deactivated_at=start + 600) for m in wan.mappings))
    app = make_app(catalogue=Catalogue([dated]))
    assert [m["id"] for m in (await models(app)).json()["data"]] == ["wan-2-5"]
    await app.state.vidmock.advance(600)
    assert [m["id"] for m in (await models(app)).json()["data"]] == ["wan-2-5"]  # at the date: still usable
    await app.state.vidmock.advance(1)
    assert (await models(app)).json()["data"] == []
    assert (await models(app, include_deactivated="true")).json()["data"][0]["deactivated_at"] == (
        "2026-03-15T18:50:00.000Z"
    )


def test_models_over_a_real_socket(tmp_path: Path) -> None:
    for base in _serve(tmp_path, "--clock", "virtual", "--gateway-release", "pre-2026-03"):
        r = httpx.get(f"{base}/v1/models", timeout=10)
        assert r.status_code == 200 and r.headers[RELEASE_HEADER] == "pre-2026-03"
        assert "sora-2" in [m["id"] for m in r.json()["data"]]
