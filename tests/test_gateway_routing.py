"""Provider selection and fallback (gateway.md §5.1; §7 edge cases 25 and 27)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import AUTH

# Seed-era behaviour (Avalanche, Sora): the gateway release the older references describe (issue 14).
pytestmark = [pytest.mark.anyio, pytest.mark.gateway_release("pre-2026-03")]
BODY = {"model": "veo-3.1-fast-generate-preview", "prompt": "x", "seconds": 8, "size": "1920x1080"}
FALLBACK = {**AUTH, "X-Vidmock-Scenario": "vertex-500-then-fallback"}


async def test_unpinned_request_falls_back_after_a_5xx(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post("/v1/videos", json=BODY, headers=FALLBACK)
    assert r.status_code == 200, r.text
    job = runtime.store.get("gateway.job", r.json()["id"])
    assert [(a["provider"], a["status_code"], a["succeeded"]) for a in job["routing"]] == [
        ("google-vertex", 500, False),
        ("avalanche", 200, True),
    ]
    assert job["provider"] == "avalanche" and r.json()["model"] == "avalanche/veo-3.1-fast-generate-preview"


@pytest.mark.parametrize("value", ["true", "1"])
async def test_x_no_fallback_returns_the_upstream_error(client: httpx.AsyncClient, runtime: Any, value: str) -> None:
    r = await client.post("/v1/videos", json=BODY, headers={**FALLBACK, "x-no-fallback": value})
    assert r.status_code == 500
    assert r.json()["error"] == {
        "message": "Internal error encountered.",
        "type": "api_error",
        "param": None,
        "code": None,
    }
    assert runtime.journal.for_service("avalanche") == []


async def test_a_pinned_provider_never_falls_back(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post(
        "/v1/videos", json={**BODY, "model": "google-vertex/veo-3.1-fast-generate-preview"}, headers=FALLBACK
    )
    assert r.status_code == 500
    assert runtime.journal.for_service("avalanche") == []


async def test_a_429_falls_back(client: httpx.AsyncClient, runtime: Any) -> None:
    await client.post("/_vidmock/scenario", json={"name": "vertex-submit-429-quota"})
    r = await client.post("/v1/videos", json=BODY, headers=AUTH)
    # 429 is retryable: the request lands on avalanche.
    assert r.status_code == 200 and runtime.store.get("gateway.job", r.json()["id"])["provider"] == "avalanche"


def _app_with(make_app: Any, tmp_path: Any, fault: str) -> Any:
    from conftest import test_config as config_for_tests

    scenario_dir = tmp_path / "sc"
    scenario_dir.mkdir()
    (scenario_dir / "vertex-fault.yaml").write_text(
        "name: vertex-fault\ndescription: d\nreproduces: submit errors and fallback (gateway.md §5.1)\n"
        f"provider: google-vertex\nfaults:\n  submit: [{fault}]\n"
    )
    return make_app(config_for_tests(scenarios_dir=str(scenario_dir)))


async def test_a_400_is_never_retried_elsewhere(make_app: Any, tmp_path: Any) -> None:
    app = _app_with(make_app, tmp_path, "{status: 400, message: bad instance}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/v1/videos", json=BODY, headers={**AUTH, "X-Vidmock-Scenario": "vertex-fault"})
    assert (r.status_code, r.json()["error"]["message"]) == (400, "bad instance")
    assert app.state.vidmock.journal.for_service("avalanche") == []


async def test_a_connection_reset_counts_as_a_network_error_and_falls_back(make_app: Any, tmp_path: Any) -> None:
    app = _app_with(make_app, tmp_path, "{reset: true}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/v1/videos", json=BODY, headers={**AUTH, "X-Vidmock-Scenario": "vertex-fault"})
    assert r.status_code == 200, r.text
    job = app.state.vidmock.store.get("gateway.job", r.json()["id"])
    assert [(a["provider"], a["status_code"]) for a in job["routing"]] == [("google-vertex", 0), ("avalanche", 200)]
