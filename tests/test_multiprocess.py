"""Several `vidmock serve` processes over one store (SQLite file or PostgreSQL), at high speed, over
real loopback sockets: each job is finalized once and each webhook attempt is sent once (issue
12.2); a SIGKILLed process loses nothing, and duplicates only the attempt it had in flight; a
database restart under load loses nothing acknowledged and the servers recover by themselves, with
clear 503s meanwhile (issue 17.1).

Counted, never timed: the test waits with generous deadlines and asserts counts.
"""

from __future__ import annotations

import collections
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from liveserver import LiveServer

from vidmock.listen import Receiver, running
from vidmock.store import open_store

AUTH = {"Authorization": "Bearer vm-dev-key"}
SECRET = "whsec_multi"
DEADLINE = 180.0  # wall seconds: a generous ceiling, never a measurement


class Servers(LiveServer):
    """`vidmock serve --workers N` over one store, at ``speed``."""

    def __init__(self, tmp_path: Path, store: str, workers: int, speed: int) -> None:
        config = tmp_path / "vidmock.yaml"
        config.write_text("latency:\n  veo-3.1-generate-001: 60\n")
        args = ("--workers", str(workers), "--store", store, "--speed", str(speed), "--config", str(config))
        super().__init__(tmp_path, *args)

    def pids(self, count: int) -> set[int]:
        """Worker pids seen over new connections (the kernel spreads them over the processes); on a
        loaded machine the last worker may still be starting, so keep asking (bounded)."""
        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while len(seen) < count and time.monotonic() < deadline:
            seen.add(httpx.get(f"{self.base}/_vidmock/health", timeout=10).json()["pid"])
            time.sleep(0.02)
        return seen


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "shared.sqlite")
    return str(request.getfixturevalue("pg_dsn"))


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    r = Receiver(SECRET)
    with running(r) as url:
        yield r, url


def _create(base: str, hook: str, i: int) -> str:
    # A new connection each time, so the kernel spreads the creates over the processes.
    for _ in range(100):  # a 503 while the database restarts is retried, as a client would
        try:
            r = httpx.post(
                f"{base}/v1/videos",
                headers=AUTH,
                timeout=30,
                json={"prompt": "fox", "seconds": 4, "callback_url": f"{hook}/hook", "callback_secret": SECRET},
            )
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if r.status_code == 503:
            assert r.json()["error"]["type"] == "api_error", r.text
            time.sleep(0.2)
            continue
        assert r.status_code == 200, r.text
        return str(r.json()["id"])
    raise AssertionError(f"create {i} never succeeded")


def _settled(store: str, ids: list[str]) -> dict[str, Any]:
    """Read the shared store directly: job statuses, webhook attempt rows, log links."""
    s = open_store(store)
    try:
        jobs = {d["id"]: d for d in s.all("gateway.job")}
        rows = s.all("gateway.webhook")
        logs = s.all("gateway.log")
    finally:
        s.close()
    return {
        "statuses": collections.Counter(jobs[v]["status"] for v in ids if v in jobs),
        "callbacks": collections.Counter(jobs[v]["callback_status"] for v in ids if v in jobs),
        "rows": rows,
        "logs": collections.Counter(d["job_id"] for d in logs),
    }


def _wait_all_delivered(store: str, ids: list[str], receiver: Receiver) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE
    while True:
        state = _settled(store, ids)
        if state["callbacks"]["delivered"] == len(ids) and len(receiver.deliveries) >= len(ids):
            return state
        assert time.monotonic() < deadline, f"not settled: {state['statuses']} {state['callbacks']}"
        time.sleep(0.25)


def _event_counts(receiver: Receiver) -> collections.Counter[str]:
    return collections.Counter(d.event_id or "" for d in receiver.deliveries)


def _duplicates(rows: list[dict[str, Any]], receiver: Receiver, ids: list[str]) -> int:
    """Sends beyond the attempts the store recorded. At high --speed an attempt may time out (30
    clock seconds is a quarter of a wall second at x120) and be retried: that is a second attempt,
    not a duplicate. Each event must end with exactly one delivered attempt, numbered 1..n."""
    tried: collections.Counter[str] = collections.Counter()
    attempts: dict[str, list[int]] = collections.defaultdict(list)
    delivered: collections.Counter[str] = collections.Counter()
    for row in rows:
        attempts[row["event_id"]].append(row["attempt"])
        tried[row["event_id"]] += row["last_tried_at"] is not None
        delivered[row["event_id"]] += row["status"] == "delivered"
    assert delivered == {f"evt_{v}": 1 for v in ids}
    assert all(sorted(a) == list(range(1, len(a) + 1)) for a in attempts.values()), attempts
    return sum(max(0, n - tried[event]) for event, n in _event_counts(receiver).items())


def test_several_processes_finalize_and_deliver_each_job_once(
    tmp_path: Path, store: str, receiver: tuple[Receiver, str]
) -> None:
    hook_receiver, hook = receiver
    servers = Servers(tmp_path, store, workers=3, speed=120)
    try:
        assert len(servers.pids(3)) == 3
        ids = [_create(servers.base, hook, i) for i in range(120)]
        state = _wait_all_delivered(store, ids, hook_receiver)
    finally:
        servers.stop()
    assert state["statuses"] == {"completed": len(ids)}
    assert state["logs"] == dict.fromkeys(ids, 1)  # one finalization (one log id) per job
    assert set(_event_counts(hook_receiver)) == {f"evt_{v}" for v in ids}
    assert _duplicates(state["rows"], hook_receiver, ids) == 0  # no attempt sent twice


def test_a_sigkilled_process_loses_nothing(tmp_path: Path, store: str, receiver: tuple[Receiver, str]) -> None:
    hook_receiver, hook = receiver
    servers = Servers(tmp_path, store, workers=2, speed=120)
    try:
        pids = servers.pids(2)
        assert len(pids) == 2
        ids = [_create(servers.base, hook, i) for i in range(60)]
        victim = min(pids)
        os.kill(victim, signal.SIGKILL)  # mid-run: jobs claimed, polls and deliveries in flight
        ids += [_create(servers.base, hook, 60 + i) for i in range(40)]  # the survivors keep serving
        state = _wait_all_delivered(store, ids, hook_receiver)
    finally:
        servers.stop()
    assert state["statuses"] == {"completed": len(ids)}
    assert state["logs"] == dict.fromkeys(ids, 1)  # no job finalized twice, none lost
    assert set(_event_counts(hook_receiver)) == {f"evt_{v}" for v in ids}  # no delivery lost
    # A duplicate only for what the killed process had in flight: the dispatcher sends one attempt
    # at a time, so at most one.
    assert _duplicates(state["rows"], hook_receiver, ids) <= 1


def test_database_restart_under_load_loses_nothing(
    tmp_path: Path, pg_cluster: Any, pg_dsn: str, receiver: tuple[Receiver, str]
) -> None:
    hook_receiver, hook = receiver
    servers = Servers(tmp_path, pg_dsn, workers=2, speed=60)
    statuses: collections.Counter[int] = collections.Counter()
    try:
        ids = [_create(servers.base, hook, i) for i in range(30)]
        pg_cluster.stop()
        # While the database is down: clear 503s in the gateway's envelope, never a hang or a 500.
        for _ in range(10):
            r = httpx.get(f"{servers.base}/v1/videos/{ids[0]}", headers=AUTH, timeout=30)
            statuses[r.status_code] += 1
            assert r.status_code == 503, r.text
            assert r.json()["error"]["message"].startswith("The service is temporarily unavailable")
            assert r.headers["retry-after"] == "1"
        pg_cluster.start()
        ids += [_create(servers.base, hook, 30 + i) for i in range(30)]  # recovered without a restart
        state = _wait_all_delivered(pg_dsn, ids, hook_receiver)
        assert servers.proc.poll() is None
    finally:
        servers.stop()
    assert statuses == {503: 10}
    assert state["statuses"] == {"completed": len(ids)}  # every acknowledged job is there and done
    assert state["logs"] == dict.fromkeys(ids, 1)
    assert set(_event_counts(hook_receiver)) == {f"evt_{v}" for v in ids}


def test_provider_callbacks_are_sent_once_across_processes(
    tmp_path: Path, store: str, receiver: tuple[Receiver, str]
) -> None:
    """Seedance ``callback_url`` posts (providers.md §4.5) from several processes: one post per task
    and status, though every process runs a callback dispatcher over the shared outbox."""
    import json

    hook_receiver, hook = receiver
    servers = Servers(tmp_path, store, workers=2, speed=20)
    tasks = []
    try:
        for i in range(30):
            r = httpx.post(
                f"{servers.base}/providers/bytedance/api/v3/contents/generations/tasks",
                headers={"Authorization": "Bearer sk-test"},
                timeout=30,
                json={
                    "model": "seedance-1-0-lite-t2v-250428",
                    "content": [{"type": "text", "text": f"a fox {i}"}],
                    "callback_url": f"{hook}/ark",
                },
            )
            assert r.status_code == 200, r.text
            tasks.append(r.json()["id"])
        deadline = time.monotonic() + DEADLINE
        while True:
            posts = [json.loads(d.body) for d in hook_receiver.deliveries]
            if sum(p["status"] == "succeeded" for p in posts) >= len(tasks):
                break
            assert time.monotonic() < deadline, collections.Counter(p["status"] for p in posts)
            time.sleep(0.25)
        # Every send has happened once the attempts are settled: none left pending in the outbox.
        s = open_store(store)
        try:
            while s.due("bytedance.callback", float("inf")):
                assert time.monotonic() < deadline
                time.sleep(0.25)
            attempts = s.all("bytedance.callback")
        finally:
            s.close()
        sends = collections.Counter(
            f"{json.loads(d.body)['id']}:{json.loads(d.body)['status']}" for d in hook_receiver.deliveries
        )
    finally:
        servers.stop()
    assert {event.split(":")[0] for event in sends} == set(tasks)
    # At high speed a send may time out (10 clock seconds) and be retried: a second attempt, recorded
    # as such. A duplicate is a post beyond the attempts the outbox records as tried.
    numbered = collections.Counter((a["event_id"], a["attempt"]) for a in attempts)
    assert [key for key, n in numbered.items() if n > 1] == []  # each attempt of an event made once
    tried = collections.Counter(a["event_id"] for a in attempts if a["last_tried_at"] is not None)
    assert {event: n for event, n in sends.items() if n > tried[event]} == {}
    assert all(sends[f"{t}:succeeded"] >= 1 for t in tasks)
