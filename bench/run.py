"""vidmock's performance, measured against what a user would pick instead (issue 8).

Run: python bench/run.py [--quick] [--only http,cost,emulators,check,jobs,timing] [--rounds N] [--duration S]

Starts every server itself on loopback and prints one table with every figure, ratio and target,
then writes bench/results.json.

1. HTTP: throughput and latency of ``POST /v1/videos`` and ``GET /v1/videos/{id}`` on vidmock
   (``vidmock serve --clock virtual``), Stoplight Prism (``prism mock openapi.yaml``), WireMock (the
   jar in the ``wiremock`` npm package, stubs for the two routes) and a bare Starlette app (the
   framework floor, bench/floor_app.py). wrk runs on core 0, the server on core 1 (taskset). The
   rounds are interleaved (every server and route once per round, order rotated), figures are the
   median over rounds. Latency percentiles are MEASURED: stock wrk 4 folds synthetic samples into
   its histogram (coordinated-omission correction, applied before --latency and done() see it);
   bench/measured.lua inverts that step exactly in done() and checks that the histogram it recovers
   holds exactly one sample per completed request.
   Needs: /usr/bin/wrk, taskset; ``npm install --prefix bench @stoplight/prism-cli wiremock``
   (done on first run if missing) and java for WireMock.
2. cost: where a create's time goes inside the app (bench/create_cost.py): the gateway's own share
   and the upstream call to the emulator, against the per-request budget the POST targets leave
   once the floor's server and framework time is paid.
2b. emulators: every provider emulator served alone (``vidmock serve --provider NAME``), its create and
   status routes side by side with the bare-Starlette floor in one interleaved run, and the
   ``--workers`` scaling factor of one emulator's status route (bench/emulators.py).
3. check: wall time of a full ``vidmock check`` (defaults: every family, 25 schemathesis and 40 state machine
   examples, two projects) against ``vidmock serve --clock virtual`` over a loopback socket, as a ratio to the
   20 s budget (issue 15); the same run in one process (bench/check_inprocess.py) and its CPU seconds beside it.
4. jobs: 10,000 jobs created at once, driven to completion on the virtual clock, each with a webhook
   to a local receiver (bench/jobs_bench.py, in its own process so peak RSS is its own).
5. timing: scripted vs observed status-change times on the real clock (bench/timing_bench.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from floor_app import VIDEO  # one answer for the floor and WireMock's stub (bench/ is on sys.path)

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable
AUTH_HEADER = "Authorization: Bearer vm-dev-key"
POST_BODY = '{"prompt": "a red fox in snow", "seconds": 4}'
SERVER_CORE, LOAD_CORE = "1", "0"


# ----------------------------------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pinned(cmd: list[str], core: str) -> list[str]:
    return ["taskset", "-c", core, *cmd] if shutil.which("taskset") else cmd


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=2, headers=headers)
            return
        except httpx.TransportError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {' '.join(map(str, proc.args))}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer {url} within {timeout} s") from None
            time.sleep(0.1)


def loaded_modules(pid: int) -> dict[str, bool]:
    """Which event loop and HTTP parser the running server actually loaded (its memory map)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return {}
    return {"uvloop": "/uvloop/loop." in maps, "httptools": "/httptools/parser/parser." in maps}


def children_pid(proc: subprocess.Popen[bytes]) -> int:
    """The pid of the real server under a ``taskset`` wrapper (taskset execs, so the same pid)."""
    return proc.pid


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ----------------------------------------------------------------------------------------- servers
class Server:
    def __init__(
        self,
        name: str,
        cmd: list[str],
        ready: str,
        post: str,
        get: str | None,
        env: dict[str, str] | None = None,
        start_timeout: float = 60,
        warmup: float = 2,
        cwd: Path = ROOT,
        core: str | None = SERVER_CORE,
    ) -> None:
        self.name, self.cmd, self.ready, self.post, self.get = name, cmd, ready, post, get
        self.core = core  # None: not pinned (several worker processes)
        self.env = {**os.environ, **(env or {})}
        self.start_timeout, self.warmup, self.cwd = start_timeout, warmup, cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.info: dict[str, Any] = {}

    def start(self, work: Path) -> None:
        self.log_path = work / f"{self.name}.log"
        self.proc = subprocess.Popen(
            pinned(self.cmd, self.core) if self.core else self.cmd,
            cwd=self.cwd,
            env=self.env,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_http(self.ready, self.proc, self.start_timeout, headers={"Authorization": "Bearer vm-dev-key"})

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def make_servers(work: Path, names: list[str]) -> list[Server]:
    servers = []
    if "vidmock" in names:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        servers.append(
            Server(
                "vidmock",
                [PY, "-m", "vidmock", "serve", "--clock", "virtual", "--port", str(port)],
                f"{base}/_vidmock/health",
                f"{base}/v1/videos",
                None,
                env={"XDG_CACHE_HOME": str(work / "cache")},
            )
        )
    if "starlette-floor" in names:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        servers.append(
            Server(
                "starlette-floor",
                [PY, str(BENCH / "floor_app.py"), str(port)],
                f"{base}/v1/videos/x",
                f"{base}/v1/videos",
                f"{base}/v1/videos/{VIDEO['id']}",
            )
        )
    prism = BENCH / "node_modules" / ".bin" / "prism"
    if "prism" in names and prism.exists():
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # -v error: Prism logs every request at info level by default; silenced so it is not charged for it.
        servers.append(
            Server(
                "prism",
                [str(prism), "mock", str(ROOT / "openapi.yaml"), "-h", "127.0.0.1", "-p", str(port), "-v", "error"],
                f"{base}/v1/videos/{VIDEO['id']}",
                f"{base}/v1/videos",
                f"{base}/v1/videos/{VIDEO['id']}",
                warmup=3,
            )
        )
    jars = sorted((BENCH / "node_modules" / "wiremock").glob("**/wiremock-standalone-*.jar"))
    if "wiremock" in names and jars and shutil.which("java"):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        root = work / "wiremock"
        write_wiremock_stubs(root)
        # --no-request-journal: by default WireMock keeps every request in memory (unbounded growth
        # under load); turned off, as one does for load tests.
        servers.append(
            Server(
                "wiremock",
                [
                    "java",
                    "-jar",
                    str(jars[-1]),
                    "--port",
                    str(port),
                    "--bind-address",
                    "127.0.0.1",
                    "--root-dir",
                    str(root),
                    "--no-request-journal",
                    "--disable-banner",
                ],
                f"{base}/__admin/mappings",
                f"{base}/v1/videos",
                f"{base}/v1/videos/{VIDEO['id']}",
                warmup=8,
            )
        )
    return servers


def write_wiremock_stubs(root: Path) -> None:
    """The two routes as WireMock stubs: the same method, path, auth requirement and JSON answer."""
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    (root / "__files").mkdir(parents=True, exist_ok=True)
    auth = {"Authorization": {"matches": "Bearer .+"}}
    stubs = {
        "create": {
            "request": {
                "method": "POST",
                "urlPath": "/v1/videos",
                "headers": auth,
                "bodyPatterns": [{"matchesJsonPath": "$.prompt"}],
            },
            "response": {"status": 200, "jsonBody": VIDEO, "headers": {"Content-Type": "application/json"}},
        },
        "retrieve": {
            "request": {"method": "GET", "urlPathPattern": "/v1/videos/[^/]+", "headers": auth},
            "response": {"status": 200, "jsonBody": VIDEO, "headers": {"Content-Type": "application/json"}},
        },
    }
    for name, stub in stubs.items():
        (root / "mappings" / f"{name}.json").write_text(json.dumps(stub))


def ensure_npm_tools() -> None:
    if (BENCH / "node_modules" / ".bin" / "prism").exists() and list(
        (BENCH / "node_modules" / "wiremock").glob("**/*.jar")
    ):
        return
    if not shutil.which("npm"):
        log("npm not found: Prism and WireMock are skipped")
        return
    log("installing @stoplight/prism-cli and wiremock into bench/node_modules (npm) ...")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(BENCH), "@stoplight/prism-cli", "wiremock"],
        check=False,
        stdout=subprocess.DEVNULL,
    )


# ----------------------------------------------------------------------------------------- wrk
def wrk(
    url: str,
    method: str,
    duration: float,
    connections: int,
    work: Path,
    body: str | None = None,
    headers: list[str] | None = None,
) -> dict[str, Any]:
    out = work / "wrk.json"
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "WRK_METHOD": method,
        "WRK_BODY": body or "",
        "WRK_HEADERS": "|".join(headers or []),
        "WRK_CONNECTIONS": str(connections),
        "WRK_OUT": str(out),
    }
    cmd = pinned(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, int(round(duration)))}s",
            "--timeout",
            "10s",
            "-s",
            str(BENCH / "measured.lua"),
            url,
        ],
        LOAD_CORE,
    )
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed: {proc.stderr or proc.stdout}")
    data = json.loads(out.read_text())
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["non_2xx_or_errors"] = sum(data["errors"].values())
    return data


def http_section(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    if not shutil.which("wrk"):
        return {"skipped": "wrk not installed"}
    ensure_npm_tools()
    servers = make_servers(work, ["vidmock", "starlette-floor", "prism", "wiremock"])
    result: dict[str, Any] = {
        "servers": {},
        "rounds": args.rounds,
        "duration_s": args.duration,
        "connections": args.connections,
    }
    try:
        for s in servers:
            log(f"starting {s.name} ...")
            s.start(work)
            if s.name in ("vidmock", "starlette-floor") and s.proc:
                s.info["loaded"] = loaded_modules(children_pid(s.proc))
            if s.name == "vidmock":
                r = httpx.post(
                    s.post,
                    content=POST_BODY,
                    headers={"Authorization": "Bearer vm-dev-key", "Content-Type": "application/json"},
                )
                r.raise_for_status()
                s.get = s.post + "/" + r.json()["id"]
        plan = [(s, route) for s in servers for route in ("POST", "GET")]
        log("warm-up ...")
        for s, route in plan:
            run_route(s, route, s.warmup, args.connections, work)
        raw: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in range(args.rounds):
            order = plan[r % len(plan) :] + plan[: r % len(plan)]  # rotate: no server always goes first
            for s, route in order:
                log(f"round {r + 1}/{args.rounds}: {s.name} {route}")
                raw.setdefault((s.name, route), []).append(run_route(s, route, args.duration, args.connections, work))
        for s in servers:
            entry: dict[str, Any] = {**s.info}
            for route in ("POST", "GET"):
                runs = raw.get((s.name, route), [])
                entry[route] = {
                    "rps": median([x["rps"] for x in runs]),
                    "p50_ms": median([x["p50_us"] / 1000 for x in runs]),
                    "p99_ms": median([x["p99_us"] / 1000 for x in runs]),
                    "wrk_corrected_p99_ms": median([x["wrk_corrected_p99_us"] / 1000 for x in runs]),
                    "errors": sum(x["non_2xx_or_errors"] for x in runs),
                    "histogram_check": all(x["raw_count"] == x["requests"] for x in runs),
                    "runs": runs,
                }
            result["servers"][s.name] = entry
    finally:
        for s in servers:
            s.stop()
    return result


def run_route(s: Server, route: str, duration: float, connections: int, work: Path) -> dict[str, Any]:
    if route == "POST":
        return wrk(
            s.post, "POST", duration, connections, work, POST_BODY, [AUTH_HEADER, "Content-Type: application/json"]
        )
    assert s.get is not None
    return wrk(s.get, "GET", duration, connections, work, None, [AUTH_HEADER])


# ----------------------------------------------------------------------------------------- other sections
CHECK_BUDGET_S = 20.0  # issue 15 item 8: a full run against vidmock on the virtual clock
CHECK_KEYS = ("vm-dev-key", "vm-other-key")  # two projects: the cross-project checks (H) run too
CHECK_PROJECTS = (
    f"projects:\n  - {{id: proj_default, keys: [{CHECK_KEYS[0]}]}}\n  - {{id: proj_other, keys: [{CHECK_KEYS[1]}]}}\n"
)


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a live process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def check_over_socket(args: argparse.Namespace, work: Path, cache: Path, label: str) -> dict[str, Any]:
    """`vidmock serve --clock virtual` and `vidmock check` as two processes over loopback, as a user runs them."""
    config = work / "check-projects.yaml"
    config.write_text(CHECK_PROJECTS)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [PY, "-m", "vidmock", "serve", "--clock", "virtual", "--port", str(port), "--config", str(config)]
    # Not pinned: the client and the server share the machine's cores as they would for a user.
    server = Server(f"check-{label}", cmd, f"{base}/_vidmock/health", f"{base}/v1/videos", None, core=None)
    server.env["XDG_CACHE_HOME"] = str(cache)
    server.start(work)
    report = work / f"check-{label}.json"
    check = [PY, "-m", "vidmock", "check", "--base-url", base, "--json", str(report)]
    for key in CHECK_KEYS:
        check += ["--api-key", key]
    check += check_example_flags(args)
    try:
        assert server.proc is not None
        server_cpu0 = proc_cpu_s(server.proc.pid)
        cpu0, t0 = children_cpu_s(), time.perf_counter()
        try:
            proc = subprocess.run(check, capture_output=True, text=True, timeout=args.check_timeout, cwd=ROOT)
            rc: int | str = proc.returncode
            tail = (proc.stdout + proc.stderr)[-400:]
        except subprocess.TimeoutExpired:
            rc, tail = "timeout", ""
        wall = time.perf_counter() - t0
        client_cpu = children_cpu_s() - cpu0
        server_cpu1 = proc_cpu_s(server.proc.pid)
    finally:
        server.stop()
    out: dict[str, Any] = {
        "wall_s": round(wall, 2),
        "returncode": rc,
        "client_cpu_s": round(client_cpu, 2),
        "server_cpu_s": None if server_cpu0 is None or server_cpu1 is None else round(server_cpu1 - server_cpu0, 2),
    }
    try:
        data = json.loads(report.read_text())
        out["run_s"] = round(data["elapsed"], 2)  # inside the harness: without interpreter start and imports
        out["counts"] = data["counts"]["total"]
        out["failed"] = sorted(r["name"] for r in data["results"] if r["verdict"] == "failed")
    except (OSError, ValueError, KeyError):
        out["output_tail"] = tail
    return out


def check_in_process(args: argparse.Namespace, work: Path, cache: Path) -> dict[str, Any]:
    """The same run with the app served from the checking process itself (bench/check_inprocess.py)."""
    cmd = [PY, str(BENCH / "check_inprocess.py"), str(cache), *check_example_flags(args)]
    cpu0, t0 = children_cpu_s(), time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.check_timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {args.check_timeout:.0f} s"}
    wall, cpu = time.perf_counter() - t0, children_cpu_s() - cpu0
    try:
        out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"exit {proc.returncode}: {proc.stderr[-600:]}"}
    out["process_wall_s"], out["process_cpu_s"], out["returncode"] = round(wall, 2), round(cpu, 2), proc.returncode
    return out


def check_example_flags(args: argparse.Namespace) -> list[str]:
    # --quick: a smoke run of the section, not the figure (the budget is for the defaults, 25 and 40).
    return ["--max-examples", "5", "--lifecycle-examples", "5"] if args.quick else []


def check_section(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Wall time of a full ``vidmock check`` (defaults, every family, two projects) against a served vidmock on
    its virtual clock, over a loopback socket, against the 20 s budget; and the same run in one process.

    Rounds alternate socket and in-process runs. The first round renders every clip (an empty media cache,
    as on a fresh CI machine); later rounds reuse the clips, as a developer's repeated runs do. The figure
    is the median over the warm rounds (the cold one when there is only one). CPU seconds (client and
    server) are reported too: on a loaded machine the wall time follows the CPU the run needs."""
    probe = subprocess.run([PY, "-m", "vidmock", "check", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        return {"skipped": "`vidmock check` does not exist in this checkout yet"}
    cache = work / "check-cache"
    rounds = max(1, args.check_rounds)
    socket_runs: list[dict[str, Any]] = []
    inproc_runs: list[dict[str, Any]] = []
    for i in range(rounds):
        load = os.getloadavg()[0]
        log(f"   round {i + 1}/{rounds} (load average {load:.2f}): over a socket")
        socket_runs.append({"load_1m": round(load, 2), **check_over_socket(args, work, cache, str(i))})
        log(f"   round {i + 1}/{rounds}: in one process")
        inproc_runs.append(check_in_process(args, work, cache))
    warm_socket = socket_runs[1:] or socket_runs
    warm_inproc = [r for r in inproc_runs[1:] or inproc_runs if "process_wall_s" in r]
    wall = round(median([r["wall_s"] for r in warm_socket]), 2)
    cpu = [r["client_cpu_s"] + r["server_cpu_s"] for r in warm_socket if r.get("server_cpu_s") is not None]
    return {
        "quick": args.quick,
        "budget_s": CHECK_BUDGET_S,
        "wall_s": wall,
        "ratio_to_budget": round(wall / CHECK_BUDGET_S, 2),
        "cold_wall_s": socket_runs[0]["wall_s"],
        "cpu_s": round(median(cpu), 2) if cpu else None,
        "in_process_wall_s": round(median([r["process_wall_s"] for r in warm_inproc]), 2) if warm_inproc else None,
        "returncode": next((r["returncode"] for r in socket_runs if r["returncode"] != 0), 0),
        "socket_runs": socket_runs,
        "in_process_runs": inproc_runs,
    }


def check_lines(check: dict[str, Any]) -> list[str]:
    if "wall_s" not in check:
        return ["Conformance: " + (check.get("skipped") or check.get("error") or "no figure")]
    lines = [
        f"Conformance: a full vidmock check (every family, two projects{', --quick' if check['quick'] else ''}) "
        f"against vidmock on its virtual clock: {check['wall_s']} s over a socket = "
        f"{check['ratio_to_budget']:.2f} of the {check['budget_s']:.0f} s budget (exit {check['returncode']}); "
        f"{check['in_process_wall_s']} s in one process; first run with an empty media cache {check['cold_wall_s']} s; "
        f"{check['cpu_s']} CPU s (client + server)"
    ]
    for i, (sock, inproc) in enumerate(zip(check["socket_runs"], check["in_process_runs"], strict=True)):
        lines.append(
            f"  round {i + 1} (load {sock['load_1m']:.2f}): socket {sock['wall_s']} s (run {sock.get('run_s')} s, "
            f"CPU client {sock['client_cpu_s']} s + server {sock['server_cpu_s']} s, failed {sock.get('failed')}); "
            f"in one process {inproc.get('process_wall_s', inproc.get('error'))} s"
        )
    return lines


def run_json(cmd: list[str], timeout: float) -> dict[str, Any]:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr[-800:]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def jobs_section(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    result = run_json([PY, str(BENCH / "jobs_bench.py"), "--jobs", str(args.jobs)], args.jobs_timeout)
    result.setdefault("jobs", args.jobs)
    result["process_wall_s"] = round(time.perf_counter() - t0, 1)
    return result


def cost_section(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    return run_json([PY, str(BENCH / "create_cost.py"), "--requests", "1000" if args.quick else "4000"], 300)


def emulators_section(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import emulators  # bench/emulators.py (bench/ is on sys.path: it is this script's directory)

    # 13 emulators x 2 routes + the floor + the scaling pair: at most 5 s a run keeps the section near 10 min.
    ns = argparse.Namespace(**{**vars(args), "duration": min(args.duration, 5.0)})
    emulators.resolve_providers(ns)
    return emulators.section(ns, work)


def timing_section(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    return run_json([PY, str(BENCH / "timing_bench.py"), "--jobs", str(args.timing_jobs)], 600)


# ----------------------------------------------------------------------------------------- report
def verdict(ok: bool | None) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "FAIL")


def report(results: dict[str, Any]) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []
    lines: list[str] = []
    http = results.get("http", {})
    servers = http.get("servers", {})
    if servers:
        lines.append(
            f"HTTP ({http['rounds']} interleaved rounds x {http['duration_s']} s, wrk -t1 -c{http['connections']} "
            f"on core {LOAD_CORE}, server on core {SERVER_CORE}; medians over rounds)"
        )
        lines.append(
            "  latency = MEASURED per-request percentiles (wrk's coordinated-omission correction undone, "
            "bench/measured.lua); 'wrk p99' = what stock wrk --latency would print"
        )
        lines.append(f"  {'server':<16}{'route':<6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'wrk p99':>9}{'errors':>8}")
        for name, entry in servers.items():
            for route in ("POST", "GET"):
                e = entry[route]
                lines.append(
                    f"  {name:<16}{route:<6}{e['rps']:>9.0f}{e['p50_ms']:>9.2f}{e['p99_ms']:>9.2f}"
                    f"{e['wrk_corrected_p99_ms']:>9.2f}{e['errors']:>8}"
                )
        vm = servers.get("vidmock")
        if vm:
            lines.append(
                f"  vidmock loaded: {vm.get('loaded')} (uvicorn auto-selects uvloop + httptools when installed)"
            )
            for route in ("POST", "GET"):
                v = vm[route]
                for other, key, want, label in (
                    ("prism", "rps", 3.0, ">= 3x Prism throughput"),
                    ("starlette-floor", "rps", 0.6, ">= 60% of bare-Starlette throughput"),
                ):
                    if other in servers:
                        ratio = v[key] / servers[other][route][key]
                        targets.append({"target": f"{route} {label}", "value": f"{ratio:.2f}x", "ok": ratio >= want})
                    else:
                        targets.append({"target": f"{route} {label}", "value": f"{other} not run", "ok": None})
                if "wiremock" in servers:
                    w = servers["wiremock"][route]["p99_ms"]
                    targets.append(
                        {
                            "target": f"{route} p99 below WireMock's",
                            "ok": v["p99_ms"] < w,
                            "value": f"{v['p99_ms']:.2f} ms vs {w:.2f} ms",
                        }
                    )
                else:
                    targets.append({"target": f"{route} p99 below WireMock's", "value": "wiremock not run", "ok": None})
                if route == "POST":  # issue 17, item 5: the gateway's create after the provider redesign
                    floor_post = servers.get("starlette-floor", {}).get("POST", {}).get("rps")
                    prism_post = servers.get("prism", {}).get("POST", {}).get("rps")
                    for label, base, want in (("the floor", floor_post, 0.33), ("Prism", prism_post, 1.5)):
                        targets.append(
                            {
                                "target": f"POST >= {want}x {label} (issue 17)",
                                "value": f"{v['rps'] / base:.2f}x" if base else "not run",
                                "ok": v["rps"] / base >= want if base else None,
                            }
                        )
                    targets.append(
                        {
                            "target": "POST p99 < 10 ms (issue 17)",
                            "value": f"{v['p99_ms']:.2f} ms",
                            "ok": v["p99_ms"] < 10,
                        }
                    )
                if v["errors"]:
                    targets.append(
                        {"target": f"{route}: no errors / non-2xx under load", "ok": False, "value": str(v["errors"])}
                    )
    cost = results.get("cost")
    if cost and "error" not in cost:
        lines.append("")
        lines.append(
            f"Inside the app (bench/create_cost.py, no socket): POST {cost['post_us']:.0f} us = gateway "
            f"{cost['post_without_upstream_us']:.0f} us + upstream call to the emulator {cost['upstream_us']:.0f} us; "
            f"GET {cost['get_us']:.0f} us"
        )
        floor = servers.get("starlette-floor", {}).get("POST", {}).get("rps")
        prism = servers.get("prism", {}).get("POST", {}).get("rps")
        if floor and prism:
            need = max(3 * prism, 0.6 * floor)
            budget = (1 / need - 1 / floor) * 1e6
            lines.append(
                f"  POST targets need {need:.0f} req/s: the floor's server and framework take "
                f"{1e6 / floor:.0f} us a request, which leaves {budget:.0f} us for the app (it spends "
                f"{cost['post_us']:.0f} us; {cost['post_without_upstream_us']:.0f} us without the upstream call)"
            )
    elif cost:
        lines.append(f"Inside the app: {cost['error']}")
    emu = results.get("emulators")
    if emu:
        import emulators

        lines.append("")
        lines.extend(emulators.report_lines(emu))
        targets.extend(emulators.targets_met(emu))
    check = results.get("check")
    if check:
        lines.append("")
        lines.extend(check_lines(check))
        if "wall_s" in check:
            targets.append(
                {
                    "target": f"full vidmock check over a socket < {CHECK_BUDGET_S:.0f} s"
                    + (" (--quick: 5 and 5 examples, not the defaults)" if check["quick"] else ""),
                    "ok": check["wall_s"] < CHECK_BUDGET_S and check["returncode"] == 0,
                    "value": f"{check['wall_s']} s ({check['ratio_to_budget']:.2f} of the budget)",
                }
            )
    jobs = results.get("jobs")
    if jobs:
        lines.append("")
        if "error" in jobs:
            lines.append(f"Jobs ({jobs['jobs']}): {jobs['error']}")
            targets.append({"target": f"{jobs['jobs']} jobs in < 30 s", "ok": False, "value": jobs["error"]})
        else:
            lines.append(
                f"Jobs: {jobs['created']}/{jobs['jobs']} created in {jobs['create_s']} s, driven to completion in "
                f"{jobs['drive_s']} s (wall {jobs['wall_s']} s); statuses {jobs['job_statuses']}; "
                f"peak RSS {jobs['peak_rss_mib']} MiB; deliveries {jobs['deliveries_received']}, lost "
                f"{jobs['deliveries_lost']}, duplicates {jobs['duplicate_deliveries']}, bad signatures "
                f"{jobs['bad_signatures']}"
            )
            scale = "" if jobs["jobs"] >= 10_000 else f" (measured with {jobs['jobs']} jobs, not 10,000)"
            targets.append(
                {
                    "target": "10,000 jobs in < 30 s" + scale,
                    "ok": jobs["wall_s"] < 30 and jobs["jobs"] >= 10_000,
                    "value": f"{jobs['wall_s']} s",
                }
            )
            targets.append(
                {
                    "target": "10,000 jobs in < 300 MB" + scale,
                    "ok": jobs["peak_rss_mib"] < 300 and jobs["jobs"] >= 10_000,
                    "value": f"{jobs['peak_rss_mib']} MiB peak RSS",
                }
            )
            targets.append(
                {
                    "target": "deliveries lost = 0",
                    "ok": jobs["deliveries_lost"] == 0 and jobs["created"] == jobs["jobs"],
                    "value": str(jobs["deliveries_lost"]),
                }
            )
    timing = results.get("timing")
    if timing:
        lines.append("")
        if "error" in timing:
            lines.append(f"Timing: {timing['error']}")
        else:
            lines.append(
                f"Timing (real clock, scripted render {timing['latency_s']} s; observed - scripted, "
                f"client polls every {timing['client_poll_ms']:.0f} ms):"
            )
            for key, label in (
                ("provider_emulator", "provider emulator (fetchPredictOperation)"),
                ("gateway_default", "gateway, worker poll 5 s (quantised by design)"),
                ("gateway_fast_worker", "gateway, worker poll 0.05 s"),
            ):
                if key in timing:
                    t = timing[key]
                    lines.append(f"  {label:<48} p50 {t['p50_ms']:>8.1f} ms  p99 {t['p99_ms']:>8.1f} ms  (n={t['n']})")
            p = timing.get("provider_emulator")
            if p:
                targets.append(
                    {
                        "target": "scripted timing error p99 < 50 ms (provider emulator)",
                        "ok": abs(p["p99_ms"]) < 50 and (p["max_abs_ms"] or 0) < 50,
                        "value": f"p99 {p['p99_ms']} ms, max |error| {p['max_abs_ms']} ms",
                    }
                )
    lines.append("")
    lines.append("Targets:")
    for t in targets:
        lines.append(f"  [{verdict(t['ok'])}] {t['target']}: {t['value']}")
    print("\n".join(lines))
    return targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short run: 2 rounds x 3 s, 500 jobs, 4 timing jobs")
    parser.add_argument("--only", default="http,cost,emulators,check,jobs,timing", help="comma-separated sections")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--jobs-timeout", type=float, default=1800)
    parser.add_argument("--timing-jobs", type=int, default=None)
    parser.add_argument("--check-timeout", type=float, default=1800)
    parser.add_argument("--check-rounds", type=int, default=None, help="check section rounds (default 3, --quick 1)")
    parser.add_argument("--out", default=str(BENCH / "results.json"))
    import emulators

    emulators.add_arguments(parser)  # --workers, --workers-provider, --store, --providers
    args = parser.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.jobs = args.jobs or (500 if args.quick else 10_000)
    args.timing_jobs = args.timing_jobs or (4 if args.quick else 12)
    args.check_rounds = args.check_rounds or (1 if args.quick else 3)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="vidmock-bench-"))
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_start": os.getloadavg(),
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "quick": args.quick,
    }
    for name, fn in (
        ("http", http_section),
        ("cost", cost_section),
        ("emulators", emulators_section),
        ("check", check_section),
        ("jobs", jobs_section),
        ("timing", timing_section),
    ):
        if name in sections:
            log(f"== {name}")
            t0 = time.perf_counter()
            try:
                results[name] = fn(args, work)
            except Exception as exc:  # one broken section must not lose the others' figures
                results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            results[name]["section_wall_s"] = round(time.perf_counter() - t0, 1)
    results["machine"]["loadavg_end"] = os.getloadavg()
    print()
    results["targets"] = report(results)
    print(
        f"\n(load average {results['machine']['loadavg_start'][0]:.2f} at start, "
        f"{results['machine']['loadavg_end'][0]:.2f} at end, on {os.cpu_count()} CPUs; other work on the machine "
        "moves absolute figures, the interleaved ratios much less)"
    )
    Path(args.out).write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
