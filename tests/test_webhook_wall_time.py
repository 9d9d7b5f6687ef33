"""Webhook deliveries a receiver in another process accepts, in every clock mode (issue 16 item 1).

The signature timestamp is the real send time (``Clock.wall_time``), which is what a receiver judges
freshness against (webhooks.md §3); the times inside the payload stay on the emulated clock. Every
in-process test injects a fixed wall time, so none reads the machine's clock; the standardwebhooks
library and the ``vidmock listen`` process read their own wall clock, as a real receiver does, so
those tests sign with the default (real) wall time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from conftest import AUTH
from conftest import test_config as config_for_tests

from vidmock.clock import Clock
from vidmock.listen import Receiver
from vidmock.webhooks import verify

pytestmark = pytest.mark.anyio
HOOK = "https://receiver.example.test/hooks/video"
SECRETS = {
    "llmgateway": "whsec_my-secret",
    "standard": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "stripe": "whsec_stripe-secret",
    "github": "github-secret",
}
WALL = 1_900_000_000.0  # the receiver's "now": years away from every emulated clock below
EMULATED_START = 1_500_000_000.0
VEO_FAST = "google-vertex/veo-3.1-fast-generate-preview"


def clock_for(mode: str, epoch: Callable[[], float]) -> Clock:
    if mode == "virtual":
        return Clock.virtual(EMULATED_START, epoch=epoch)
    if mode == "scaled":
        # Ten clock seconds a second: fast enough (the job takes about one), and slow enough that every
        # clock-time bound of the gateway (3600 s job timeout, 30 s webhook attempt, upstream timeout)
        # stays seconds of wall time, so a loaded machine cannot turn a pause into a timeout. At an hour
        # a second they were milliseconds, and under load the job failed or its attempt timed out.
        return Clock.scaled(10.0, EMULATED_START, epoch=epoch)
    return Clock.real(EMULATED_START, epoch=epoch)  # real speed, started in the past (--start-time)


@contextlib.asynccontextmanager
async def driven(clock: Clock) -> AsyncIterator[None]:
    """Real and scaled clocks run their timers from ``drive`` (the server's lifespan does this)."""
    task = asyncio.create_task(clock.drive())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def deliver_one(make_app: Callable[..., Any], mode: str, scheme: str, epoch: Callable[[], float]) -> Any:
    """Create a job with a callback, let it finish on ``mode``'s clock, and return the one delivery."""
    config = config_for_tests(
        webhook_scheme=scheme, clock=mode, poll_interval=0.5, latency={"veo-3.1-fast-generate-001": 1.0}
    )
    clock = clock_for(mode, epoch)
    app = make_app(config, clock=clock)
    runtime = app.state.vidmock
    body = {"model": VEO_FAST, "prompt": "fox", "seconds": 4, "callback_url": HOOK, "callback_secret": SECRETS[scheme]}
    with respx.mock() as router:
        route = router.post(HOOK).respond(204)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client, driven(clock):
            r = await client.post("/v1/videos", json=body, headers=AUTH)
            assert r.status_code == 200, r.text
            vid = r.json()["id"]
            for _ in range(1500):  # bounded: the job needs a few s of emulated time (a few ms when scaled)
                if mode == "virtual":
                    await runtime.advance(1.0)
                else:
                    await asyncio.sleep(0.01)
                status = (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()["status"]
                if status == "completed":
                    break
            assert status == "completed"
            if not route.called:
                await runtime.webhooks.tick()  # the delivery loop's next turn, without waiting 5 s for it
        await runtime.aclose()
    assert route.call_count == 1
    return route.calls.last.request, clock


@pytest.mark.parametrize("mode", ["virtual", "scaled", "real"])
@pytest.mark.parametrize("scheme", sorted(SECRETS))
async def test_signed_at_wall_time_payload_on_emulated_time(
    make_app: Callable[..., Any], mode: str, scheme: str
) -> None:
    request, clock = await deliver_one(make_app, mode, scheme, lambda: WALL)
    # The project's verifier at the receiver's time, with the default ±300 s window, accepts it.
    verified = verify(scheme, request.content, request.headers, SECRETS[scheme], now=WALL)
    assert verified.scheme == scheme
    # `vidmock listen`'s receiver (the same code the CLI serves) gives it an ok verdict.
    receiver = Receiver(SECRETS[scheme], scheme=scheme, now=lambda: WALL)
    assert receiver.verdict(request.content, request.headers, WALL).ok
    if scheme in ("llmgateway", "standard"):
        assert request.headers["webhook-timestamp"] == str(int(WALL))
        event = json.loads(request.content)
        # The payload's times are the emulated clock's, years before the wall time.
        assert EMULATED_START <= event["created_at"] <= clock.now() < WALL - 10**8
        assert EMULATED_START <= event["data"]["completed_at"] <= event["created_at"]
    if scheme == "stripe":
        assert request.headers["stripe-signature"].startswith(f"t={int(WALL)},")


@pytest.mark.parametrize("mode", ["virtual", "scaled", "real"])
async def test_standardwebhooks_library_accepts_every_mode(make_app: Callable[..., Any], mode: str) -> None:
    from standardwebhooks.webhooks import Webhook

    # The library reads the machine's clock itself, so the sender signs with the real wall time too.
    request, _ = await deliver_one(make_app, mode, "standard", time.time)
    event = Webhook(SECRETS["standard"]).verify(request.content, dict(request.headers))
    assert event["type"] == "video.completed"
    assert event["created_at"] < 1_600_000_000  # the emulated time, which the library never judges


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[str]) -> None:
    for _ in range(300):
        assert proc.poll() is None, proc.communicate()[1]
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")


def test_vidmock_listen_process_accepts_a_virtual_clock_delivery(tmp_path: Path) -> None:
    """Over loopback, two processes: `vidmock serve --clock virtual` and `vidmock listen`."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    gw_port, hook_port = _free_port(), _free_port()
    record = tmp_path / "deliveries.json"
    secret = SECRETS["llmgateway"]
    serve = [sys.executable, "-m", "vidmock", "serve", "--clock", "virtual", "--port", str(gw_port)]
    listen = [sys.executable, "-m", "vidmock", "listen", "--port", str(hook_port), "--secret", secret]
    procs = [
        subprocess.Popen([*serve, "--start-time", "1500000000"], env=env, stderr=subprocess.PIPE, text=True),
        subprocess.Popen([*listen, "--record", str(record)], env=env, stderr=subprocess.PIPE, text=True),
    ]
    try:
        base = f"http://127.0.0.1:{gw_port}"
        _wait_http(f"{base}/_vidmock/health", procs[0])
        _wait_http(f"http://127.0.0.1:{hook_port}/", procs[1])
        hook = f"http://127.0.0.1:{hook_port}/hooks"
        body = {"prompt": "fox", "seconds": 4, "callback_url": hook, "callback_secret": secret}
        auth = {"Authorization": "Bearer vm-dev-key"}
        r = httpx.post(f"{base}/v1/videos", json=body, headers=auth, timeout=30)
        assert r.status_code == 200, r.text
        assert httpx.post(f"{base}/_vidmock/clock/advance", json={"seconds": 120}, timeout=60).status_code == 200
        for _ in range(200):
            deliveries = json.loads(record.read_text() or "{}").get("deliveries", [])
            if deliveries:
                break
            time.sleep(0.05)
        assert len(deliveries) == 1, deliveries
        assert deliveries[0]["verdict"]["ok"] is True, deliveries[0]["verdict"]
    finally:
        for proc in procs:
            proc.terminate()
            proc.communicate(timeout=30)
