"""Record and replay (issue 16 item 3): vidmock record proxies a provider's API and writes a scenario
that replays the recorded job offline with the same statuses, timings and errors.

The "real provider" is a second vidmock (its Seedance emulator, scripted with a timeline, two poll
faults and a moderation failure) over loopback; a vidmock gateway is the client, sending its
Seedance calls through the recorder. Both run virtual clocks moved in lockstep, and the recorder
reads the provider's clock. The written scenario then drives a third, fresh gateway on its own.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml

from vidmock.config import ServerConfig, build_config
from vidmock.record import Recorder, build_scenarios, write_scenarios
from vidmock.server import build_app
from vidmock.testing.server import ServerThread

SEEDANCE = {"model": "bytedance/seedance-2-0", "prompt": "a fox", "seconds": 5}
UPSTREAM = "/providers/bytedance"
ARK_BODY = {
    "model": "dreamina-seedance-2-0-260128",
    "content": [{"type": "text", "text": "a fox"}],
    "duration": 5,
    "ratio": "16:9",
    "generate_audio": True,
}
TRUTH = {
    "name": "provider-truth",
    "description": "What the real provider does in this test.",
    "reproduces": "A queue, a running phase with a rate limit and a server error, then output moderation.",
    "provider": "bytedance",
    "timeline": [
        {"at": 0, "status": "queued"},
        {"at": 20, "status": "in_progress"},
        {"at": 95, "status": "failed"},
    ],
    "outcome": {"error": {"code": "OutputVideoSensitiveContentDetected", "message": "The output may be sensitive."}},
    "faults": {"poll": ["pass", "pass", {"status": 429, "retry_after": 30}, "pass", {"status": 500}]},
}


class Thread:
    """An ASGI app on a free loopback port in a background thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])), daemon=True)

    def __enter__(self) -> Thread:
        self.thread.start()
        while not self.server.started:
            threading.Event().wait(0.01)  # start-up only
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


def history(job: dict[str, Any]) -> list[tuple[float, str]]:
    created = job["created_at"]
    return [(round(at - created, 3), status) for at, status, _ in job["history"]]


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[ServerThread]:
    truth = tmp_path / "truth"
    truth.mkdir()
    (truth / "provider-truth.yaml").write_text(yaml.safe_dump(TRUTH))
    config = build_config(
        {"clock": "virtual", "scenarios_dir": str(truth), "provider_scenarios": {"bytedance": "provider-truth"}},
        {},
        {},
    )
    server = ServerThread(config).start()
    try:
        yield server
    finally:
        server.stop()


def test_record_then_replay_gives_the_same_job(provider: ServerThread, tmp_path: Path) -> None:
    # 1. Record: the gateway's Seedance calls go through the recorder to the "real" provider.
    http = httpx.AsyncClient(timeout=30)
    recorder = Recorder(http, provider.url + UPSTREAM, now=provider.runtime.clock.now)
    with Thread(recorder) as proxy:
        gateway = ServerThread(ServerConfig(clock="virtual", provider_urls={"bytedance": proxy.url})).start()
        try:
            with httpx.Client(base_url=gateway.url, headers={"Authorization": "Bearer vm-dev-key"}) as c:
                vid = c.post("/v1/videos", json=SEEDANCE).json()["id"]
                for _ in range(60):  # the two clocks in lockstep, as one world would be
                    provider.run(provider.runtime.advance(5))
                    gateway.run(gateway.runtime.advance(5))
                    if c.get(f"/v1/videos/{vid}").json()["status"] == "failed":
                        break
                original = c.get(f"/_vidmock/jobs/{vid}").json()
                video = c.get(f"/v1/videos/{vid}").json()
        finally:
            gateway.stop()
    assert video["status"] == "failed"
    assert [e.status for e in recorder.exchanges].count(429) == 1 and 500 in [e.status for e in recorder.exchanges]

    out = tmp_path / "scenarios" / "my-case.yaml"
    docs = asyncio.run(build_scenarios(recorder.exchanges, "bytedance", provider.url + UPSTREAM))
    assert write_scenarios(docs, "bytedance", out) == [out]
    written = yaml.safe_load(out.read_text())
    # As observed: the provider started at 20 s, but the 429 at 15 s made the next poll come at 25 s.
    assert written["timeline"] == [
        {"at": 0, "status": "queued"},
        {"at": 25.0, "status": "in_progress", "progress": 50},
        {"at": 95.0, "status": "failed"},
    ]
    assert written["outcome"]["error"]["code"] == "OutputVideoSensitiveContentDetected"
    assert [f if f == "pass" else f["status"] for f in written["faults"]["poll"]] == ["pass", "pass", 429, "pass", 500]
    text = out.read_text()
    assert "Bearer" not in text and "authorization" not in text.lower()  # secrets are never written

    # 2. Replay offline: a fresh gateway with only the written file, on its own virtual clock.
    replay = build_app(ServerConfig(clock="virtual", scenarios_dir=str(out.parent)))
    runtime = replay.state.vidmock

    async def run_replay() -> tuple[dict[str, Any], dict[str, Any]]:
        transport = httpx.ASGITransport(app=replay)
        auth = {"Authorization": "Bearer vm-dev-key", "x-vidmock-scenario": "my-case"}
        async with httpx.AsyncClient(transport=transport, base_url="http://replay", headers=auth) as c:
            rid = (await c.post("/v1/videos", json=SEEDANCE)).json()["id"]
            for _ in range(60):
                await runtime.advance(5)
                if (await c.get(f"/v1/videos/{rid}")).json()["status"] == "failed":
                    break
            job = (await c.get(f"/_vidmock/jobs/{rid}")).json()
            again = (await c.get(f"/v1/videos/{rid}")).json()
        await runtime.aclose()
        return job, again

    job, again = asyncio.run(run_replay())
    # Same statuses at the same virtual times, the same poll errors on the way, the same error.
    assert history(job) == history(original)
    assert job["poll_attempts"] == original["poll_attempts"]
    assert again["error"] == video["error"]
    assert again["error"]["code"] == "OutputVideoSensitiveContentDetected"


def test_record_command_rejects_bad_options(tmp_path: Path) -> None:
    src = str(Path(__file__).parents[1] / "src")
    run = subprocess.run(
        [sys.executable, "-m", "vidmock", "record", "--provider", "nope", "--upstream", "ftp://x", "--out", "a.yaml"],
        env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    assert "--provider: expected one of alibaba," in run.stderr
    assert "--upstream: expected an http:// or https:// URL, got 'ftp://x'" in run.stderr
    assert "Traceback" not in run.stderr


def test_record_command_writes_the_scenario_when_stopped(provider: ServerThread, tmp_path: Path) -> None:
    """`vidmock record` as a process: a job through it, SIGTERM, and the file is there and valid."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "cases" / "cli-case.yaml"
    src = str(Path(__file__).parents[1] / "src")
    args = ["record", "--provider", "bytedance", "--upstream", provider.url + UPSTREAM, "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "vidmock", *args, "--port", str(port)],
        env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        assert f"forwarding http://127.0.0.1:{port}/ to {provider.url}" in proc.stderr.readline()
        ark = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer ark-secret-key"})
        for _ in range(200):
            try:
                task = ark.post("/api/v3/contents/generations/tasks", json=ARK_BODY)
                break
            except httpx.TransportError:
                threading.Event().wait(0.05)  # start-up only
        assert task.status_code == 200, task.text
        tid = task.json()["id"]
        for _ in range(3):
            provider.run(provider.runtime.advance(40))
            ark.get(f"/api/v3/contents/generations/tasks/{tid}")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"vidmock record: wrote {out}" in err
    written = yaml.safe_load(out.read_text())
    assert written["name"] == "cli-case" and written["provider"] == "bytedance"
    assert written["timeline"][0] == {"at": 0, "status": "queued"}
    assert "ark-secret-key" not in out.read_text()
