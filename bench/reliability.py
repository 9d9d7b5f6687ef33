"""vidmock's reliability under hostile and careless clients (issue 12), measured on a real server.

Run: python bench/reliability.py [--quick] [--idle N] [--hostile N] [--jobs N]

Starts ``vidmock serve --clock virtual --store FILE`` on loopback and, in order:

1. holds N idle connections (sockets that connect and send nothing) and checks that new clients
   are still served while they are open, then that the server closes them (header timeout);
2. sends many hostile requests to the gateway and the control plane (lone surrogates, 5,000-digit
   numbers and seeds and ranges, invalid UTF-8, wrong types, oversize and unterminated headers,
   invalid-IDNA and self-pointing callback URLs) and counts the 5xx answers (must be 0);
3. creates jobs (every tenth with a webhook to a local receiver), drives the virtual clock until
   each is terminal, and counts jobs lost (0) and duplicate webhook deliveries (0);
4. reports the server's RSS before and after, the journal's own accounting, and the clock's health.

Prints one table and writes bench/reliability.json. ``--quick`` is CI-sized (seconds).
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
KEY = {"Authorization": "Bearer vm-dev-key"}
HUGE = "9" * 5000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_own_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Receiver:
    """A webhook receiver on loopback that counts deliveries per event id."""

    def __init__(self) -> None:
        self.events: dict[str, int] = {}
        lock = threading.Lock()
        events = self.events

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                self.rfile.read(length)
                with lock:
                    event = self.headers.get("webhook-id", "?")
                    events[event] = events.get(event, 0) + 1
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


class Server:
    def __init__(self, tmp: Path, *args: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (tmp / "serve.log").open("wb")
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vidmock", "serve", "--port", str(self.port), *args],
            env=env,
            stdout=self.log,
            stderr=self.log,
            preexec_fn=raise_own_fd_limit,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.base}/_vidmock/health", timeout=1)
                return
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("vidmock serve did not start") from None
                time.sleep(0.05)

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# -- 1. idle connections --------------------------------------------------------------------------
def hold_idle(server: Server, count: int) -> dict[str, Any]:
    sockets: list[socket.socket] = []
    for _ in range(count):
        try:
            sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        except OSError:
            break
    served = 0
    for _ in range(20):
        try:
            served += httpx.get(f"{server.base}/_vidmock/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            pass
    closed = 0
    deadline = time.monotonic() + 30
    for s in sockets:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            closed += s.recv(1) == b""
        except OSError:
            pass
        s.close()
    return {"idle_held": len(sockets), "new_clients_served": f"{served}/20", "idle_closed_by_server": closed}


# -- 2. hostile requests ------------------------------------------------------------------------------
def hostile_requests(rng: random.Random, port: int, base: str) -> list[tuple[str, str, dict[str, Any], bytes]]:
    own = f"http://127.0.0.1:{port}/_vidmock/reset"
    bodies = [
        b'{"prompt":"a\\ud800","seconds":4}',
        f'{{"prompt":"x","seconds":{HUGE}}}'.encode(),
        b'{"prompt":"x","seconds":1e400}',
        b"\xff\xfe\x00garbage",
        b"[" * 5000 + b"]" * 5000,
        json.dumps({"prompt": ["x", {"y": [None]}], "seconds": {"a": 1}}).encode(),
        json.dumps({"prompt": "x", "seconds": 4, "callback_url": "http://☃..com/", "callback_secret": "s"}).encode(),
        json.dumps({"prompt": "x", "seconds": 4, "callback_url": own, "callback_secret": "s"}).encode(),
        json.dumps({"prompt": "x", "seconds": 4, "size": "9" * 100, "n": 10**30}).encode(),
        "{}".encode("utf-16"),
    ]
    headers = [
        {"x-vidmock-seed": HUGE.encode()},
        {"x-vidmock-seed": "é²".encode()},
        {"x-vidmock-scenario": "\xff".encode("latin-1")},
        {"content-type": b"application/json; charset=utf-32"},
        {"x-request-id": b"\xff" * 300},
    ]
    out: list[tuple[str, str, dict[str, Any], bytes]] = []
    for body in bodies:
        out.append(("POST", "/v1/videos", {**KEY, **rng.choice(headers)}, body))
    for header in headers:
        out.append(("POST", "/v1/videos", {**KEY, **header}, b'{"prompt":"x","seconds":4}'))
    for path in ("/v1/videos/%ff", "/v1/videos/" + HUGE, "/v1/videos/logs/x/content?token=a.b.c", "/v1/videos/%00"):
        out.append(("GET", path, KEY, b""))
    for control in ('{"seconds": ' + HUGE + "}", '{"seconds": "\\ud800"}', '{"name": null, "provider": {"a": 1}}'):
        route = "/_vidmock/clock/advance" if "seconds" in control else "/_vidmock/scenario"
        out.append(("POST", route, {}, control.encode()))
    return out


def ranged_requests(video: str) -> list[tuple[str, str, dict[str, Any], bytes]]:
    ranges = [f"bytes={HUGE}-", f"bytes=0-{HUGE}", f"bytes=-{HUGE}", "bytes=٣-4", "bytes=5-1", "bytes=0-0,1-1"]
    return [("GET", f"/v1/videos/{video}/content", {**KEY, "range": r.encode()}, b"") for r in ranges]


def raw_socket_abuse(port: int) -> int:
    """Oversize and malformed heads straight on the socket; returns the 5xx seen."""
    heads = [
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(500)) + b"\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS hello on a plain port
    ]
    fives = 0
    for head in heads:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            try:
                s.sendall(head)
                status = s.recv(64)
            except OSError:
                continue
            fives += status[9:10] == b"5"
    return fives


def run_hostile(server: Server, rounds: int, rng: random.Random) -> dict[str, Any]:
    with httpx.Client(base_url=server.base, timeout=30) as c:
        video = c.post("/v1/videos", json={"prompt": "x", "seconds": 4}, headers=KEY).json()["id"]
        c.post("/_vidmock/clock/advance", json={"seconds": 600})
        requests = hostile_requests(rng, server.port, server.base) + ranged_requests(video)
        statuses: dict[int, int] = {}
        fives: list[str] = []
        sent = 0
        for _ in range(rounds):
            for method, path, headers, body in requests:
                r = c.request(method, path, headers=headers, content=body or None)
                sent += 1
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code >= 500:
                    fives.append(f"{method} {path[:40]} -> {r.status_code}")
            c.post("/_vidmock/clock/advance", json={"seconds": 60})
    raw_fives = raw_socket_abuse(server.port)
    return {
        "hostile_requests": sent + 4,
        "statuses": dict(sorted(statuses.items())),
        "5xx": len(fives) + raw_fives,
        "5xx_examples": fives[:5],
    }


# -- 3. jobs: lost and duplicates -------------------------------------------------------------------------
def run_jobs(server: Server, count: int, receiver: Receiver) -> dict[str, Any]:
    ids: list[str] = []
    hooked: set[str] = set()
    with httpx.Client(base_url=server.base, timeout=30) as c:
        for i in range(count):
            body: dict[str, Any] = {"prompt": f"job {i}", "seconds": 4}
            if i % 10 == 0:
                body |= {"callback_url": receiver.url, "callback_secret": "bench-secret"}
            r = c.post("/v1/videos", json=body, headers=KEY)
            assert r.status_code == 200, r.text
            ids.append(r.json()["id"])
            if i % 10 == 0:
                hooked.add(ids[-1])
        for _ in range(40):
            c.post("/_vidmock/clock/advance", json={"seconds": 60})
        jobs = {j["id"]: j for j in c.get("/_vidmock/jobs").json()["jobs"]}
        health = c.get("/_vidmock/health").json()
    lost = sum(1 for i in ids if i not in jobs or jobs[i]["status"] not in ("completed", "failed"))
    duplicates = sum(n - 1 for n in receiver.events.values() if n > 1)
    delivered = sum(1 for vid in hooked if receiver.events.get(f"evt_{vid}"))
    return {
        "jobs": count,
        "jobs_lost": lost,
        "webhooks_expected": len(hooked),
        "webhooks_delivered": delivered,
        "duplicate_deliveries": duplicates,
        "health": health,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI-sized run (seconds)")
    parser.add_argument("--idle", type=int, help="idle connections to hold (default 2000; quick 200)")
    parser.add_argument("--hostile", type=int, help="rounds of the hostile request set (default 50; quick 3)")
    parser.add_argument("--jobs", type=int, help="jobs to run (default 2000; quick 100)")
    args = parser.parse_args()
    idle = args.idle or (200 if args.quick else 2000)
    rounds = args.hostile or (3 if args.quick else 50)
    jobs = args.jobs or (100 if args.quick else 2000)
    raise_own_fd_limit()
    rng = random.Random(12)
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(
            Path(tmp), "--clock", "virtual", "--store", str(Path(tmp) / "s.sqlite"), "--header-timeout", "3"
        )
        try:
            rss_before = server.rss_mib()
            results: dict[str, Any] = {"rss_before_mib": round(rss_before, 1)}
            results |= hold_idle(server, idle)
            results |= run_hostile(server, rounds, rng)
            results |= run_jobs(server, jobs, receiver)
            results["rss_after_mib"] = round(server.rss_mib(), 1)
        finally:
            server.stop()
            receiver.close()
    health = results.pop("health")
    results["clock"] = {k: health["clock"][k] for k in ("driver", "timer_errors", "lag_seconds")}
    results["journal"] = health["journal"]
    width = max(len(k) for k in results)
    print(f"vidmock reliability ({'quick' if args.quick else 'full'})")
    for key, value in results.items():
        print(f"  {key:<{width}}  {value}")
    (BENCH / "reliability.json").write_text(json.dumps(results, indent=2) + "\n")
    ok = results["5xx"] == 0 and results["jobs_lost"] == 0 and results["duplicate_deliveries"] == 0
    ok = ok and results["webhooks_delivered"] == results["webhooks_expected"]
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
