"""Latency accuracy on the real clock: scripted vs observed status-change times.

Run: python bench/timing_bench.py [--jobs 10] [--latency 3] [--gateway-poll 5]
Prints one JSON object.

Starts ``vidmock serve`` (real clock) with ``latency: {veo-3.1-generate-001: L}`` in a config file, then:

* provider emulator: submits to ``/providers/google-vertex/...:predictLongRunning`` and polls
  ``:fetchPredictOperation`` every ``--every`` ms; the operation is scripted to be done exactly L s
  after the server accepted it. Scripted time = midpoint of the submit round trip + L (uncertainty
  +/- half the round trip, printed); observed = midpoint of the first poll that says done. Error =
  observed - scripted, so polling granularity (``--every``) is part of it.
* gateway: ``POST /v1/videos`` then ``GET`` every ``--every`` ms until ``completed``. The gateway's
  worker polls every ``poll_interval`` seconds (5 s, as the real gateway): its status changes at the
  first worker poll after the render is done, so the error against "created + L" is quantised to
  that interval by design. Measured once with the default and once with ``poll_interval: 0.05`` in
  the config file, which removes the quantisation and shows vidmock's own error.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

AUTH = {"Authorization": "Bearer vm-dev-key"}
MODEL = "veo-3.1-generate-001"
VERTEX = "/providers/google-vertex/v1/projects/p/locations/us-central1/publishers/google/models/" + MODEL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(config: dict[str, Any], work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    path = work / f"timing-{port}.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vidmock", "serve", "--port", str(port), "--config", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/_vidmock/health", timeout=1)
            return proc, base
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("vidmock serve did not start") from None
            time.sleep(0.05)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def summary(errors: list[float], rtts: list[float]) -> dict[str, Any]:
    ms = [e * 1000 for e in errors]
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 50), 1),
        "p99_ms": round(pct(ms, 99), 1),
        "max_abs_ms": round(max(abs(x) for x in ms), 1) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
        "submit_rtt_p50_ms": round(pct([r * 1000 for r in rtts], 50), 2),
    }


def provider_job(base: str, latency: float, every: float, out: list[tuple[float, float]]) -> None:
    with httpx.Client(base_url=base, timeout=10) as c:
        t0 = time.monotonic()
        r = c.post(
            f"{VERTEX}:predictLongRunning",
            params={"key": "k"},
            json={"instances": [{"prompt": "timing"}], "parameters": {"durationSeconds": 4, "generateAudio": False}},
        )
        t1 = time.monotonic()
        r.raise_for_status()
        name = r.json()["name"]
        scripted = (t0 + t1) / 2 + latency
        time.sleep(max(0.0, scripted - time.monotonic() - 0.3))
        while True:
            a = time.monotonic()
            op = c.post(f"{VERTEX}:fetchPredictOperation", params={"key": "k"}, json={"operationName": name}).json()
            b = time.monotonic()
            if op.get("done"):
                out.append(((a + b) / 2 - scripted, t1 - t0))
                return
            time.sleep(every)


def gateway_job(base: str, latency: float, every: float, out: list[tuple[float, float]]) -> None:
    with httpx.Client(base_url=base, timeout=10) as c:
        t0 = time.monotonic()
        r = c.post("/v1/videos", json={"prompt": "timing", "seconds": 4, "audio": False}, headers=AUTH)
        t1 = time.monotonic()
        r.raise_for_status()
        vid = r.json()["id"]
        scripted = (t0 + t1) / 2 + latency
        time.sleep(max(0.0, scripted - time.monotonic() - 0.3))
        while True:
            a = time.monotonic()
            video = c.get(f"/v1/videos/{vid}", headers=AUTH).json()
            b = time.monotonic()
            if video["status"] in ("completed", "failed"):
                out.append(((a + b) / 2 - scripted, t1 - t0))
                return
            time.sleep(every)


def run_jobs(fn: Any, base: str, jobs: int, latency: float, every: float, stagger: float) -> dict[str, Any]:
    out: list[tuple[float, float]] = []
    threads = []
    for _ in range(jobs):
        t = threading.Thread(target=fn, args=(base, latency, every, out))
        t.start()
        threads.append(t)
        time.sleep(stagger)
    for t in threads:
        t.join(timeout=latency + 60)
    return summary([e for e, _ in out], [r for _, r in out])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--latency", type=float, default=3.0)
    parser.add_argument("--every", type=float, default=0.005, help="client poll period, seconds")
    parser.add_argument("--stagger", type=float, default=0.37, help="seconds between job starts")
    parser.add_argument("--skip-gateway-default", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vidmock-timing-"))
    result: dict[str, Any] = {"latency_s": args.latency, "client_poll_ms": args.every * 1000}
    variants = [("fast_worker", {"poll_interval": 0.05})]
    if not args.skip_gateway_default:
        variants.insert(0, ("default", {}))
    for label, extra in variants:
        proc, base = start({"latency": {MODEL: args.latency}, **extra}, work)
        try:
            if label == "default":
                result["provider_emulator"] = run_jobs(
                    provider_job, base, args.jobs, args.latency, args.every, args.stagger
                )
            result[f"gateway_{label}"] = run_jobs(
                gateway_job, base, args.jobs, args.latency, max(args.every, 0.02), args.stagger
            )
            result[f"gateway_{label}"]["worker_poll_interval_s"] = extra.get("poll_interval", 5.0)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    if "provider_emulator" not in result:
        proc, base = start({"latency": {MODEL: args.latency}}, work)
        try:
            result["provider_emulator"] = run_jobs(
                provider_job, base, args.jobs, args.latency, args.every, args.stagger
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
