"""One full ``vidmock check`` run against a vidmock served from this very process (bench/run.py, check section).

The gateway is vidmock's app on a virtual clock with two projects (keys ``vm-dev-key`` and ``vm-other-key``),
on a real loopback port in a thread of this process; the harness runs with its defaults (every family,
25 schemathesis examples per operation, 40 state machine examples). The same run as the socket figure,
minus a second process: what the harness and the app cost together, without the scheduler between them.

Run: python bench/check_inprocess.py CACHE_DIR [--max-examples N --lifecycle-examples N]
Prints one JSON line: wall seconds (the run, then with building the app), CPU seconds, verdict counts.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from vidmock.config import Project, ServerConfig
from vidmock.harness.engine import Options, run_to_report
from vidmock.harness.serve import ThreadServer, free_port
from vidmock.media import MediaCache
from vidmock.server import build_app

KEYS = ("vm-dev-key", "vm-other-key")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("cache", help="media cache directory (empty: every clip is rendered)")
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--lifecycle-examples", type=int, default=None)
    args = parser.parse_args()
    t0, c0 = time.perf_counter(), cpu_seconds()
    port = free_port()
    projects = (Project(id="proj_default", keys=(KEYS[0],)), Project(id="proj_other", keys=(KEYS[1],)))
    app = build_app(ServerConfig(clock="virtual", port=port, projects=projects), media=MediaCache(Path(args.cache)))
    with ThreadServer(app, port=port) as server:
        t1 = time.perf_counter()
        options = Options(
            server.url,
            KEYS[0],
            other_keys=[KEYS[1]],
            max_examples=args.max_examples,
            lifecycle_examples=args.lifecycle_examples,
        )
        report = run_to_report(options)
        t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "run_wall_s": round(t2 - t1, 2),
                "wall_s": round(t2 - t0, 2),
                "cpu_s": round(cpu_seconds() - c0, 2),
                "ok": report.ok,
                "failed": sorted(r.name for r in report.results if r.verdict == "failed"),
                "skipped": sorted(r.name for r in report.results if r.verdict == "skipped"),
                "errors": report.errors,
                "counts": report.counts(),
            }
        )
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
