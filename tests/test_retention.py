"""Retention on the virtual clock (issue 17.2): terminal jobs, their log links, webhook attempts,
provider records and journal entries are forgotten ``retention_seconds`` after the job ended (idle
provider records after ``retention + job_timeout``); active jobs and pending deliveries stay."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH
from conftest import test_config as config_with

pytestmark = pytest.mark.anyio

HOOK = {"callback_url": "http://receiver.test/hook", "callback_secret": "whsec_x"}
SLOW = {"veo-3.1-generate-001": 99999.0}


def _app(make_app: Any, **config: Any) -> tuple[Any, Any, httpx.AsyncClient]:
    app = make_app(config_with(**config))
    runtime = app.state.vidmock
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001")
    return app, runtime, client


async def _create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await client.post("/v1/videos", json={"prompt": "a fox", "seconds": 4, **body}, headers=AUTH)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_terminal_jobs_are_forgotten_and_active_ones_stay(make_app: Any) -> None:
    _, runtime, client = _app(make_app, retention_seconds=600.0, job_timeout=20_000.0)
    runtime.webhooks.http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(204)))
    async with client:
        done = await _create(client, **HOOK)
        await runtime.advance(95)  # completed at 90, webhook delivered
        finished = runtime.store.get("gateway.job", done["id"])
        assert finished["status"] == "completed" and finished["callback_status"] == "delivered"
        runtime.config.latency.update(SLOW)  # the next render never finishes within the test
        active = await _create(client)
        log_id, upstream = finished["log_id"], finished["upstream_id"]
        assert runtime.store.get("gateway.log", log_id) is not None and len(runtime.webhooks.rows()) == 1
        assert runtime.store.get("vertex.operation", upstream) is not None
        await runtime.advance(590)  # t=685: 595 s after the end, still kept
        assert (await client.get(f"/v1/videos/{done['id']}", headers=AUTH)).status_code == 200
        await runtime.advance(160)  # t=845: 755 s after it ended, past 600 and one sweep interval
        gone = await client.get(f"/v1/videos/{done['id']}", headers=AUTH)
        assert gone.status_code == 404
        assert runtime.store.get("gateway.log", log_id) is None and runtime.webhooks.rows() == []
        assert runtime.store.get("gateway.expiry", done["id"]) is None
        # Its provider record is idle, but the gateway may poll one for job_timeout: kept until then.
        assert runtime.store.get("vertex.operation", upstream) is not None
        still = await client.get(f"/v1/videos/{active['id']}", headers=AUTH)
        assert still.status_code == 200 and still.json()["status"] == "in_progress"
        await runtime.advance(19_000)  # t=19,845: an active job stays however long it runs
        assert (await client.get(f"/v1/videos/{active['id']}", headers=AUTH)).json()["status"] == "in_progress"
        await runtime.advance(1_200)  # t=21,045: past retention + job_timeout (+ a sweep) after the record
        assert runtime.store.get("vertex.operation", upstream) is None
        # The active job timed out at t≈20,095 and was forgotten 600 s later.
        assert (await client.get(f"/v1/videos/{active['id']}", headers=AUTH)).status_code == 404
        assert all(e.at > runtime.clock.now() - 600 for e in runtime.journal.entries)
        assert runtime.retention.forgotten >= 5


async def test_a_pending_delivery_postpones_its_job(make_app: Any) -> None:
    _, runtime, client = _app(make_app, retention_seconds=60.0)
    runtime.webhooks.http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    async with client:
        video = await _create(client, **HOOK)
        await runtime.advance(200)  # completed at 90; attempts at 90, 120, 180… keep failing
        assert runtime.store.get("gateway.job", video["id"]) is not None  # retried, not forgotten
        rows = runtime.webhooks.rows()
        assert rows[-1]["status"] == "pending" and len(rows) >= 2
        await runtime.advance(6 * 3600)  # all 8 attempts made (30 s … 1 h apart), then 60 s more
        assert runtime.store.get("gateway.job", video["id"]) is None and runtime.webhooks.rows() == []


async def test_zero_keeps_everything(make_app: Any) -> None:
    _, runtime, client = _app(make_app, retention_seconds=0.0)
    async with client:
        video = await _create(client)
        await runtime.advance(30 * 24 * 3600)
        assert (await client.get(f"/v1/videos/{video['id']}", headers=AUTH)).status_code == 200


def test_retention_option_over_a_socket(tmp_path: Path) -> None:
    from liveserver import LiveServer

    with (
        LiveServer(tmp_path, "--clock", "virtual", "--retention", "600") as server,
        httpx.Client(base_url=server.base, timeout=30, headers={"Authorization": "Bearer vm-dev-key"}) as c,
    ):
        vid = c.post("/v1/videos", json={"prompt": "fox", "seconds": 4}).json()["id"]
        c.post("/_vidmock/clock/advance", json={"seconds": 95})
        assert c.get(f"/v1/videos/{vid}").json()["status"] == "completed"
        c.post("/_vidmock/clock/advance", json={"seconds": 800})
        assert c.get(f"/v1/videos/{vid}").status_code == 404
    bad = subprocess.run([sys.executable, "-m", "vidmock", "serve", "--retention", "-1"], capture_output=True)
    assert bad.returncode == 2 and bad.stderr.decode().startswith("vidmock: retention_seconds: expected")
