"""10,000 jobs created at once, driven to completion on the virtual clock, each with a signed webhook
to a local receiver: wall time, peak memory, deliveries lost.

Run: python bench/jobs_bench.py [--jobs 10000] [--store FILE] [--tracemalloc] [--profile OUT.prof]
Prints one JSON object. Run alone in its own process (bench/run.py does): ``ru_maxrss`` is the peak
resident set of the whole process, baseline included.

Everything is in-process: the gateway app through ``httpx.ASGITransport``, and the webhook receiver a
tiny Starlette app reached through ``runtime.webhooks.http`` (an ASGI transport too), so the figure is
vidmock's own cost, not the loopback's.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vidmock.config import ServerConfig
from vidmock.providers.faults import UpstreamClient
from vidmock.server import build_app, tune_gc
from vidmock.webhooks import verify

AUTH = {"Authorization": "Bearer vm-dev-key"}
SECRET = "whsec_bench"
HOOK = "http://receiver.bench.internal/hook"
BODY = {
    "prompt": "a red fox in snow",
    "seconds": 4,
    "size": "1280x720",
    "audio": False,
    "callback_url": HOOK,
    "callback_secret": SECRET,
}


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Receiver:
    """Counts deliveries per webhook-id and checks each signature."""

    def __init__(self, now: Any) -> None:
        self.received: collections.Counter[str] = collections.Counter()
        self.bad_signatures = 0
        self.now = now

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            try:
                verify("llmgateway", body, request.headers, SECRET, now=self.now())
            except Exception:
                self.bad_signatures += 1
            self.received[request.headers.get("webhook-id", "")] += 1
            return Response(status_code=204)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


async def run(jobs: int, store: str | None, concurrency: int) -> dict[str, Any]:
    media = tempfile.mkdtemp(prefix="vidmock-bench-media-")
    config = ServerConfig(clock="virtual", store=store, media_cache=media)
    rss0 = rss_kib()
    t_build = time.perf_counter()
    app = build_app(config)
    tune_gc()  # as `vidmock serve` does once its app is built
    runtime = app.state.vidmock
    receiver = Receiver(runtime.clock.now)
    # The dispatcher's own client class (no cookie jar, no redirects), over ASGI instead of a socket.
    runtime.webhooks.http = UpstreamClient(
        transport=httpx.ASGITransport(app=receiver.app()),
        base_url="http://receiver.bench.internal",
        follow_redirects=False,
    )
    build_s = time.perf_counter() - t_build
    gate = asyncio.Semaphore(concurrency)
    ids: list[str] = []
    failures: collections.Counter[int] = collections.Counter()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001", timeout=None
    ) as client:

        async def create() -> None:
            async with gate:
                r = await client.post("/v1/videos", json=BODY, headers=AUTH)
            if r.status_code == 200:
                ids.append(r.json()["id"])
            else:
                failures[r.status_code] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(create() for _ in range(jobs)))
        t_created = time.perf_counter()
        rss_created = rss_kib()
        # Drive the clock: the render takes 90 s; the worker polls every 5 s; deliveries go out 25
        # per 5 s loop (the gateway's batch), so 10,000 need 2,000 s of clock time. Advance in 60 s
        # steps until every job is terminal and every delivery is settled (bounded).
        advanced = 0.0
        while advanced < 48 * 3600:
            await runtime.advance(60)
            advanced += 60
            if len(receiver.received) >= len(ids) and advanced >= 95:
                break
        t_done = time.perf_counter()
        statuses: collections.Counter[str] = collections.Counter()
        callback: collections.Counter[str] = collections.Counter()
        for doc in runtime.store.all("gateway.job"):
            statuses[doc["status"]] += 1
            callback[doc["callback_status"]] += 1
    expected = {f"evt_{i}" for i in ids}
    lost = len(expected - set(receiver.received))
    duplicates = sum(c - 1 for c in receiver.received.values() if c > 1)
    await runtime.aclose()
    return {
        "jobs": jobs,
        "created": len(ids),
        "create_failures": dict(failures),
        "store": "sqlite" if store else "memory",
        "build_s": round(build_s, 3),
        "create_s": round(t_created - t0, 3),
        "drive_s": round(t_done - t_created, 3),
        "wall_s": round(t_done - t0, 3),
        "clock_seconds_advanced": advanced,
        "job_statuses": dict(statuses),
        "callback_statuses": dict(callback),
        "deliveries_received": sum(receiver.received.values()),
        "deliveries_lost": lost,
        "duplicate_deliveries": duplicates,
        "bad_signatures": receiver.bad_signatures,
        "rss_start_mib": round(rss0 / 1024, 1),
        "rss_after_create_mib": round(rss_created / 1024, 1),
        "rss_end_mib": round(rss_kib() / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--store", default=None, help="SQLite file (default: memory store)")
    parser.add_argument("--concurrency", type=int, default=10_000, help="creates in flight at once")
    parser.add_argument("--tracemalloc", action="store_true", help="also report the Python heap peak (slower)")
    parser.add_argument("--profile", metavar="OUT", help="write a cProfile of the run to OUT")
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start()
    coro = run(args.jobs, args.store, args.concurrency)
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(asyncio.run, coro)
        profiler.dump_stats(args.profile)
    else:
        result = asyncio.run(coro)
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.tracemalloc:
        result["tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
