"""Issue 5 "Done when": every terminal status, delivered to a receiver that fails N times.

Each job is driven to one terminal status (completed; failed by the worker's timeout; canceled and
expired upstream on the ByteDance Seedance emulator), with `vidmock.listen.Receiver` as the callback
endpoint, reached in-process through the dispatcher's HTTP client. The receiver verifies every
attempt on the gateway's own virtual clock. The tests show the exact attempt schedule, one event id,
identical ids and valid signatures on every attempt, the event type, and the give-up after 8.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from itertools import accumulate
from typing import Any

import httpx
import pytest
from conftest import AUTH
from conftest import test_config as config_for_tests

from vidmock.gateway.application.delivery import MAX_ATTEMPTS, retry_delay
from vidmock.listen import Receiver, ResponseScript
from vidmock.webhooks import verify

pytestmark = pytest.mark.anyio
HOOK = "http://receiver.test/hooks/video"
SECRET = "whsec_my-secret"
SEEDANCE = "bytedance/seedance-2-0"
TASKS = "/api/v3/contents/generations/tasks"
FLEX_QUEUE = 7200.0  # the Seedance emulator's flex-tier queue time
# Offsets from the first attempt: 0, 30, 90, 210, 450, 930, 1890, 3810 s. Exact, not approximate:
# the loop runs every 5 s and every delay is a multiple of 5, so each retry falls on a loop tick.
SCHEDULE = [0.0, *accumulate(retry_delay(k) for k in range(1, MAX_ATTEMPTS))]


class Gateway:
    """An in-process vidmock whose webhook dispatcher posts to ``receiver``."""

    def __init__(self, app: Any, receiver: Receiver) -> None:
        self.app, self.runtime, self.receiver = app, app.state.vidmock, receiver
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test")
        self.runtime.webhooks.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app))
        self.finalized_at: dict[str, float] = {}
        self.runtime.worker.on_finalized.append(self._finalized)

    async def _finalized(self, job: Any) -> None:
        self.finalized_at[job.id] = self.runtime.clock.now()

    async def create(self, **body: Any) -> str:
        r = await self.client.post(
            "/v1/videos",
            headers=AUTH,
            json={"prompt": "a red fox in snow", "seconds": 4, "callback_url": HOOK, "callback_secret": SECRET, **body},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    def job(self, vid: str) -> dict[str, Any]:
        doc = self.runtime.store.get("gateway.job", vid)
        assert doc is not None
        return dict(doc)

    async def until_terminal(self, vid: str, limit: float) -> str:
        """Advance the clock in worker steps until the job is terminal."""
        waited = 0.0
        while self.job(vid)["status"] in ("queued", "in_progress"):
            assert waited < limit, f"job still {self.job(vid)['status']} after {waited} s"
            assert self.receiver.deliveries == []  # only terminal statuses are delivered
            await self.runtime.advance(5)
            waited += 5
        return str(self.job(vid)["status"])

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.runtime.webhooks.http.aclose()
        await self.runtime.aclose()


@pytest.fixture
async def gateway(make_app: Callable[..., Any]) -> AsyncIterator[Callable[..., Gateway]]:
    made: list[Gateway] = []

    def factory(failures: int, **config: Any) -> Gateway:
        app = make_app(config_for_tests(**config))
        # Each event id runs through its own copy: fail ``failures`` times, then answer 200.
        script = ResponseScript([500] * failures + [200], per_event=True)
        # The receiver shares the virtual clock here, so the signing wall time is that clock too.
        app.state.vidmock.clock.wall_time = app.state.vidmock.clock.now
        made.append(Gateway(app, Receiver(SECRET, script=script, now=app.state.vidmock.clock.now)))
        return made[-1]

    yield factory
    for g in made:
        await g.aclose()


async def completed(g: Gateway) -> str:
    return await g.create()


async def failed_by_timeout(g: Gateway) -> str:
    return await g.create()  # the upstream never finishes (latency below): the worker times out


async def canceled_upstream(g: Gateway) -> str:
    vid = await g.create(model=SEEDANCE, seconds=5)
    task = g.job(vid)["upstream_id"]
    # Seedance cancels a task that is still queued (providers.md §4.1): DELETE it at the provider.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=g.runtime.emulators["bytedance"]), base_url="http://bytedance.test"
    ) as ark:
        r = await ark.delete(f"{TASKS}/{task}", headers={"Authorization": "Bearer test"})
        assert r.status_code == 200, r.text
        assert (await ark.get(f"{TASKS}/{task}", headers={"Authorization": "Bearer test"})).json()[
            "status"
        ] == "cancelled"
    return vid


async def expired_upstream(g: Gateway) -> str:
    vid = await g.create(model=SEEDANCE, seconds=5)
    task = g.job(vid)["upstream_id"]
    # The gateway never asks for the flex tier, so make this task one: batch-queued for 2 h with
    # the shortest allowed execution_expires_after (1 h). The emulator then reports it ``expired``
    # once the clock passes created_at + 3600 s, before it would ever start.
    doc = g.runtime.store.get("bytedance.task", task)
    doc.update(service_tier="flex", queue=FLEX_QUEUE, execution_expires_after=3600)
    if isinstance(doc.get("plan"), dict) and doc["plan"].get("scenario") is None:
        # An emulator that stores its lifecycle as a plan at create (the scenario engine) reads the
        # queue from the plan's steps, not from ``queue``: Ark's default lifecycle, flex queue.
        doc["plan"]["steps"] = [
            [0.0, "queued", None],
            [FLEX_QUEUE, "in_progress", None],
            [FLEX_QUEUE + doc["latency"], "completed", None],
        ]
    g.runtime.store.put("bytedance.task", task, doc)
    return vid


# (terminal status, how to get there, server config). For ``expired`` the worker's own timeout is
# pushed past the upstream expiry, or the two would race at the 3600 s mark.
CASES: dict[str, tuple[Callable[[Gateway], Awaitable[str]], dict[str, Any]]] = {
    "completed": (completed, {}),
    "failed": (failed_by_timeout, {"latency": {"veo-3.1-generate-001": 99999}}),
    "canceled": (canceled_upstream, {}),
    "expired": (expired_upstream, {"job_timeout": 7200}),
}


@pytest.mark.parametrize("failures", [3, MAX_ATTEMPTS], ids=["fails-3-then-ok", "always-fails"])
@pytest.mark.parametrize("status", list(CASES))
async def test_terminal_status_delivery_schedule(gateway: Callable[..., Gateway], status: str, failures: int) -> None:
    drive, config = CASES[status]
    g = gateway(failures, **config)
    vid = await drive(g)
    assert await g.until_terminal(vid, limit=7200) == status
    terminal_at = g.finalized_at[vid]

    await g.runtime.advance(SCHEDULE[-1] + 10)
    deliveries = g.receiver.deliveries
    attempts = min(failures + 1, MAX_ATTEMPTS)
    assert len(deliveries) == attempts

    # The first attempt comes on the next 5 s delivery loop; the retries exactly on schedule.
    first = deliveries[0].received_at
    assert terminal_at <= first <= terminal_at + 5
    assert [d.received_at - first for d in deliveries] == SCHEDULE[:attempts]

    # One event id, the same on every attempt; a fresh timestamp and a valid signature on each.
    assert {d.event_id for d in deliveries} == {f"evt_{vid}"}
    assert {d.headers["webhook-id"] for d in deliveries} == {f"evt_{vid}"}
    assert [d.attempt for d in deliveries] == list(range(1, attempts + 1))
    assert [d.verdict.ok for d in deliveries] == [True] * attempts
    for d in deliveries:
        assert d.headers["webhook-timestamp"] == str(int(d.received_at))
        verify("llmgateway", d.body.encode(), d.headers, SECRET, now=d.received_at)  # independently

    # video.completed only for completed; video.failed for every other terminal status.
    expected_type = "video.completed" if status == "completed" else "video.failed"
    assert {d.event_type for d in deliveries} == {expected_type}
    assert {d.job_id for d in deliveries} == {vid}
    events = [json.loads(d.body) for d in deliveries]
    assert {e["data"]["status"] for e in events} == {status}
    assert [e["created_at"] for e in events] == [int(d.received_at) for d in deliveries]  # body rebuilt
    if status == "failed":
        assert {e["data"]["error"]["code"] for e in events} == {"timeout"}

    answered = [d.answered.status for d in deliveries]
    rows = g.runtime.webhooks.rows(vid)
    if failures < MAX_ATTEMPTS:
        assert answered == [500] * failures + [200]
        assert [r["status"] for r in rows] == ["retrying"] * failures + ["delivered"]
        assert g.job(vid)["callback_status"] == "delivered"
    else:
        # The give-up: 8 attempts, the last row failed, the job's callback failed, its status kept.
        assert answered == [500] * MAX_ATTEMPTS
        assert [r["status"] for r in rows] == ["retrying"] * (MAX_ATTEMPTS - 1) + ["failed"]
        assert rows[-1]["error"] == "Unexpected webhook response status 500"
        assert g.job(vid)["callback_status"] == "failed" and g.job(vid)["status"] == status
    summary = g.receiver.summary()[f"evt_{vid}"]
    assert summary["attempts"] == attempts and summary["statuses"] == answered

    await g.runtime.advance(2 * 3600)  # and nothing more, ever
    assert len(g.receiver.deliveries) == attempts
