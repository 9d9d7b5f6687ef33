"""The request journal and verification API (issue 16 item 2): every request the gateway and the
emulators received, accepted or rejected, at ``GET /_vidmock/requests`` with filters, in the
inspector, and in the pytest plugin as ``vidmock.requests`` / ``vidmock.verify``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import AUTH, KEY

from vidmock.requestlog import RequestLog, RequestLogMiddleware
from vidmock.testing.verify import Requests

pytestmark = pytest.mark.anyio
pytest_plugins = ["pytester"]
# A current model (the default release, 2026-12, has deactivated Sora): 4..15 s, so 16 is refused.
CREATE = {"model": "bytedance/seedance-2-0", "prompt": "fox", "seconds": 4}


async def test_accepted_and_rejected_requests_with_status_error_and_masked_headers(
    client: httpx.AsyncClient, runtime: Any
) -> None:
    ok = await client.post("/v1/videos", json=CREATE, headers=AUTH)
    assert ok.status_code == 200
    bad = await client.post("/v1/videos", json={**CREATE, "seconds": 16}, headers=AUTH)
    assert bad.status_code == 400
    anon = await client.get("/v1/videos/nope", headers={"Authorization": "Bearer wrong-key-123456"})
    assert anon.status_code == 401

    r = await client.get("/_vidmock/requests", params={"surface": "gateway"})
    rows = r.json()["requests"]
    assert [(x["method"], x["path"], x["status"]) for x in rows] == [
        ("POST", "/v1/videos", 200),
        ("POST", "/v1/videos", 400),
        ("GET", "/v1/videos/nope", 401),
    ]
    assert rows[0]["error"] is None and rows[0]["body"] == CREATE
    assert rows[1]["error"] == bad.json()["error"]["message"]
    assert rows[1]["body"]["seconds"] == 16
    assert rows[2]["error"] == anon.json()["error"]["message"]
    # Secrets are never shown in full.
    assert KEY not in str(rows) and "wrong-key-123456" not in str(rows)
    assert rows[0]["headers"]["authorization"] != AUTH["Authorization"]
    assert all(x["at"] == runtime.clock.now() and x["duration_ms"] >= 0 for x in rows)

    # Filters: status code or class, method, path prefix or glob; the emulator's side is there too.
    rejected = (await client.get("/_vidmock/requests", params={"status": "4xx", "surface": "gateway"})).json()
    assert [x["status"] for x in rejected["requests"]] == [400, 401] and rejected["count"] == 2
    posts = (
        await client.get("/_vidmock/requests", params={"method": "post", "path": "/v1/vid*", "surface": "gateway"})
    ).json()
    assert [x["status"] for x in posts["requests"]] == [200, 400]
    upstream = (await client.get("/_vidmock/requests", params={"surface": "bytedance"})).json()["requests"]
    assert [(x["method"], x["path"], x["status"]) for x in upstream] == [
        ("POST", "/api/v3/contents/generations/tasks", 200)
    ]
    assert upstream[0]["body"]["model"] == "dreamina-seedance-2-0-260128"


async def test_filters_are_checked_and_reset_clears(client: httpx.AsyncClient) -> None:
    await client.get("/v1/videos/x", headers=AUTH)
    bad = await client.get("/_vidmock/requests", params={"verb": "GET"})
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "Unknown filter(s) verb; expected some of method, path, status, surface"
    bad = await client.get("/_vidmock/requests", params={"status": "teapot"})
    assert bad.status_code == 400 and "status: expected a code (404) or a class (4xx)" in bad.text
    assert (await client.get("/_vidmock/requests")).json()["count"] == 1
    assert (await client.post("/_vidmock/reset")).status_code == 200
    assert (await client.get("/_vidmock/requests")).json()["count"] == 0


async def test_the_journal_is_bounded() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    log = RequestLog(limit=3)
    ticks = iter(range(100))
    wrapped = RequestLogMiddleware(app, log, now=lambda: 1.0, timer=lambda: float(next(ticks)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://t") as c:
        for i in range(5):
            await c.get(f"/v1/videos/{i}")
    assert [r.path for r in log.records] == ["/v1/videos/2", "/v1/videos/3", "/v1/videos/4"]
    assert [r.seq for r in log.records] == [3, 4, 5]
    assert {r.duration_ms for r in log.records} == {1000.0}  # the injected timer: one tick per request


async def test_inspector_lists_requests_with_rejected_ones_and_folds_polls(client: httpx.AsyncClient) -> None:
    vid = (await client.post("/v1/videos", json=CREATE, headers=AUTH)).json()["id"]
    for _ in range(18):
        await client.get(f"/v1/videos/{vid}", headers=AUTH)
    await client.post("/v1/videos", json={**CREATE, "seconds": 16}, headers=AUTH)
    page = (await client.get("/_vidmock/ui")).text
    assert '<table id="requests"' in page
    poll = f"<code>GET /v1/videos/{vid}</code>"
    assert page.count(poll) == 1 and '<tr class="request repeated" data-count="18">' in page  # 18 polls, one row
    assert f'{poll} <span class="repeat" title="the same request 18 times">× 18 over 0 s</span>' in page
    rejected = (
        '<code>POST /v1/videos</code><div class="error">duration 16s exceeds the maximum supported duration '
        'of 15s for model seedance-2-0</div></td><td><span class="http bad">400</span>'
    )
    assert rejected in page


def test_verification_api_counts_and_lists_near_misses() -> None:
    rows = [
        {"surface": "gateway", "method": "POST", "path": "/v1/videos", "status": 400, "error": "bad seconds",
         "body": {"model": "openai/sora-2", "seconds": 7}, "headers": {"content-type": "application/json"}},
        {"surface": "gateway", "method": "GET", "path": "/v1/videos/abc", "status": 200, "error": None,
         "body": None, "headers": {}},
    ]  # fmt: skip
    requests = Requests(lambda: rows)
    assert requests.count(method="post", path="/v1/videos") == 1
    assert requests.count(path="/v1/videos/*") == 1
    assert requests.count(json={"model": "openai/sora-2"}, status="4xx") == 1
    assert requests.called(headers={"Content-Type": "application/json"})
    assert not requests.called(method="POST", status=200)
    with pytest.raises(AssertionError) as failure:
        requests.verify(method="POST", path="/v1/videos", json={"model": "openai/sora-2", "seconds": 4}, times=1)
    assert str(failure.value) == "\n".join(
        [
            "expected 1 request(s) matching POST /v1/videos json={'model': 'openai/sora-2', 'seconds': 4}, found 0",
            "near misses (closest first):",
            '  gateway POST /v1/videos -> 400 "bad seconds"',
            "      json.seconds: expected 4, got 7",
            "  gateway GET /v1/videos/abc -> 200",
            "      method: expected POST, got GET",
            "      path: expected /v1/videos, got /v1/videos/abc",
            "      json: expected an object, got None",
            "(2 request(s) received in all; GET /_vidmock/requests lists them)",
        ]
    )


def test_plugin_verification_over_a_real_socket(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

def test_rejected_create_is_visible(vidmock):
    with vidmock.client() as c:
        assert c.post("/v1/videos", json={"model": "bytedance/seedance-2-0", "prompt": "x", "seconds": 16}).status_code == 400
        assert c.post("/v1/videos", json={"model": "bytedance/seedance-2-0", "prompt": "x", "seconds": 4}).status_code == 200
    assert vidmock.requests.count(method="POST", path="/v1/videos") == 2
    assert vidmock.requests.count(method="POST", path="/v1/videos", json={"seconds": 16}, status=400) == 1
    vidmock.verify(method="POST", path="/api/v3/contents/generations/tasks", surface="bytedance", times=1)

def test_reset_between_tests_and_a_readable_failure(vidmock):
    assert vidmock.requests.all() == []
    with vidmock.client() as c:
        c.post("/v1/videos", json={"model": "bytedance/seedance-2-0", "prompt": "x", "seconds": 8})
    vidmock.verify(method="POST", path="/v1/videos", json={"seconds": 4})
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected at least 1 request(s) matching POST /v1/videos json={'seconds': 4}, found 0*",
            "*near misses (closest first):*",
            "*gateway POST /v1/videos -> 200*",
            "*json.seconds: expected 4, got 8*",
        ]
    )
