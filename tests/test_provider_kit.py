"""The emulator kit's conformance suite, run over EVERY registered provider (``registry.PLUGINS``): a new
provider is covered as soon as it is in the registry.

What every emulator must do the same way (providers/kit): an unknown route or a wrong method answered in
the provider's own envelope, never a slash redirect, a bad body a 4xx in the envelope (malformed JSON,
an escaped lone surrogate, the wrong content type), a declared body over the limit refused before it is
read and a streamed one cut off at the limit (413), every call journaled, an unknown scenario name a
400, and no 5xx for anything a client sends (a hypothesis test per emulator). One test runs over a real
loopback socket.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from conftest import make_ctx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidmock.config import ServerConfig
from vidmock.media import MediaCache
from vidmock.providers.faults import InProcessTransport, asgi_call
from vidmock.providers.kit import Emulator, EmulatorApp, EmulatorLimits
from vidmock.providers.kit.bodies import SLICE
from vidmock.providers.registry import PLUGINS
from vidmock.testing.server import ServerThread

pytestmark = pytest.mark.anyio

PROVIDERS = sorted(PLUGINS)
LIMIT = 4096  # the body limit the suite gives every emulator (EmulatorContext.limits)


def build(media: MediaCache, name: str, **config: Any) -> EmulatorApp:
    app = PLUGINS[name].build_emulator(make_ctx(media, max_body_bytes=LIMIT, **config))
    assert isinstance(app, EmulatorApp), f"{name} does not stand on the emulator kit"
    return app


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=InProcessTransport(app), base_url="http://emulator.test", timeout=30)


def shape(value: Any) -> Any:
    """The keys of an error body, one level into objects: what makes an envelope recognisable."""
    if isinstance(value, dict):
        return {k: sorted(v) if isinstance(v, dict) else None for k, v in value.items()}
    return type(value).__name__


def envelope_of(emulator: Emulator, status: int = 400) -> Any:
    return shape(emulator.error(status, None, "x").body("req-id"))


def assert_envelope(emulator: Emulator, response: httpx.Response, statuses: tuple[int, ...] = ()) -> None:
    """A 4xx (one of ``statuses`` when given) whose JSON body has the provider's error envelope. Two
    APIs answer their own errors on HTTP 200 (Avalanche's ``{code, msg}``, MiniMax v1's ``base_resp``:
    gateway.md §6 reads them from OK answers); for them a 200 in the error envelope is that 4xx."""
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.text
    if statuses:
        assert response.status_code in statuses, (response.status_code, response.text)
    got = shape(response.json())
    want = envelope_of(emulator)
    # Optional members (Runway's validation ``issues``, Google's retry ``details``) may come and go;
    # the envelope's own keys must all be there.
    assert set(want) <= set(got), (got, want)
    if response.status_code == 200:  # an error on an OK status line: its code says so
        body = response.json()
        assert body.get("code", 0) != 200 and (body.get("base_resp") or {}).get("status_code", 1) != 0, body
    for key, inner in want.items():
        if isinstance(inner, list) and isinstance(got[key], list):
            assert set(inner) <= set(got[key]) | {"details"}, (key, got[key], inner)


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- routes ---------------------------------------------------------------------------------------------


async def test_unknown_route_is_answered_in_the_envelope(media: MediaCache, provider: str) -> None:
    app = build(media, provider)
    async with client(app) as c:
        for method in ("GET", "POST", "DELETE"):
            r = await c.request(method, "/no/such/route/at-all", headers=app.emulator.example_headers())
            assert_envelope(app.emulator, r, (404, 405))


async def test_wrong_method_is_answered_in_the_envelope(media: MediaCache, provider: str) -> None:
    app = build(media, provider)
    async with client(app) as c:
        r = await c.request("PATCH", app.emulator.submit_path, headers=app.emulator.example_headers())
        assert_envelope(app.emulator, r, (404, 405))


@pytest.mark.parametrize("suffix", ["/", "%2F", "%2f"])
async def test_a_trailing_slash_is_never_redirected(media: MediaCache, provider: str, suffix: str) -> None:
    app = build(media, provider)
    headers = app.emulator.example_headers()
    async with client(app) as c:
        for method, path in (("POST", app.emulator.submit_path), ("GET", "/v1/videos/some-id")):
            r = await c.request(method, path + suffix, headers=headers, json={"prompt": "a fox"})
            assert not 300 <= r.status_code < 400, (path + suffix, r.status_code, r.headers)
            assert r.status_code < 500, r.text


# -- bodies ---------------------------------------------------------------------------------------------

BAD_BODIES = [
    pytest.param(b'{"prompt": "a fox", ', "application/json", id="truncated-json"),
    pytest.param(b'{"prompt": "\\ud800 a fox"}', "application/json", id="lone-surrogate"),
    pytest.param(b'{"prompt": "\\udc00"}', "application/json", id="lone-low-surrogate"),
    pytest.param(b'{"\\ud83d": 1}', "application/json", id="lone-surrogate-key"),
    pytest.param(b"\xff\xfe{}", "application/json", id="not-utf8"),
    pytest.param(b"[" * 5000 + b"]" * 5000, "application/json", id="deep-nesting"),
    pytest.param(b'{"seed": 1' + b"0" * 5000 + b"}", "application/json", id="5000-digit-number"),
    pytest.param(b"<video><prompt>a fox</prompt></video>", "application/xml", id="wrong-content-type"),
    pytest.param(b"prompt=a+fox", "application/x-www-form-urlencoded", id="form-encoded"),
]


@pytest.mark.parametrize("body,content_type", BAD_BODIES)
async def test_a_bad_body_is_a_4xx_in_the_envelope(
    media: MediaCache, provider: str, body: bytes, content_type: str
) -> None:
    app = build(media, provider)
    async with client(app) as c:
        headers = {**app.emulator.example_headers(), "content-type": content_type}
        r = await c.post(app.emulator.submit_path, content=body, headers=headers)
        assert_envelope(app.emulator, r)


async def test_a_declared_body_over_the_limit_is_refused_without_reading_it(media: MediaCache, provider: str) -> None:
    app = build(media, provider)
    reads: list[str] = []
    path = app.emulator.submit_path
    headers = {**app.emulator.example_headers(), "content-type": "application/json"}
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("emulator.test", 80),
        "client": ("127.0.0.1", 1),
        "headers": [(b"content-length", str(LIMIT + 1).encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }

    async def body() -> AsyncIterator[bytes]:
        reads.append("read")  # the emulator asked for the body: it must not
        yield b"{}"

    status, _, data = await asgi_call(app, scope, body())
    assert reads == []
    assert_envelope(app.emulator, httpx.Response(status, content=data), (413,))


async def test_a_streamed_body_is_cut_off_at_the_limit(media: MediaCache, provider: str) -> None:
    app = build(media, provider)
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"prompt": "'
        for _ in range(64):  # 64 KiB without a Content-Length; the limit is 4 KiB
            sent.append(1024)
            yield b"x" * 1024
        yield b'"}'

    async with client(app) as c:
        headers = {**app.emulator.example_headers(), "content-type": "application/json"}
        r = await c.post(app.emulator.submit_path, content=chunks(), headers=headers)
    assert_envelope(app.emulator, r, (413,))
    assert sum(sent) <= LIMIT + 2048  # read no further than the chunk that crossed the limit


def many_parts(count: int) -> tuple[bytes, str]:
    """A multipart/form-data body of ``count`` tiny fields (10,000 make half a megabyte)."""
    boundary = "vidmockboundary"
    part = f'--{boundary}\r\nContent-Disposition: form-data; name="f"\r\n\r\n{"x" * 8}\r\n'.encode()
    return part * count + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def test_a_multipart_body_of_many_parts_never_holds_the_event_loop(media: MediaCache) -> None:
    """Half a megabyte of 10,000 parts, sent in one piece, is parsed a slice at a time: a request that
    arrives while it is being parsed is answered first (ordering on the event loop, not wall time)."""
    ctx = make_ctx(media)
    ctx = replace(ctx, limits=EmulatorLimits(max_multipart_parts=20_000))
    app = PLUGINS["openai"].build_emulator(ctx)
    body, content_type = many_parts(10_000)
    assert len(body) > 500_000
    done: list[str] = []
    async with client(app) as c:
        auth = {"Authorization": "Bearer k"}

        async def upload() -> None:
            r = await c.post("/v1/videos", content=body, headers={**auth, "content-type": content_type})
            assert r.status_code == 400 and r.json()["error"]["param"] == "f"  # parsed to the end: f is unknown
            done.append("upload")

        async def poll() -> None:
            assert (await c.get("/v1/videos", headers=auth)).status_code == 200
            done.append("poll")

        async def ticker() -> int:  # counts the turns the event loop gives others during the upload
            ticks = 0
            while "upload" not in done:
                await asyncio.sleep(0)  # a bare yield: no clock is involved
                ticks += 1
            return ticks

        _, _, ticks = await asyncio.gather(upload(), poll(), ticker())  # the upload starts first
    assert done == ["poll", "upload"]
    # One parse in a single call would leave the loop to others a couple of times; sliced, it yields
    # once per slice of the half megabyte.
    assert ticks >= len(body) // SLICE


async def test_multipart_part_count_and_size_are_bounded(media: MediaCache) -> None:
    app = build(media, "openai")
    async with client(app) as c:
        body, content_type = many_parts(10_000)  # over the default 64 parts: refused early
        headers = {"Authorization": "Bearer k", "content-type": content_type}
        r = await c.post("/v1/videos", content=body, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (413, "request_too_large")
    ctx = replace(make_ctx(media), limits=EmulatorLimits(max_part_bytes=100))
    async with client(PLUGINS["openai"].build_emulator(ctx)) as c:
        big = b'--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\n' + b"x" * 200 + b"\r\n--b--\r\n"
        r = await c.post(
            "/v1/videos", content=big, headers={**headers, "content-type": "multipart/form-data; boundary=b"}
        )
        assert r.status_code == 413


# -- journal and scenarios ----------------------------------------------------------------------------


async def test_every_call_is_journaled(media: MediaCache, provider: str) -> None:
    ctx = make_ctx(media, max_body_bytes=LIMIT)
    app = PLUGINS[provider].build_emulator(ctx)
    assert isinstance(app, EmulatorApp)
    async with client(app) as c:
        await c.post(app.emulator.submit_path, json={"prompt": "a fox"}, headers=app.emulator.example_headers())
        await c.get("/no/such/route")
    entries = ctx.journal.for_service(app.emulator.service)
    assert [(e.method, e.path) for e in entries][-2:] == [
        ("POST", app.emulator.submit_path.replace("%2F", "/")),
        ("GET", "/no/such/route"),
    ]
    assert all(e.status is not None for e in entries)


async def test_an_unknown_scenario_is_a_400_in_the_envelope(media: MediaCache, provider: str) -> None:
    app = build(media, provider)
    async with client(app) as c:
        headers = {**app.emulator.example_headers(), "X-Vidmock-Scenario": "no-such-scenario"}
        r = await c.post(app.emulator.submit_path, json={"prompt": "a fox"}, headers=headers)
    assert_envelope(app.emulator, r)
    assert "no-such-scenario" in r.text


# -- nothing a client sends is a 5xx --------------------------------------------------------------------

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["", "0", "-1", "1e309", "a" * 300, "\u202e", "data:image/png;base64,!!", "http://☃..com/"]),
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
FIELDS = ["prompt", "model", "content", "seconds", "duration", "size", "image", "instances", "parameters", "input"]
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, json_values)),
    st.fixed_dictionaries({"model": st.text(max_size=40), "prompt": json_values, "content": json_values}),
)
header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)
headers_st = st.dictionaries(
    st.sampled_from(
        ["x-vidmock-seed", "x-vidmock-scenario", "range", "accept", "x-runway-version", "x-dashscope-async", "if-range"]
    ),
    header_values,
    max_size=3,
)
queries = st.dictionaries(st.sampled_from(["limit", "page_num", "pageSize", "offset", "key", "logs"]), header_values)


@pytest.mark.parametrize("name", PROVIDERS)
def test_hostile_input_is_never_a_5xx(media: MediaCache, name: str) -> None:
    app = build(media, name)
    emulator = app.emulator

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=bodies, headers=headers_st, query=queries, raw=st.booleans())
    def run(body: Any, headers: dict[str, str], query: dict[str, str], raw: bool) -> None:
        async def go() -> None:
            async with client(app) as c:
                # Header values as bytes: latin-1 goes on the wire as it is (httpx would refuse it as text).
                sent: dict[str, Any] = {
                    **emulator.example_headers(),
                    **{k: v.encode("latin-1") for k, v in headers.items()},
                }
                if raw:  # the body as bytes with whatever the encoder makes of odd characters
                    content = repr(body).encode("utf-8", "surrogatepass")
                    r = await c.post(emulator.submit_path, content=content, headers=sent, params=query)
                else:
                    r = await c.post(emulator.submit_path, json=body, headers=sent, params=query)
                assert r.status_code < 500, (body, headers, query, r.status_code, r.text)
                if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
                    assert_envelope(emulator, r)
                listing = await c.get(emulator.submit_path, headers=sent, params=query)
                assert listing.status_code < 500, (query, listing.text)

        asyncio.run(go())

    run()


# -- over a real socket -----------------------------------------------------------------------------------


def raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_every_provider_over_a_loopback_socket(media: MediaCache) -> None:
    """The full server on 127.0.0.1: each mounted emulator answers an unknown route, an encoded trailing
    slash and a declared oversized body in its envelope, and the 413 comes before any body byte is sent."""
    server = ServerThread(ServerConfig(clock="virtual", max_body_bytes=LIMIT), media=media).start()
    try:
        port = int(server.config.port)
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for name in PROVIDERS:
                emulator = server.runtime.emulators[name].emulator
                base = f"/providers/{name}"
                headers = emulator.example_headers()
                r = http.get(base + "/no/such/route", headers=headers)
                assert_envelope(emulator, r, (404, 405))
                r = http.post(base + emulator.submit_path + "%2F", headers=headers, json={"prompt": "a fox"})
                assert not 300 <= r.status_code < 400 and r.status_code < 500, (name, r.status_code)
                # Headers only: the body is never sent, so an emulator that waited for it would hang here.
                lines = [f"POST {base}{emulator.submit_path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
                lines += [f"{k}: {v}" for k, v in headers.items()]
                lines += ["Content-Type: application/json", f"Content-Length: {LIMIT * 100}", "", ""]
                head = raw_exchange(port, "\r\n".join(lines).encode())
                assert head.split(b" ", 2)[1] == b"413", (name, head[:200])
    finally:
        server.stop()


# -- the registry is data ---------------------------------------------------------------------------------


async def test_build_app_takes_the_providers_it_is_given(make_app: Any) -> None:
    from vidmock.providers import registry
    from vidmock.providers.luma import LumaOptions, make_plugin

    with pytest.raises(TypeError):
        registry.PLUGINS["luma"] = PLUGINS["luma"]  # type: ignore[index]  # read-only: pass a mapping instead
    only = {"luma": make_plugin(LumaOptions(api_keys=("only-this-key",)))}
    app = make_app(plugins=only)
    assert sorted(app.state.vidmock.emulators) == ["luma"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as c:
        ping = "/providers/luma/dream-machine/v1/ping"
        assert (await c.get(ping, headers={"Authorization": "Bearer other"})).status_code == 401
        assert (await c.get(ping, headers={"Authorization": "Bearer only-this-key"})).status_code == 200
        assert (await c.get("/providers/openai/v1/videos")).status_code == 404  # not given: not mounted
    variant = registry.replacing(make_plugin(LumaOptions(api_keys=("k",))))
    assert sorted(variant) == sorted(PLUGINS) and variant["luma"] is not PLUGINS["luma"]
