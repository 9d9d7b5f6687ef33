"""Signed webhook delivery from the gateway (gateway.md §4.2–§4.3; §7 edge cases 54–56)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from conftest import AUTH
from conftest import test_config as config_for_tests

from vidmock.webhooks import verify

pytestmark = pytest.mark.anyio
HOOK = "https://receiver.example.test/hooks/video"
SECRET = "whsec_my-secret"
BODY = {"prompt": "fox", "seconds": 4, "callback_url": HOOK, "callback_secret": SECRET}


async def _create(client: httpx.AsyncClient, **extra: Any) -> str:
    r = await client.post("/v1/videos", json={**BODY, **extra}, headers=AUTH)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


@respx.mock(assert_all_called=True)
async def test_completion_sends_one_signed_event(
    client: httpx.AsyncClient, runtime: Any, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(HOOK).respond(204)
    runtime.clock.wall_time = lambda: 1_800_000_000.5  # the receiver's time, unlike the virtual clock's
    vid = await _create(client)
    await runtime.advance(89)
    assert route.call_count == 0  # only terminal statuses are delivered
    await runtime.advance(6)
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["webhook-id"] == f"evt_{vid}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-timestamp"] == "1800000000"  # signed at the real send time
    assert request.headers["webhook-signature"].startswith("v1,")
    verified = verify("llmgateway", request.content, request.headers, SECRET, now=1_800_000_000)
    event = verified.payload
    assert event["created_at"] == 1773600000 + 90  # the payload stays on the virtual clock
    assert event["object"] == "event" and event["id"] == f"evt_{vid}" and event["type"] == "video.completed"
    assert event["data"]["status"] == "completed" and event["data"]["id"] == vid
    assert event["data"]["usage"]["cost"] == 1.6
    got = (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()
    assert event["data"]["content"][0]["url"].split("?")[0] == got["content"][0]["url"].split("?")[0]
    rows = runtime.webhooks.rows(vid)
    assert [(r["attempt"], r["status"], r["response_status"]) for r in rows] == [(1, "delivered", 204)]
    assert runtime.store.get("gateway.job", vid)["callback_status"] == "delivered"
    await runtime.advance(3600)
    assert route.call_count == 1


@respx.mock(assert_all_called=True)
async def test_failures_retry_with_doubling_backoff_then_give_up(
    client: httpx.AsyncClient, runtime: Any, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(HOOK).respond(500, text="down")
    # A receiver whose wall moves as the virtual clock does (as if the retries really took hours).
    runtime.clock.wall_time = lambda: runtime.clock.now() + 25_000_000
    vid = await _create(client)
    await runtime.advance(95)
    rows = runtime.webhooks.rows(vid)
    assert [(r["attempt"], r["status"]) for r in rows] == [(1, "retrying"), (2, "pending")]
    first_try = rows[0]["last_tried_at"]
    assert rows[1]["next_retry_at"] == first_try + 30
    assert rows[0]["error"] == "Unexpected webhook response status 500"
    await runtime.advance(4 * 3600)
    rows = runtime.webhooks.rows(vid)
    assert [r["attempt"] for r in rows] == list(range(1, 9))
    assert [r["status"] for r in rows] == ["retrying"] * 7 + ["failed"]
    gaps = [b["last_tried_at"] - a["last_tried_at"] for a, b in zip(rows, rows[1:], strict=False)]
    # 30 s doubling; each retry waits for the next 5 s delivery loop at most.
    for gap, expected in zip(gaps, [30, 60, 120, 240, 480, 960, 1920], strict=False):
        assert expected <= gap < expected + 5
    assert route.call_count == 8
    ids = {c.request.headers["webhook-id"] for c in route.calls}
    stamps = [c.request.headers["webhook-timestamp"] for c in route.calls]
    assert ids == {f"evt_{vid}"} and len(set(stamps)) == 8  # stable id, fresh timestamp each attempt
    assert runtime.store.get("gateway.job", vid)["callback_status"] == "failed"


@respx.mock(assert_all_called=True)
async def test_a_redirect_is_a_failure(client: httpx.AsyncClient, runtime: Any, respx_mock: respx.MockRouter) -> None:
    respx_mock.post(HOOK).respond(302, headers={"Location": "https://elsewhere.example.test/"})
    vid = await _create(client)
    await runtime.advance(95)
    rows = runtime.webhooks.rows(vid)
    assert rows[0]["status"] == "retrying" and rows[0]["response_status"] == 302


@respx.mock(assert_all_called=True)
async def test_timeout_sends_video_failed(make_app: Any, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(HOOK).respond(200)
    app = make_app(config_for_tests(latency={"veo-3.1-generate-001": 99999}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        vid = await _create(client)
        await app.state.vidmock.advance(3605)
    event = json.loads(route.calls.last.request.content)
    assert event["type"] == "video.failed"
    assert event["data"]["status"] == "failed" and event["data"]["error"]["code"] == "timeout"
    assert event["id"] == f"evt_{vid}"


async def test_no_callback_no_delivery(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post("/v1/videos", json={"prompt": "fox", "seconds": 4}, headers=AUTH)
    await runtime.advance(95)
    assert runtime.webhooks.rows(r.json()["id"]) == []
    assert runtime.store.get("gateway.job", r.json()["id"])["callback_status"] == "none"


@respx.mock(assert_all_called=True)
async def test_pending_delivery_survives_a_restart(make_app: Any, tmp_path: Any, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(HOOK).mock(side_effect=[httpx.Response(503), httpx.Response(200)])
    config = config_for_tests(store=str(tmp_path / "s.db"))
    app = make_app(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        vid = await _create(client)
        await app.state.vidmock.advance(95)
    await app.state.vidmock.aclose()
    again = make_app(config)
    await again.state.vidmock.advance(40)
    rows = again.state.vidmock.webhooks.rows(vid)
    assert [(r["attempt"], r["status"]) for r in rows] == [(1, "retrying"), (2, "delivered")]
    assert route.call_count == 2


async def test_control_plane_lists_deliveries(client: httpx.AsyncClient, runtime: Any) -> None:
    with respx.mock:
        respx.post(HOOK).respond(200)
        vid = await _create(client)
        await runtime.advance(95)
    r = await client.get("/_vidmock/webhooks", params={"job": vid})
    rows = r.json()["deliveries"]
    assert rows[0]["status"] == "delivered"
    assert SECRET not in r.text
