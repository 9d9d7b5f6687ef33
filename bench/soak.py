"""Soak: a steady load for hours of virtual clock time, RSS sampled as it goes (issue 17.2).

Every clock minute ``--rate`` jobs are created, each with a signed webhook to an in-process receiver;
the clock advances in one-minute steps. With retention on, terminal jobs, their attempts and idle
provider records are forgotten, so the number of live documents and the RSS level off once the
first jobs pass the retention (plus the job timeout for provider records); with ``--retention 0``
both grow with every job.

Run: python bench/soak.py [--hours 12] [--rate 20] [--retention 3600] [--quick]
Prints one JSON line per sample to stderr and a JSON summary to stdout. RSS is the process's own
(``/proc/self/status``), so run it alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from typing import Any

import httpx
from jobs_bench import AUTH, BODY, Receiver, rss_kib

from vidmock.config import ServerConfig
from vidmock.providers.faults import UpstreamClient
from vidmock.server import build_app, tune_gc


async def soak(hours: float, rate: int, retention: float, sample_every: float) -> dict[str, Any]:
    media = tempfile.mkdtemp(prefix="vidmock-soak-media-")
    app = build_app(ServerConfig(clock="virtual", media_cache=media, retention_seconds=retention))
    tune_gc()
    runtime = app.state.vidmock
    receiver = Receiver(runtime.clock.now)
    runtime.webhooks.http = UpstreamClient(
        transport=httpx.ASGITransport(app=receiver.app()),
        base_url="http://receiver.bench.internal",
        follow_redirects=False,
    )
    samples: list[dict[str, Any]] = []
    created = failures = 0
    t0 = time.perf_counter()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as client:
        minutes = int(hours * 60)
        for minute in range(1, minutes + 1):
            for _ in range(rate):
                r = await client.post("/v1/videos", json=BODY, headers=AUTH)
                created += r.status_code == 200
                failures += r.status_code != 200
            await runtime.advance(60)
            if (minute * 60) % sample_every == 0 or minute == minutes:
                store = runtime.store
                sample = {
                    "clock_hours": round(minute / 60, 2),
                    "jobs_created": created,
                    "live_jobs": store.count("gateway.job"),
                    "live_attempts": store.count("gateway.webhook"),
                    "live_provider_records": store.count("vertex.operation"),
                    "journal_entries": len(runtime.journal.entries),
                    "rss_mib": round(rss_kib() / 1024, 1),
                    "wall_s": round(time.perf_counter() - t0, 1),
                }
                samples.append(sample)
                print(json.dumps(sample), file=sys.stderr)
    await runtime.aclose()
    half = samples[len(samples) // 2]
    last = samples[-1]
    return {
        "hours": hours,
        "rate_per_clock_minute": rate,
        "retention_seconds": retention,
        "jobs_created": created,
        "create_failures": failures,
        "deliveries_received": sum(receiver.received.values()),
        "bad_signatures": receiver.bad_signatures,
        "rss_first_mib": samples[0]["rss_mib"],
        "rss_half_mib": half["rss_mib"],
        "rss_last_mib": last["rss_mib"],
        # Flat memory: the second half of the run adds (almost) nothing.
        "rss_growth_second_half_mib": round(last["rss_mib"] - half["rss_mib"], 1),
        "live_jobs_half": half["live_jobs"],
        "live_jobs_last": last["live_jobs"],
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=12.0, help="clock hours of steady load")
    parser.add_argument("--rate", type=int, default=20, help="jobs created per clock minute")
    parser.add_argument("--retention", type=float, default=3600.0, help="retention_seconds (0 keeps everything)")
    parser.add_argument("--sample-every", type=float, default=1800.0, help="clock seconds between samples")
    parser.add_argument("--quick", action="store_true", help="6 clock hours at 5 jobs a minute (CI)")
    args = parser.parse_args()
    hours, rate = (6.0, 5) if args.quick else (args.hours, args.rate)
    result = asyncio.run(soak(hours, rate, args.retention, args.sample_every))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
