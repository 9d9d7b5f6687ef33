"""The job worker on the virtual clock (gateway.md §3 transitions, §4.1 polling, §4.2 finalization).

Everything goes through HTTP (create / GET / content) plus two windows into the emulator: the
request journal (when, and how often, the worker polled Vertex) and the store (the job row, and the
upstream operation, which some tests delete to make polls fail).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH
from conftest import test_config as config_with  # aliased: pytest would collect test_config

pytestmark = pytest.mark.anyio

BASE = "http://127.0.0.1:4001"
JOB = "gateway.job"
OPERATION = "vertex.operation"


def poll_404(operation: str) -> str:
    """The newest release's poll-error text for Vertex's 404 (changes-2026-12.md §2.2): status and JSON body."""
    body = f'{{"error":{{"code":404,"message":"Operation {operation} not found.","status":"NOT_FOUND"}}}}'
    return f"Upstream status request failed with status 404: {body}"


SLOW = {"veo-3.1-generate-001": 99999.0}  # an upstream that never finishes within the test


@contextlib.asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


async def create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await client.post("/v1/videos", json={"prompt": "a fox", "seconds": 4, **body}, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


async def get(client: httpx.AsyncClient, vid: str) -> dict[str, Any]:
    r = await client.get(f"/v1/videos/{vid}", headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


def polls(runtime: Any) -> list[Any]:
    return [e for e in runtime.journal.for_service("google-vertex") if e.path.endswith(":fetchPredictOperation")]


def poll_times(runtime: Any, t0: float) -> list[float]:
    return [e.at - t0 for e in polls(runtime)]


def job_doc(runtime: Any, vid: str) -> dict[str, Any]:
    doc = runtime.store.get(JOB, vid)
    assert doc is not None
    return doc


# ------------------------------------------------------------------------------------------------
# timeout (§3 example, §4.1)
# ------------------------------------------------------------------------------------------------


async def test_timeout_after_default_3600_seconds(make_app: Callable[..., Any]) -> None:
    app = make_app(config_with(latency=SLOW))
    runtime = app.state.vidmock
    async with client_for(app) as c:
        video = await create(c)
        t0 = runtime.clock.now()
        await runtime.advance(3595)
        before = await get(c, video["id"])
        assert before["status"] == "in_progress" and before["progress"] == 50 and before["error"] is None
        await runtime.advance(5)
        after = await get(c, video["id"])
    assert after["status"] == "failed"
    assert after["progress"] == 100
    assert after["error"] == {
        "code": "timeout",
        "message": "Video generation timed out after 3600 seconds without reaching a terminal state",
        "details": {"reason": "video_job_timeout", "timeout_seconds": 3600, "last_upstream_status": "in_progress"},
    }
    assert after["completed_at"] == int(t0) + 3600
    assert "content" not in after
    assert after["usage"] == {"cost": 0, "cost_details": {"video_output_cost": 0, "image_input_cost": 0}}
    # Terminal: never polled again.
    count = len(polls(runtime))
    await runtime.advance(60)
    assert len(polls(runtime)) == count


async def test_timeout_uses_the_configured_value(make_app: Callable[..., Any]) -> None:
    app = make_app(config_with(job_timeout=60, latency=SLOW))
    runtime = app.state.vidmock
    async with client_for(app) as c:
        video = await create(c)
        await runtime.advance(55)
        assert (await get(c, video["id"]))["status"] == "in_progress"
        await runtime.advance(5)
        after = await get(c, video["id"])
    assert after["status"] == "failed" and after["progress"] == 100
    assert after["error"] == {
        "code": "timeout",
        "message": "Video generation timed out after 60 seconds without reaching a terminal state",
        "details": {"reason": "video_job_timeout", "timeout_seconds": 60, "last_upstream_status": "in_progress"},
    }


async def test_timeout_message_prints_large_timeouts_in_full(make_app: Callable[..., Any]) -> None:
    app = make_app(
        config_with(job_timeout=1_000_000, poll_interval=100_000, latency={"veo-3.1-generate-001": 10_000_000.0})
    )
    runtime = app.state.vidmock
    async with client_for(app) as c:
        video = await create(c)
        await runtime.advance(1_000_000)
        after = await get(c, video["id"])
    assert after["status"] == "failed"
    assert after["error"]["details"]["timeout_seconds"] == 1_000_000
    assert after["error"]["message"] == (
        "Video generation timed out after 1000000 seconds without reaching a terminal state"
    )


async def test_job_finishing_on_the_timeout_tick_completes(make_app: Callable[..., Any]) -> None:
    """The poll runs first: an upstream that is done when the timeout is reached wins."""
    app = make_app(config_with(job_timeout=60, latency={"veo-3.1-generate-001": 60.0}))
    runtime = app.state.vidmock
    async with client_for(app) as c:
        video = await create(c)
        await runtime.advance(60)
        after = await get(c, video["id"])
    assert after["status"] == "completed" and after["error"] is None


# ------------------------------------------------------------------------------------------------
# poll errors and backoff (§4.1, S3 edge case 57)
# ------------------------------------------------------------------------------------------------


async def test_poll_errors_back_off_then_fail(client: httpx.AsyncClient, runtime: Any) -> None:
    video = await create(client)
    vid = video["id"]
    t0 = runtime.clock.now()
    name = job_doc(runtime, vid)["upstream_id"]
    assert runtime.store.get(OPERATION, name) is not None
    runtime.store.delete(OPERATION, name)
    POLL_404 = poll_404(name)

    # First poll at the first tick (5 s), then 10, 20, 40, 80 s apart.
    expected_counts = {5: 1, 15: 2, 35: 3, 75: 4}
    elapsed = 0
    for at, count in expected_counts.items():
        await runtime.advance(at - elapsed - 1)
        assert job_doc(runtime, vid)["upstream_response"].get("llmgateway_poll_error_count", 0) == count - 1
        await runtime.advance(1)
        elapsed = at
        doc = job_doc(runtime, vid)
        assert doc["upstream_response"]["llmgateway_poll_error_count"] == count
        assert doc["upstream_response"]["llmgateway_last_poll_error"] == POLL_404
        public = await get(client, vid)
        assert public["status"] == "queued" and public["progress"] == 0 and public["error"] is None
    assert poll_times(runtime, t0) == [5, 15, 35, 75]
    assert [e.status for e in polls(runtime)] == [404] * 4

    await runtime.advance(155 - elapsed)
    assert poll_times(runtime, t0) == [5, 15, 35, 75, 155]
    failed = await get(client, vid)
    assert failed["status"] == "failed"
    assert failed["completed_at"] == int(t0) + 155
    error = failed["error"]
    assert error["code"] == "poll_error"
    assert error["message"].startswith("Video generation failed after 5 consecutive polling errors: ")
    assert error["message"] == f"Video generation failed after 5 consecutive polling errors: {POLL_404}"
    assert error["details"] == {"reason": "poll_error_limit", "error_count": 5, "last_error": POLL_404}
    assert job_doc(runtime, vid)["upstream_response"]["llmgateway_poll_error_count"] == 5
    # Terminal: no further polls.
    await runtime.advance(600)
    assert len(polls(runtime)) == 5


async def test_successful_poll_resets_the_error_count(client: httpx.AsyncClient, runtime: Any) -> None:
    video = await create(client)
    t0 = runtime.clock.now()
    name = job_doc(runtime, video["id"])["upstream_id"]
    operation = runtime.store.get(OPERATION, name)
    runtime.store.delete(OPERATION, name)
    await runtime.advance(5)
    assert job_doc(runtime, video["id"])["upstream_response"]["llmgateway_poll_error_count"] == 1
    runtime.store.put(OPERATION, name, operation)  # the upstream is reachable again
    await runtime.advance(10)
    doc = job_doc(runtime, video["id"])
    assert doc["upstream_response"]["llmgateway_poll_error_count"] == 0
    assert doc["status"] == "in_progress"
    # Back on the normal 5 s cadence, and it completes on time.
    await runtime.advance(75)
    assert poll_times(runtime, t0) == [5, 15, *range(20, 95, 5)]
    assert (await get(client, video["id"]))["status"] == "completed"


async def test_poll_error_after_timeout_fails_at_once(make_app: Callable[..., Any]) -> None:
    app = make_app(config_with(job_timeout=10))
    runtime = app.state.vidmock
    async with client_for(app) as c:
        video = await create(c)
        name = job_doc(runtime, video["id"])["upstream_id"]
        runtime.store.delete(OPERATION, name)
        await runtime.advance(5)
        assert (await get(c, video["id"]))["status"] == "queued"  # 1 error, not timed out yet
        await runtime.advance(10)  # second poll at 15 s: past the 10 s timeout
        failed = await get(c, video["id"])
    assert failed["status"] == "failed"
    POLL_404 = poll_404(name)
    assert failed["error"] == {
        "code": "poll_error",
        "message": f"Video generation failed after 2 consecutive polling errors: {POLL_404}",
        "details": {"reason": "poll_error_limit", "error_count": 2, "last_error": POLL_404},
    }


# ------------------------------------------------------------------------------------------------
# cadence, and time (not polling) drives progress
# ------------------------------------------------------------------------------------------------


async def test_worker_polls_every_5_seconds_until_done(client: httpx.AsyncClient, runtime: Any) -> None:
    video = await create(client)
    t0 = runtime.clock.now()
    await runtime.advance(200)
    # Vertex veo-3.1-generate-001 takes 90 s; one poll per 5 s tick, none after completion.
    assert poll_times(runtime, t0) == list(range(5, 95, 5))
    assert all(e.body == {"operationName": job_doc(runtime, video["id"])["upstream_id"]} for e in polls(runtime))
    done = await get(client, video["id"])
    assert done["status"] == "completed" and done["completed_at"] == int(t0) + 90


async def test_jobs_advance_with_time_not_with_polling(client: httpx.AsyncClient, runtime: Any) -> None:
    a = (await create(client))["id"]
    b = (await create(client))["id"]
    upstream_calls = len(runtime.journal.for_service("google-vertex"))
    for _ in range(25):  # GET never reaches the upstream, and never moves a job
        assert (await get(client, a))["status"] == "queued"
    assert len(runtime.journal.for_service("google-vertex")) == upstream_calls
    for step in range(17):
        await runtime.advance(5)
        for _ in range(3):
            va = await get(client, a)
        vb = await get(client, b)
        assert va["status"] == vb["status"] == "in_progress", step
    await runtime.advance(5)
    va, vb = await get(client, a), await get(client, b)
    assert va["status"] == vb["status"] == "completed"
    assert va["completed_at"] == vb["completed_at"]


async def test_progress_follows_the_upstream(client: httpx.AsyncClient, runtime: Any) -> None:
    vid = (await create(client))["id"]
    assert (await get(client, vid))["progress"] == 0
    await runtime.advance(5)
    assert (await get(client, vid))["progress"] == 50
    await runtime.advance(85)
    assert (await get(client, vid))["progress"] == 100


# ------------------------------------------------------------------------------------------------
# terminal statuses are final (§3)
# ------------------------------------------------------------------------------------------------


async def test_completed_job_is_never_polled_again(client: httpx.AsyncClient, runtime: Any) -> None:
    vid = (await create(client))["id"]
    await runtime.advance(90)
    done = await get(client, vid)
    assert done["status"] == "completed"
    count = len(polls(runtime))
    # Even if the upstream operation vanished, nothing changes any more.
    runtime.store.delete(OPERATION, job_doc(runtime, vid)["upstream_id"])
    await runtime.advance(3600)
    assert len(polls(runtime)) == count
    later = await get(client, vid)
    assert later["status"] == "completed"
    assert later["completed_at"] == done["completed_at"]
    assert later["usage"] == done["usage"]
    assert runtime.store.count("gateway.log") == 1


async def test_failed_job_stays_failed_when_the_upstream_recovers(client: httpx.AsyncClient, runtime: Any) -> None:
    vid = (await create(client))["id"]
    name = job_doc(runtime, vid)["upstream_id"]
    operation = runtime.store.get(OPERATION, name)
    runtime.store.delete(OPERATION, name)
    await runtime.advance(155)
    failed = await get(client, vid)
    assert failed["status"] == "failed"
    runtime.store.put(OPERATION, name, operation)  # now done upstream
    await runtime.advance(300)
    assert len(polls(runtime)) == 5
    assert await get(client, vid) == failed
    r = await client.get(f"/v1/videos/{vid}/content", headers=AUTH)
    assert r.status_code == 409
    assert r.json()["error"]["message"] == "Video is not ready yet. Current status: failed"


# ------------------------------------------------------------------------------------------------
# finalization and prices (§3 usage, §4.2, §7 41/44, CG)
# ------------------------------------------------------------------------------------------------


async def test_usage_only_after_completion(client: httpx.AsyncClient, runtime: Any) -> None:
    created = await create(client)
    assert "usage" not in created and "content" not in created
    await runtime.advance(5)
    running = await get(client, created["id"])
    assert running["status"] == "in_progress"
    assert "usage" not in running and "content" not in running
    await runtime.advance(85)
    done = await get(client, created["id"])
    assert done["usage"] == {"cost": 1.6, "cost_details": {"video_output_cost": 1.6, "image_input_cost": 0}}
    assert done["content"][0]["mime_type"] == "video/mp4"


async def test_usage_omitted_with_include_usage_off(make_app: Callable[..., Any]) -> None:
    app = make_app(config_with(include_usage=False))
    async with client_for(app) as c:
        vid = (await create(c))["id"]
        await app.state.vidmock.advance(90)
        done = await get(c, vid)
    assert done["status"] == "completed" and "usage" not in done


@pytest.mark.parametrize(
    ("body", "latency", "cost"),
    [
        pytest.param({"size": "1920x1080", "seconds": 8}, 90, 3.2, id="veo-1080p-8s"),
        pytest.param({"size": "3840x2160", "seconds": 8}, 90, 4.8, id="veo-4k-8s"),
        pytest.param({"model": "veo-3.1-fast-generate-preview", "audio": False}, 45, 0.4, id="44-fast-silent-4s"),
        pytest.param(
            {"model": "google-vertex/veo-3.1-fast-generate-preview", "size": "1920x1080"},
            45,
            0.6,
            id="41-fast-1080p-audio-4s",
        ),
    ],
)
async def test_billed_cost(
    client: httpx.AsyncClient, runtime: Any, body: dict[str, Any], latency: int, cost: float
) -> None:
    vid = (await create(client, **body))["id"]
    await runtime.advance(latency - 5)
    assert "usage" not in await get(client, vid)
    await runtime.advance(5)
    done = await get(client, vid)
    assert done["status"] == "completed"
    assert done["usage"] == {"cost": cost, "cost_details": {"video_output_cost": cost, "image_input_cost": 0}}


# ------------------------------------------------------------------------------------------------
# durable store: a restart loses nothing
# ------------------------------------------------------------------------------------------------


async def test_sqlite_store_survives_a_restart(make_app: Callable[..., Any], tmp_path: Path) -> None:
    config = config_with(store=str(tmp_path / "s.db"))
    first = make_app(config)
    async with client_for(first) as c:
        video = await create(c)
        t0 = first.state.vidmock.clock.now()
        await first.state.vidmock.advance(30)
        assert (await get(c, video["id"]))["status"] == "in_progress"
    await first.state.vidmock.aclose()

    second = make_app(config)
    runtime = second.state.vidmock
    assert runtime.clock.now() == t0 + 30  # virtual time resumes where it stopped
    async with client_for(second) as c:
        assert (await get(c, video["id"]))["status"] == "in_progress"
        await runtime.advance(60)
        done = await get(c, video["id"])
        assert done["status"] == "completed", done
        assert done["completed_at"] == int(t0) + 90
        assert done["usage"]["cost"] == 1.6
        content = await c.get(f"/v1/videos/{video['id']}/content", headers=AUTH)
        assert content.status_code == 200 and content.headers["content-type"] == "video/mp4"
        assert content.content[4:8] == b"ftyp"
        signed = await c.get(done["content"][0]["url"].removeprefix(BASE))
        assert signed.status_code == 200 and signed.content == content.content
        # A new job after the restart gets a fresh id.
        assert (await create(c))["id"] != video["id"]
    await runtime.aclose()


async def test_the_job_keeps_a_history_of_every_status_change(client, runtime) -> None:
    from conftest import AUTH as auth

    vid = (await client.post("/v1/videos", json={"prompt": "x", "seconds": 4}, headers=auth)).json()["id"]
    await runtime.advance(95)
    history = runtime.store.get("gateway.job", vid)["history"]
    assert history == [[1773600000, "queued", 0], [1773600005, "in_progress", 50], [1773600090, "completed", 100]]


async def test_many_due_jobs_all_polled_with_bounded_concurrency(
    client: httpx.AsyncClient, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More jobs due than CONCURRENCY: every one is polled once per tick, never more than
    CONCURRENCY at a time, and one job's crash neither stops the others nor goes unreported."""
    from vidmock.gateway.application import worker as worker_mod

    monkeypatch.setattr(worker_mod, "CONCURRENCY", 3)
    ids = [(await create(client))["id"] for _ in range(10)]
    broken = ids[4]
    real = runtime.worker.process
    in_flight, peak, seen = 0, 0, []

    async def watched(job: Any, tick: float | None = None, token: int | None = None) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        seen.append(job.id)
        try:
            for _ in range(3):  # yield, as a poll over a socket would, so runners overlap
                await asyncio.sleep(0)
            if job.id == broken:
                raise RuntimeError("poll crashed")
            await real(job, tick, token)
        finally:
            in_flight -= 1

    monkeypatch.setattr(runtime.worker, "process", watched)
    with pytest.raises(RuntimeError, match="poll crashed"):
        await runtime.worker.tick()
    assert sorted(seen) == sorted(ids) and peak == 3
    for vid in ids:
        if vid != broken:
            assert job_doc(runtime, vid)["history"][-1][1] == "in_progress"


# ------------------------------------------------------------------------------------------------
# leases that fence late writers (issue 12.2)
# ------------------------------------------------------------------------------------------------

HOOKED = {"callback_url": "http://receiver.test/hook", "callback_secret": "whsec_x"}


async def test_a_superseded_claim_changes_nothing(client: httpx.AsyncClient, runtime: Any) -> None:
    """A worker whose lease was taken over (it stalled past it) neither writes the job nor finalizes
    it: exactly one log id, one first webhook attempt."""
    from vidmock.gateway.domain.jobs import Job

    vid = (await create(client, **HOOKED))["id"]
    now = runtime.clock.now() + 5
    [stale] = runtime.store.claim(JOB, now, None, 30.0)
    [fresh] = runtime.store.claim(JOB, now + 30, None, 30.0)  # the first lease ran out; taken over
    doc = dict(stale.doc, status="completed", progress=100)
    await runtime.worker.process(Job.from_doc(doc), now, stale.token)  # a late finalization: refused
    after = job_doc(runtime, vid)
    assert after["status"] == "queued" and after["log_id"] is None
    assert runtime.store.all("gateway.log") == [] and runtime.webhooks.rows() == []
    await runtime.worker.process(Job.from_doc(dict(fresh.doc, status="completed", progress=100)), now, fresh.token)
    done = job_doc(runtime, vid)
    assert done["status"] == "completed" and done["log_id"] is not None
    assert len(runtime.store.all("gateway.log")) == 1 and len(runtime.webhooks.rows()) == 1
    assert runtime.store.due(JOB, 1e12) == []  # settled: never polled again


async def test_a_crash_between_finalizing_and_its_hooks_loses_no_webhook(
    client: httpx.AsyncClient, runtime: Any
) -> None:
    """The job is written terminal first, still leased; a process that dies before the finalization
    hooks ran leaves it to be claimed again when the lease runs out, and the hooks (idempotent) run
    then: one webhook attempt, one log id."""
    from vidmock.gateway.domain.jobs import Job

    vid = (await create(client, **HOOKED))["id"]
    crashed: list[str] = []

    async def dies_once(job: Any) -> None:
        if not crashed:
            crashed.append(job.id)
            raise RuntimeError("killed mid-finalization")

    runtime.worker.on_finalized.insert(0, dies_once)
    runtime.webhooks.http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(204)))
    await runtime.advance(95)  # the clock contains what a timer raises and records it (issue 12)
    assert runtime.clock.timer_errors == 1 and runtime.clock.last_error == "RuntimeError: killed mid-finalization"
    job = job_doc(runtime, vid)
    assert job["status"] == "completed" and crashed == [vid] and runtime.webhooks.rows() == []
    log_id = job["log_id"]
    await runtime.advance(60)  # the lease runs out, the worker claims it again and settles it
    rows = runtime.webhooks.rows()
    assert [r["attempt"] for r in rows] == [1] and rows[0]["status"] == "delivered"
    assert job_doc(runtime, vid)["log_id"] == log_id and job_doc(runtime, vid)["callback_status"] == "delivered"
    await runtime.webhooks.enqueue(Job.from_doc(job))  # pending again: still one first attempt
    assert len(runtime.webhooks.rows()) == 1
