"""Bounded server resources (issue 12 item 3): header size and count, header and body timeouts,
idle connections, the open-file limit, and the journal bounded in entries and bytes.

Network limits are wall time by nature; these tests only ever wait for something to *happen* (a
socket closed) within a generous deadline, never assert how long it took.
"""

from __future__ import annotations

import resource
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import AUTH
from liveserver import LiveServer

from vidmock.cli import main
from vidmock.config import ConfigError, build_config
from vidmock.journal import MAX_HEADER_BYTES, RAW_CAP, Entry, Journal, Raw
from vidmock.serving import raise_fd_limit, uvicorn_options

KEY = {"Authorization": "Bearer vm-dev-key"}
DEADLINE = 20.0  # wall seconds we are willing to wait for a timeout of 1 s to act


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("limits")
    with LiveServer(
        tmp,
        "--clock",
        "virtual",
        "--max-header-bytes",
        "4096",
        "--max-headers",
        "40",
        "--header-timeout",
        "1",
        "--body-timeout",
        "1",
    ) as live:
        yield live


def connect(server: LiveServer) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", server.port), timeout=DEADLINE)
    return s


def read_all(s: socket.socket) -> bytes:
    """Everything until the server closes the connection (or DEADLINE passes: a test failure)."""
    chunks = []
    s.settimeout(DEADLINE)
    while True:
        data = s.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def served(server: LiveServer) -> bool:
    return httpx.get(f"{server.base}/_vidmock/health", timeout=5).status_code == 200


def test_too_many_header_bytes_is_a_400_and_a_closed_connection(server: LiveServer) -> None:
    with connect(server) as s:
        s.sendall(b"GET /_vidmock/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n")
        answer = read_all(s)
    assert answer.startswith(b"HTTP/1.1 400 ") and b"Invalid HTTP request received." in answer
    assert served(server)


def test_a_long_request_line_is_refused_too(server: LiveServer) -> None:
    with connect(server) as s:
        s.sendall(b"GET /v1/videos/" + b"a" * 8000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_all(s).startswith(b"HTTP/1.1 400 ")


def test_too_many_header_fields_is_a_400(server: LiveServer) -> None:
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(60))
    with connect(server) as s:
        s.sendall(b"GET /_vidmock/health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        assert read_all(s).startswith(b"HTTP/1.1 400 ")
    within = b"".join(b"X-H%d: v\r\n" % i for i in range(30))
    with connect(server) as s:
        s.sendall(b"GET /_vidmock/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + within + b"\r\n")
        assert read_all(s).startswith(b"HTTP/1.1 200 ")


def test_a_client_that_sends_nothing_is_closed_and_others_are_served(server: LiveServer) -> None:
    with connect(server) as idle:
        assert served(server)  # while the idle one waits
        assert read_all(idle) == b""  # closed by the header timeout, without an answer


def test_trickled_headers_are_cut_off(server: LiveServer) -> None:
    with connect(server) as slow:
        slow.sendall(b"GET /_vidmock/health HTTP/1.1\r\n")
        closed = False
        deadline = time.monotonic() + DEADLINE
        slow.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                slow.sendall(b"X: y\r\n")  # a header line every 200 ms, never the blank line
                if slow.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
        assert closed
        assert served(server)


def test_a_stalled_body_is_cut_off_and_others_are_served(server: LiveServer) -> None:
    with connect(server) as slow:
        slow.sendall(
            b"POST /v1/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer vm-dev-key\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"prompt":'
        )
        assert served(server)
        answer = read_all(slow)
    assert b"500" not in answer.split(b"\r\n", 1)[0]
    r = httpx.post(f"{server.base}/v1/videos", json={"prompt": "x", "seconds": 4}, headers=KEY)
    assert r.status_code == 200


def test_limits_are_options_with_defaults_and_checked() -> None:
    config = build_config({}, {}, {})
    assert (config.max_header_bytes, config.max_headers, config.header_timeout, config.body_timeout) == (
        16384,
        100,
        10.0,
        30.0,
    )
    assert (config.keep_alive_timeout, config.max_connections) == (5, 4096)
    assert build_config({"max-headers": 10}, {"VIDMOCK_BODY_TIMEOUT": "2.5"}, {}).body_timeout == 2.5
    options = uvicorn_options(config)
    assert options["limit_concurrency"] == 4096 and options["timeout_keep_alive"] == 5
    for bad in ({"max_headers": 0}, {"header_timeout": -1}, {"journal_bytes": "x"}):
        with pytest.raises(ConfigError):
            build_config(bad, {}, {})
    assert main(["serve", "--max-connections", "0"]) == 2


def test_the_open_file_limit_is_raised_to_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
        new_soft, new_hard = raise_fd_limit()
        assert new_hard == hard
        assert new_soft == hard or (hard == resource.RLIM_INFINITY and new_soft > 256)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# -- the journal ---------------------------------------------------------------------------------------
def entry(headers: list[tuple[bytes, bytes]], body: bytes) -> Entry:
    e = Entry("openai", 0.0, "POST", "/v1/videos" + "x" * 10000, b"a=" + b"b" * 10000, headers, None)
    e.body = Raw(body[:RAW_CAP], len(body), "application/json")
    e.response = Raw(b"{}", 2, "application/json")
    return e


def test_the_journal_is_bounded_in_entries_and_bytes() -> None:
    journal = Journal(limit=50, max_bytes=200_000)
    huge_headers = [(b"x-h%d" % i, b"v" * 1000) for i in range(100)]  # 100 KB of headers
    for _ in range(1000):
        journal.record(entry(huge_headers, b"{" + b" " * 1_000_000))
        assert len(journal.entries) <= 50 and journal.bytes <= 200_000
    one = journal.entries[-1]
    assert one.size <= MAX_HEADER_BYTES + 2 * RAW_CAP + 2 * 2048 + 512
    assert "x-vidmock-journal" in one.headers and len(one.path) == 2048
    assert journal.dropped == 1000 - len(journal.entries)
    assert journal.bytes == sum(e.size for e in journal.entries)
    journal.clear()
    assert journal.bytes == 0


@pytest.mark.anyio
async def test_hostile_requests_leave_the_journal_flat(make_app: Callable[..., Any]) -> None:
    """A long run of huge requests to the emulators: the journal's own accounting stays under its
    byte bound, and the amount it holds stops growing once it is full."""
    from conftest import test_config

    app = make_app(test_config(journal_entries=100, journal_bytes=500_000))
    runtime = app.state.vidmock
    sizes = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as client:
        big = {f"x-h{i}": "v" * 500 for i in range(40)}
        for _ in range(300):
            await client.post(
                "/providers/openai/v1/videos",
                json={"prompt": "p" * 200_000, "model": "sora-2", "seconds": "4"},
                headers={"Authorization": "Bearer sk-x", **big},
            )
            r = await client.post("/v1/videos", json={"prompt": "p" * 100_000, "seconds": 4}, headers=AUTH)
            assert r.status_code == 200
            sizes.append(runtime.journal.bytes)
        stats = (await client.get("/_vidmock/health")).json()["journal"]
    assert max(sizes) <= 500_000
    assert sizes[-1] <= max(sizes[:150])  # flat after it filled up, not growing with the run
    assert stats["entries"] <= 100 and stats["dropped"] > 0
