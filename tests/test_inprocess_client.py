"""The in-process upstream client puts the same request on the emulator's wire as httpx would.

Every case is sent twice, through ``InProcessClient`` (the fast path) and through a plain httpx
client over ``InProcessTransport`` (httpx's own pipeline), and what the ASGI app received and what the
caller got back must be identical.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from vidmock.clock import Clock
from vidmock.providers.faults import ConnectionReset, Hang, InProcessTransport, UpstreamClient, forwarding, wait_meter
from vidmock.providers.inprocess import InProcessClient

BASE = "http://echo.vidmock.internal/providers/echo"
FORWARDED = {"x-vidmock-scenario": "slow-render"}


def echo_app(seen: list[dict[str, Any]]) -> Starlette:
    async def echo(request: Request) -> Response:
        body = await request.body()
        seen.append(
            {
                "method": request.method,
                "path": request.scope["path"],
                "raw_path": request.scope["raw_path"],
                "query": request.scope["query_string"],
                "headers": sorted(request.scope["headers"]),
                "body": body,
            }
        )
        status = int(request.query_params.get("status", "200"))
        return JSONResponse(
            {"ok": True, "echo": body.decode("utf-8", "replace")}, status_code=status, headers={"x-upstream": "1"}
        )

    async def reset(request: Request) -> Response:
        raise ConnectionReset("reset by scenario")

    async def hang(request: Request) -> Response:
        raise Hang("never answers")

    return Starlette(
        routes=[
            Route("/providers/echo/reset", reset, methods=["GET", "POST"]),
            Route("/providers/echo/hang", hang, methods=["GET", "POST"]),
            Route("/providers/echo/{rest:path}", echo, methods=["GET", "POST", "DELETE"]),
        ]
    )


def clients(seen: list[dict[str, Any]]) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    app = echo_app(seen)

    fast = InProcessClient(app, base_url=BASE, forwarded=FORWARDED, follow_redirects=False)
    slow = UpstreamClient(transport=InProcessTransport(app), base_url=BASE, follow_redirects=False, forwarded=FORWARDED)
    return fast, slow


CALLS: list[tuple[str, Any, dict[str, Any]]] = [
    ("POST", "/v3/tasks", {"json": {"prompt": "un renard roux dans la neige ❄", "n": 2, "ok": None}}),
    ("POST", "/v3/tasks", {"json": {"prompt": "x"}, "headers": {"Authorization": "Bearer sk-test", "Accept": "*/*"}}),
    ("GET", "/v3/tasks/abc-123", {"params": {"taskId": "abc 123/ü", "empty": ""}}),
    ("GET", "/v3/tasks?taskId=1&x=2", {}),
    ("POST", "/v3/raw", {"content": b"\x00\x01not json", "headers": {"content-type": "application/octet-stream"}}),
    ("POST", "/v3/text", {"content": "plain text"}),
    ("DELETE", "/v3/tasks/abc", {"headers": [("X-Many", "1"), ("x-other", "2")]}),
    (
        "POST",
        httpx.URL(BASE + "/v1/models/veo:fetchPredictOperation", params={"key": "AIza-secret"}),
        {"json": {"operationName": "op/1"}},
    ),
    ("GET", "/v3/tasks/a%20b", {}),  # an already-escaped path
    ("GET", "/v3/tasks/a b", {}),  # one httpx must escape: the ordinary path
    ("POST", "/v3/upload", {"files": {"file": ("a.png", b"\x89PNG", "image/png")}}),  # multipart: ordinary path
]


@pytest.mark.parametrize("method,url,kwargs", CALLS, ids=[f"{m} {u}" for m, u, _ in CALLS])
def test_same_request_on_the_wire_and_same_response(method: str, url: Any, kwargs: dict[str, Any]) -> None:
    async def run() -> None:
        seen: list[dict[str, Any]] = []
        fast, slow = clients(seen)
        async with fast, slow:
            got_fast = await fast.request(method, url, **kwargs)
            got_slow = await slow.request(method, url, **kwargs)
        via_fast, via_slow = seen
        if "files" in kwargs:  # random multipart boundaries differ; the rest must not
            for d in (via_fast, via_slow):
                d["headers"] = [h for h in d["headers"] if h[0] not in (b"content-type", b"content-length")]
                d["body"] = b""
        assert via_fast == via_slow
        if "files" in kwargs:
            assert got_fast.status_code == got_slow.status_code == 200
            assert b'filename=\\"a.png\\"' in got_fast.content
            return
        assert (got_fast.status_code, got_fast.content, list(got_fast.headers.multi_items())) == (
            got_slow.status_code,
            got_slow.content,
            list(got_slow.headers.multi_items()),
        )
        assert got_fast.json() == got_slow.json()
        assert got_fast.text == got_slow.text
        assert got_fast.is_success and got_fast.headers["x-upstream"] == "1"
        assert str(got_fast.request.url) == str(got_slow.request.url)

    asyncio.run(run())


def test_forwarded_scenario_header_reaches_the_emulator() -> None:
    async def run() -> None:
        seen: list[dict[str, Any]] = []
        fast, _ = clients(seen)
        async with fast:
            await fast.post("/v3/tasks", json={}, headers={"x-vidmock-scenario": "overridden-by-forwarding"})
        assert (b"x-vidmock-scenario", b"slow-render") in seen[0]["headers"]
        assert [k for k, _ in seen[0]["headers"]].count(b"x-vidmock-scenario") == 1

    asyncio.run(run())


def test_error_status_raises_like_httpx_with_the_url() -> None:
    async def run() -> None:
        fast, _ = clients([])
        async with fast:
            response = await fast.get("/v3/tasks/x", params={"status": "503"})
        assert response.status_code == 503 and not response.is_success
        with pytest.raises(httpx.HTTPStatusError) as err:
            response.raise_for_status()
        assert "503" in str(err.value)
        assert str(err.value.request.url) == BASE + "/v3/tasks/x?status=503"

    asyncio.run(run())


@pytest.mark.parametrize("path,error", [("/reset", httpx.RemoteProtocolError), ("/hang", httpx.ReadTimeout)])
def test_socket_faults_surface_as_httpx_errors(path: str, error: type[Exception]) -> None:
    async def run() -> None:
        fast, slow = clients([])
        async with fast, slow:
            for client in (fast, slow):
                with pytest.raises(error) as caught:
                    await client.post(path, json={"a": 1})
                assert caught.value.request.url.path == "/providers/echo" + path

    asyncio.run(run())


def test_nan_is_refused_before_the_wire_as_httpx_does() -> None:
    async def run() -> None:
        fast, slow = clients([])
        async with fast, slow:
            for client in (fast, slow):
                with pytest.raises(ValueError):
                    await client.post("/v3/tasks", json={"x": float("nan")})

    asyncio.run(run())


def test_plain_calls_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the comparison above against passing vacuously: the plain calls never reach httpx's
    pipeline (only form data, files and paths httpx must escape do)."""

    async def refuse(*args: Any, **kwargs: Any) -> httpx.Response:
        raise AssertionError("took httpx's pipeline")

    monkeypatch.setattr(httpx.AsyncClient, "request", refuse)

    async def run() -> None:
        fast, _ = clients([])
        async with fast:
            for method, url, kwargs in CALLS:
                plain = "files" not in kwargs and url != "/v3/tasks/a b"
                if plain:
                    assert (await fast.request(method, url, **kwargs)).status_code == 200
                else:
                    with pytest.raises(AssertionError, match="pipeline"):
                        await fast.request(method, url, **kwargs)

    asyncio.run(run())


def delaying_app(clock: Clock) -> Starlette:
    async def slow(request: Request) -> Response:
        await clock.wait(float(request.query_params["s"]), wait_meter(request.scope))
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/providers/echo/slow", slow, methods=["GET", "POST"])])


@pytest.mark.parametrize("seconds,times_out", [(29.9, False), (30, True), (45, True)])
def test_virtual_clock_delay_counts_against_the_timeout(seconds: float, times_out: bool) -> None:
    """The virtual clock cannot move inside a request, so a scripted delay is added up and compared
    with the caller's timeout in clock seconds; the clock itself does not move."""

    async def run() -> None:
        clock = Clock.virtual()
        app = delaying_app(clock)
        before = clock.now()
        fast = InProcessClient(app, base_url=BASE, clock_timeout=30)
        slow = UpstreamClient(transport=InProcessTransport(app, clock_timeout=30), base_url=BASE)
        async with fast, slow:
            for client, kwargs in ((fast, {}), (slow, {"files": {"f": b"x"}})):  # both paths
                if times_out:
                    with pytest.raises(httpx.ReadTimeout, match=f"aborted due to timeout \\(a scripted {seconds:g} s"):
                        await client.post("/slow", params={"s": seconds}, **kwargs)
                else:
                    assert (await client.post("/slow", params={"s": seconds}, **kwargs)).json() == {"ok": True}
        assert clock.now() == before

    asyncio.run(run())


def test_real_clock_delay_is_cut_at_the_wall_timeout() -> None:
    async def run() -> None:
        clock = Clock.real()
        fast = InProcessClient(delaying_app(clock), base_url=BASE, wall_timeouts=True, timeout=0.05)
        async with fast:
            assert (await fast.get("/slow", params={"s": 0})).status_code == 200
            with pytest.raises(httpx.ReadTimeout, match="aborted due to timeout"):
                await fast.get("/slow", params={"s": 5})

    asyncio.run(run())


def test_forwarded_headers_travel_with_one_submit_only() -> None:
    """The scenario and seed go with the submit they were chosen for (``forwarding``), explicitly:
    the client shared by every other call never carries them, on either transport."""

    async def run() -> None:
        seen: list[dict[str, str]] = []
        echoed: list[dict[str, Any]] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(dict(request.headers))
            return httpx.Response(200, json={})

        for shared in (
            UpstreamClient(transport=httpx.MockTransport(answer), base_url=BASE),
            InProcessClient(echo_app(echoed), base_url=BASE),
        ):
            seen.clear()
            one = forwarding(shared, {"x-vidmock-scenario": "slow-render", "x-vidmock-seed": "7"})
            assert one is not shared
            await one.post("/v3/tasks", json={})
            await shared.post("/v3/tasks", json={})
            if isinstance(shared, InProcessClient):  # the echo app kept the headers it saw
                first, second = ({k.decode(): v.decode() for k, v in e["headers"]} for e in echoed)
            else:
                first, second = seen
            assert (first["x-vidmock-scenario"], first["x-vidmock-seed"]) == ("slow-render", "7")
            assert "x-vidmock-scenario" not in second
            assert forwarding(shared, {}) is shared
            await shared.aclose()

    asyncio.run(run())
