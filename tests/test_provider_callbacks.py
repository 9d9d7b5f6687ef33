"""Callbacks the provider emulators send themselves: Sora project webhooks (providers.md §1.6,
Standard Webhooks) and Seedance ``callback_url`` posts (§4.5), all in virtual time."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH

from vidmock.clock import Clock
from vidmock.config import ServerConfig
from vidmock.ids import IdFactory
from vidmock.journal import Journal
from vidmock.listen import Receiver
from vidmock.media import MediaCache
from vidmock.providers.base import EmulatorContext
from vidmock.providers.bytedance import PLUGIN as ARK
from vidmock.providers.callbacks import CallbackDispatcher, dispatcher_of
from vidmock.providers.openai import PLUGIN as SORA
from vidmock.providers.openai.models import default_latency
from vidmock.providers.openai.webhooks import POLICY as SORA_POLICY
from vidmock.store import SqliteStore, Store
from vidmock.store.memory import MemoryStore
from vidmock.webhooks import VerificationError, verify

pytestmark = pytest.mark.anyio

T0 = 1773600000
SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
TASKS = "/api/v3/contents/generations/tasks"
LITE = "seedance-1-0-lite-t2v-250428"  # 5 s queued, 30 s running
HOOK = "https://hooks.example/ark"


# Signatures carry the real send time (``Clock.wall_time``), payloads the emulated time (issue 16). Most tests
# here judge timings on the emulated clock, so their wall time is the emulated time; one test moves it apart.
WALL_OFFSET = 23_000_000.0


def _offset(start: float) -> Clock:
    """A virtual clock whose wall time is its own time (signatures and receipts on one time line)."""
    clock = Clock.virtual(start)
    clock.wall_time = clock.now
    return clock


def make_ctx(media: MediaCache, store: Store | None = None, start: float = T0) -> EmulatorContext:
    store = store if store is not None else MemoryStore()
    return EmulatorContext(
        clock=_offset(start),
        store=store,
        ids=IdFactory(store, 0),
        media=media,
        journal=Journal(),
        config=ServerConfig(clock="virtual"),
    )


def wire(app: Any, receiver: Receiver) -> CallbackDispatcher:
    """Send the emulator's callbacks to ``receiver`` in-process."""
    dispatcher = dispatcher_of(app)
    dispatcher.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app))
    return dispatcher


def api(app: Any, base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=base, headers={"Authorization": "Bearer sk-test"}
    )


# -- Sora ---------------------------------------------------------------------------------------------


@pytest.fixture
def ctx(media: MediaCache) -> EmulatorContext:
    return make_ctx(media)


@pytest.fixture
def sora_app(ctx: EmulatorContext) -> Any:
    return SORA.build_emulator(ctx)


@pytest.fixture
async def sora(sora_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with api(sora_app, "http://openai.test") as c:
        yield c


async def register(sora: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    r = await sora.post("/dashboard/webhooks", json={"url": "https://hooks.example/sora", "secret": SECRET, **fields})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def create_video(sora: httpx.AsyncClient, prompt: str = "a red fox in snow") -> str:
    r = await sora.post("/v1/videos", json={"prompt": prompt, "model": "sora-2", "seconds": "4"})
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def test_sora_completed_event_is_thin_signed_and_verifies(
    sora: httpx.AsyncClient, sora_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(SECRET, scheme="standard", now=ctx.clock.now)
    wire(sora_app, receiver)
    endpoint = await register(sora)
    assert endpoint["id"].startswith("we_") and endpoint["events"] == ["video.completed", "video.failed"]
    video_id = await create_video(sora)
    done = T0 + default_latency("sora-2", 4)  # 56.25 s
    await ctx.clock.advance(56)
    assert receiver.deliveries == []  # not before the video is completed
    await ctx.clock.advance(4)
    (d,) = receiver.deliveries
    assert d.verdict.ok is True and d.received_at == T0 + 57  # the first timer tick after completion
    event = json.loads(d.body)
    assert event == {
        "id": event["id"],
        "object": "event",
        "created_at": int(done),
        "type": "video.completed",
        "data": {"id": video_id},
    }
    assert event["id"].startswith("evt_") and d.headers["webhook-id"] == event["id"]
    assert d.headers["webhook-timestamp"] == str(T0 + 57) and d.headers["webhook-signature"].startswith("v1,")
    # Keyed with the base64-decoded secret: the Standard Webhooks verifier accepts the raw bytes.
    verify("standard", d.body.encode(), d.headers, SECRET, now=ctx.clock.now())
    # Read-your-webhook: the thin payload's video already reads completed.
    assert (await sora.get(f"/v1/videos/{video_id}")).json()["status"] == "completed"
    await ctx.clock.advance(3600)
    assert len(receiver.deliveries) == 1  # one event per video
    assert ctx.clock.pending_timers() == 0  # nothing left to do: the timer stopped


async def test_sora_webhooks_are_signed_at_the_real_send_time(
    sora: httpx.AsyncClient, sora_app: Any, ctx: EmulatorContext
) -> None:
    """A receiver in another process judges freshness by its own clock: the Standard Webhooks timestamp is
    the wall time of the send, while the event's ``created_at`` stays on the emulated clock."""
    ctx.clock.wall_time = lambda: ctx.clock.now() + WALL_OFFSET
    receiver = Receiver(SECRET, scheme="standard", now=ctx.clock.wall_time)
    wire(sora_app, receiver)
    await register(sora)
    await create_video(sora)
    await ctx.clock.advance(60)
    (d,) = receiver.deliveries
    assert d.verdict.ok is True
    assert int(d.headers["webhook-timestamp"]) == int(d.received_at) > ctx.clock.now() + WALL_OFFSET - 60
    assert json.loads(d.body)["created_at"] <= int(ctx.clock.now())  # the payload: emulated time
    with pytest.raises(VerificationError):  # judged on the emulated clock, the signature is 23 Ms in the future
        verify("standard", d.body.encode(), d.headers, SECRET, now=ctx.clock.now())


async def test_sora_moderation_blocked_sends_video_failed(
    sora: httpx.AsyncClient, sora_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(SECRET, scheme="standard", now=ctx.clock.now)
    wire(sora_app, receiver)
    await register(sora)
    video_id = await create_video(sora, "a fox [scenario:sora-moderation-blocked]")
    await ctx.clock.advance(10)
    (d,) = receiver.deliveries
    assert d.verdict.ok is True and d.received_at == T0 + 8
    assert json.loads(d.body)["type"] == "video.failed" and json.loads(d.body)["data"] == {"id": video_id}
    video = (await sora.get(f"/v1/videos/{video_id}")).json()
    assert video["status"] == "failed" and video["error"]["code"] == "moderation_blocked"


async def test_sora_retries_with_same_id_and_body_and_fresh_signature(
    sora: httpx.AsyncClient, sora_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(SECRET, scheme="standard", script=[500, 500, 200], now=ctx.clock.now)
    dispatcher = wire(sora_app, receiver)
    await register(sora)
    video_id = await create_video(sora)
    await ctx.clock.advance(57 + 60 + 120 + 5)
    attempts = receiver.deliveries
    # 1 min doubling after each failure (§1.6 "exponential backoff").
    assert [d.received_at for d in attempts] == [T0 + 57, T0 + 117, T0 + 237]
    assert [d.answered.status for d in attempts] == [500, 500, 200]
    assert all(d.verdict.ok for d in attempts)
    assert len({d.headers["webhook-id"] for d in attempts}) == 1 and len({d.body for d in attempts}) == 1
    assert [d.headers["webhook-timestamp"] for d in attempts] == [str(int(d.received_at)) for d in attempts]
    rows = dispatcher.rows(video_id)
    assert [(r["attempt"], r["status"], r["response_status"]) for r in rows] == [
        (1, "retrying", 500),
        (2, "retrying", 500),
        (3, "delivered", 200),
    ]
    log = (await sora.get("/dashboard/webhooks/deliveries", params={"video_id": video_id})).json()["data"]
    assert [r["attempt"] for r in log] == [1, 2, 3]


async def test_sora_gives_up_within_72_hours() -> None:
    assert SORA_POLICY.give_up_after == 72 * 3600
    delays = []
    attempt, elapsed = 1, 0.0
    while attempt < SORA_POLICY.max_attempts and elapsed + SORA_POLICY.delay(attempt) <= 72 * 3600:
        elapsed += SORA_POLICY.delay(attempt)
        delays.append(SORA_POLICY.delay(attempt))
        attempt += 1
    assert delays[:3] == [60, 120, 240] and max(delays) == 86400
    assert attempt == 13 and 58 * 3600 < elapsed < 72 * 3600


async def test_sora_fans_out_per_endpoint_and_subscription(
    sora: httpx.AsyncClient, sora_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(SECRET, scheme="standard", now=ctx.clock.now)
    dispatcher = wire(sora_app, receiver)
    await register(sora, url="https://a.example/hook")
    await register(sora, url="https://b.example/hook", events=["video.failed"])
    await create_video(sora)
    await ctx.clock.advance(60)
    assert [d.path for d in receiver.deliveries] == ["/hook"]
    assert [r["target_url"] for r in dispatcher.rows()] == ["https://a.example/hook"]


async def test_sora_endpoint_registered_while_running_still_gets_the_event(
    sora: httpx.AsyncClient, sora_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(SECRET, scheme="standard", now=ctx.clock.now)
    wire(sora_app, receiver)
    await create_video(sora)
    await ctx.clock.advance(30)
    await register(sora)
    await ctx.clock.advance(30)
    assert len(receiver.deliveries) == 1


async def test_sora_sends_nothing_without_an_endpoint(
    sora: httpx.AsyncClient, sora_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(SECRET, scheme="standard", now=ctx.clock.now)
    dispatcher = wire(sora_app, receiver)
    await create_video(sora)
    await create_video(sora, "a fox [scenario:sora-moderation-blocked]")
    assert ctx.clock.pending_timers() == 0  # nobody listens: no timer, no tracking
    await ctx.clock.advance(120)
    assert receiver.deliveries == [] and dispatcher.rows() == []


async def test_sora_deleted_endpoint_stops_delivery(
    sora: httpx.AsyncClient, sora_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(SECRET, scheme="standard", script=[500], now=ctx.clock.now)
    dispatcher = wire(sora_app, receiver)
    endpoint = await register(sora)
    await create_video(sora)
    await ctx.clock.advance(60)
    r = await sora.delete(f"/dashboard/webhooks/{endpoint['id']}")
    assert r.json() == {"id": endpoint["id"], "object": "webhook_endpoint.deleted", "deleted": True}
    await ctx.clock.advance(120)
    assert len(receiver.deliveries) == 1
    assert [r["status"] for r in dispatcher.rows()] == ["retrying", "failed"]


async def test_sora_dashboard_validates_and_hides_secrets(sora: httpx.AsyncClient) -> None:
    bad = await sora.post("/dashboard/webhooks", json={"url": "https://x.example", "secret": "whsec_not base64!"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "secret"
    bad = await sora.post("/dashboard/webhooks", json={"url": "https://x.example", "events": ["video.created"]})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "events"
    bad = await sora.post("/dashboard/webhooks", json={"url": "ftp://x.example"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "url"
    made = (await sora.post("/dashboard/webhooks", json={"url": "https://x.example"})).json()
    assert made["secret"].startswith("whsec_") and len(base64.b64decode(made["secret"][6:])) == 32
    listed = (await sora.get("/dashboard/webhooks")).json()["data"]
    assert [e["id"] for e in listed] == [made["id"]] and made["secret"] not in json.dumps(listed)


# -- Seedance -----------------------------------------------------------------------------------------


@pytest.fixture
def ark_app(ctx: EmulatorContext) -> Any:
    return ARK.build_emulator(ctx)


@pytest.fixture
async def ark(ark_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with api(ark_app, "http://bytedance.test") as c:
        yield c


async def create_task(ark: httpx.AsyncClient, prompt: str = "a red fox in snow", **extra: Any) -> str:
    r = await ark.post(TASKS, json={"model": LITE, "content": [{"type": "text", "text": prompt}], **extra})
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def test_seedance_posts_each_status_change_in_order(
    ark: httpx.AsyncClient, ark_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(None, now=ctx.clock.now)
    wire(ark_app, receiver)
    tid = await create_task(ark, callback_url=HOOK + "?t=1")
    snapshots = {}
    for at in (0, 5, 35):
        await ctx.clock.advance(at - (ctx.clock.now() - T0))
        snapshots[at] = (await ark.get(f"{TASKS}/{tid}")).json()
    await ctx.clock.advance(100)
    posts = receiver.deliveries
    assert [(d.received_at - T0, json.loads(d.body)["status"]) for d in posts] == [
        (0, "queued"),
        (5, "running"),
        (35, "succeeded"),
    ]
    # Each post is the task object as GET returned it at that moment; unsigned; to the URL as given.
    assert [json.loads(d.body) for d in posts] == [snapshots[0], snapshots[5], snapshots[35]]
    assert all(d.path == "/ark?t=1" and d.method == "POST" for d in posts)
    assert all(d.headers["content-type"] == "application/json" and "webhook-signature" not in d.headers for d in posts)
    assert json.loads(posts[-1].body)["content"]["video_url"].endswith(f"/files/{tid}.mp4")


async def test_seedance_output_moderation_failure_is_posted(
    ark: httpx.AsyncClient, ark_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(None, now=ctx.clock.now)
    wire(ark_app, receiver)
    await create_task(ark, "a fox [vidmock:output_moderation]", callback_url=HOOK)
    await ctx.clock.advance(600)
    bodies = [json.loads(d.body) for d in receiver.deliveries]
    assert [b["status"] for b in bodies] == ["queued", "running", "failed"]
    assert bodies[-1]["error"]["code"].startswith("OutputVideoSensitiveContentDetected")


async def test_seedance_cancel_and_expiry_are_posted(
    ark: httpx.AsyncClient, ark_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(None, now=ctx.clock.now)
    wire(ark_app, receiver)
    cancelled = await create_task(ark, callback_url=HOOK + "/c")
    expired = await create_task(ark, callback_url=HOOK + "/e", service_tier="flex", execution_expires_after=3600)
    await ctx.clock.advance(2)
    assert (await ark.delete(f"{TASKS}/{cancelled}")).status_code == 200
    await ctx.clock.advance(3600)
    by_path: dict[str, list[tuple[float, str]]] = {}
    for d in receiver.deliveries:
        by_path.setdefault(d.path, []).append((d.received_at - T0, json.loads(d.body)["status"]))
    assert by_path == {"/ark/c": [(0, "queued"), (3, "cancelled")], "/ark/e": [(0, "queued"), (3600, "expired")]}
    assert {json.loads(d.body)["id"] for d in receiver.deliveries} == {cancelled, expired}


async def test_seedance_retries_a_failed_post(ark: httpx.AsyncClient, ark_app: Any, ctx: EmulatorContext) -> None:
    receiver = Receiver(None, script=[500, 500, 200], now=ctx.clock.now)
    dispatcher = wire(ark_app, receiver)
    tid = await create_task(ark, callback_url=HOOK)
    await ctx.clock.advance(4)
    await ctx.clock.advance(100)
    got = [(d.received_at - T0, json.loads(d.body)["status"], d.answered.status) for d in receiver.deliveries]
    # queued fails twice (retried after 10 s, then 20 s); running and succeeded go through first time.
    assert got == [
        (0, "queued", 500),
        (5, "running", 500),
        (10, "queued", 200),
        (15, "running", 200),
        (35, "succeeded", 200),
    ]
    assert [(r["event_type"], r["attempt"], r["status"]) for r in dispatcher.rows(tid)] == [
        ("queued", 1, "retrying"),
        ("running", 1, "retrying"),
        ("queued", 2, "delivered"),
        ("running", 2, "delivered"),
        ("succeeded", 1, "delivered"),
    ]


async def test_seedance_gives_up_after_four_attempts(
    ark: httpx.AsyncClient, ark_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(None, script=[302] * 10, now=ctx.clock.now)  # a redirect is a failure
    dispatcher = wire(ark_app, receiver)
    await create_task(ark, "x", callback_url=HOOK, service_tier="flex")  # stays queued for 2 h
    await ctx.clock.advance(600)
    assert [d.received_at - T0 for d in receiver.deliveries] == [0, 10, 30, 70]
    assert [r["status"] for r in dispatcher.rows()] == ["retrying"] * 3 + ["failed"]


async def test_seedance_sends_nothing_without_callback_url(
    ark: httpx.AsyncClient, ark_app: Any, ctx: EmulatorContext
) -> None:
    receiver = Receiver(None, now=ctx.clock.now)
    dispatcher = wire(ark_app, receiver)
    await create_task(ark)
    assert ctx.clock.pending_timers() == 0
    await ctx.clock.advance(100)
    assert receiver.deliveries == [] and dispatcher.rows() == [] and not dispatcher.watching("x")


async def test_seedance_pending_retry_survives_a_restart(tmp_path: Path, media: MediaCache) -> None:
    path = str(tmp_path / "state.db")
    first = make_ctx(media, SqliteStore(path))
    app = ARK.build_emulator(first)
    wire(app, Receiver(None, script=[500], now=first.clock.now))
    async with api(app, "http://bytedance.test") as ark:
        tid = await create_task(ark, callback_url=HOOK, service_tier="flex")
    await first.clock.advance(1)  # queued posted, answered 500; the retry is due at +10 s
    stopped_at = first.clock.now()
    first.store.close()

    second = make_ctx(media, SqliteStore(path), start=stopped_at)
    receiver = Receiver(None, now=second.clock.now)
    dispatcher = wire(ARK.build_emulator(second), receiver)  # the timer resumes from the store
    await second.clock.advance(20)
    (d,) = receiver.deliveries
    assert d.received_at == T0 + 10 and json.loads(d.body)["status"] == "queued" and json.loads(d.body)["id"] == tid
    assert [r["status"] for r in dispatcher.rows()] == ["retrying", "delivered"]
    second.store.close()


# -- through the whole app ------------------------------------------------------------------------------


@pytest.mark.gateway_release("pre-2026-03")  # a gateway Sora job (issue 14)
async def test_sora_webhook_for_a_gateway_job(client: httpx.AsyncClient, runtime: Any) -> None:
    """The gateway's upstream Sora job notifies the project's endpoint, registered through the
    emulator's dashboard stand-in, on the one clock the gateway runs on."""
    receiver = Receiver(SECRET, scheme="standard", now=runtime.clock.wall_time)  # signed at the real send time
    wire(runtime.emulators["openai"], receiver)
    r = await client.post(
        "/providers/openai/dashboard/webhooks", json={"url": "https://hooks.example/sora", "secret": SECRET}
    )
    assert r.status_code == 200, r.text
    r = await client.post("/v1/videos", json={"model": "sora-2", "prompt": "a fox", "seconds": 4}, headers=AUTH)
    upstream_id = runtime.store.get("gateway.job", r.json()["id"])["upstream_id"]
    await runtime.advance(120)
    (d,) = receiver.deliveries
    assert d.verdict.ok is True and d.job_id == upstream_id and d.event_type == "video.completed"
