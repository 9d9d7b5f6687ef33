"""10,000 jobs created at once, driven to completion on the virtual clock, each with a signed webhook
to a local receiver: wall time, peak memory, deliveries lost.

Run: python bench/jobs_bench.py [--jobs 10000] [--store FILE|DSN] [--tracemalloc] [--profile OUT.prof]
Prints one JSON object. Run alone in its own process (bench/run.py does): ``ru_maxrss`` is the peak
resident set of the whole process, baseline included.

Flat cost per job (issue 17.3): ``python bench/jobs_bench.py --scale`` runs 10,000 and then 100,000
jobs, each in its own process, and prints wall time per job and peak RSS for each, and the ratio of
the per-job times (100k / 10k; 1.0 is perfectly flat). ``--scale --quick`` runs 1,000 and 10,000.
The 100,000-job run takes minutes and a few GB: run it once, not in a loop, on a shared machine.

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

        t0, cpu0 = time.perf_counter(), time.process_time()
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
        "store": "postgresql"
        if store and store.startswith(("postgresql://", "postgres://"))
        else store and "sqlite" or "memory",
        "build_s": round(build_s, 3),
        "create_s": round(t_created - t0, 3),
        "drive_s": round(t_done - t_created, 3),
        "wall_s": round(t_done - t0, 3),
        "wall_per_job_ms": round((t_done - t0) * 1000 / max(1, jobs), 4),
        # CPU time of this process: on a shared machine wall time also counts other processes' turns.
        "cpu_per_job_ms": round((time.process_time() - cpu0) * 1000 / max(1, jobs), 4),
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


def scale(sizes: list[int], store: str | None) -> dict[str, Any]:
    """Each size in a fresh process (peak RSS is per process), then the per-job cost ratio."""
    import subprocess

    runs = []
    for n in sizes:
        cmd = [sys.executable, __file__, "--jobs", str(n)] + (["--store", store] if store else [])
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        run = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(
            {
                k: run[k]
                for k in (
                    "jobs",
                    "store",
                    "wall_s",
                    "create_s",
                    "drive_s",
                    "wall_per_job_ms",
                    "cpu_per_job_ms",
                    "peak_rss_mib",
                    "deliveries_lost",
                    "duplicate_deliveries",
                    "bad_signatures",
                )
            }
        )
        print(json.dumps(runs[-1]), file=sys.stderr)
    first, last = runs[0], runs[-1]
    return {
        "runs": runs,
        "per_job_ratio": round(last["wall_per_job_ms"] / first["wall_per_job_ms"], 3),
        "cpu_per_job_ratio": round(last["cpu_per_job_ms"] / first["cpu_per_job_ms"], 3),
        "ratio_of": f"{last['jobs']} / {first['jobs']} jobs (per job; 1.0 is flat)",
        "rss_per_job_kib": round(
            (last["peak_rss_mib"] - first["peak_rss_mib"]) * 1024 / max(1, last["jobs"] - first["jobs"]), 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--store", default=None, help="SQLite file or postgresql:// DSN (default: memory store)")
    parser.add_argument("--scale", action="store_true", help="10,000 and 100,000 jobs, per-job cost ratio")
    parser.add_argument("--quick", action="store_true", help="with --scale: 1,000 and 10,000 jobs")
    parser.add_argument("--concurrency", type=int, default=10_000, help="creates in flight at once")
    parser.add_argument("--tracemalloc", action="store_true", help="also report the Python heap peak (slower)")
    parser.add_argument("--profile", metavar="OUT", help="write a cProfile of the run to OUT")
    args = parser.parse_args()
    if args.scale:
        json.dump(scale([1_000, 10_000] if args.quick else [10_000, 100_000], args.store), sys.stdout)
        print()
        return
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
