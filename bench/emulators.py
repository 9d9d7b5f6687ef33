"""The provider emulators as load targets (issue 17, item 4).

Run: python bench/emulators.py [--quick] [--only NAME,...] [--workers N] [--store FILE] [--rounds N] [--duration S]
(or ``python bench/run.py --only emulators``, which prints the same table with the other sections).

Each emulator is served alone, as a team points its own gateway at it
(``vidmock serve --provider NAME --clock virtual --port P``), next to the bare-Starlette floor
(bench/floor_app.py). Two routes each, in the provider's own wire format and auth:

* ``create``: the provider's submit call with a valid body (the bodies the provider tests use);
* ``status``: the provider's poll of one job created before the run (the path its create answer names).

ONE interleaved run: every round runs every (server, route) pair once, the order rotated each round
so no server always goes first; figures are medians over rounds and ratios are against the floor's
same-kind route in the same run (create vs the floor's POST, status vs its GET). wrk, taskset and the
measured percentiles are bench/run.py's (bench/measured.lua undoes wrk's coordinated-omission step).

``--workers N`` adds a scaling figure: one emulator's status route (``--workers-provider``, OpenAI by
default) on ``--workers N`` processes against one process, both ``--store FILE`` (SQLite) and the real
clock, as ``--workers`` requires. ``vidmock serve --workers`` serves the gateway app, so that route is
reached through the gateway's mount of the emulator (``/providers/NAME/…``); neither server is pinned
to a core, so on a 2-core machine shared with wrk the factor is bounded by the machine, not the code.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # bench/ is not a package: its scripts import each other by file name
    AUTH_HEADER,
    BENCH,
    POST_BODY,
    PY,
    VIDEO,
    Server,
    free_port,
    loaded_modules,
    log,
    median,
    wrk,
)

JSON = dict[str, Any]


@dataclass(frozen=True)
class Probe:
    """A provider's valid create call and how its answer names the status path."""

    create_path: str
    body: JSON
    status: Callable[[JSON], str]
    status_body: Callable[[JSON], JSON] | None = None  # a poll that is a POST (Vertex's fetchPredictOperation)


PROBES: dict[str, Probe] = {
    "google-vertex": Probe(
        "/v1/projects/p1/locations/us-central1/publishers/google/models/veo-3.1-fast-generate-001:predictLongRunning",
        {"instances": [{"prompt": "a fox"}], "parameters": {"durationSeconds": 4, "aspectRatio": "9:16"}},
        lambda r: (
            "/v1/projects/p1/locations/us-central1/publishers/google/models/"
            "veo-3.1-fast-generate-001:fetchPredictOperation"
        ),
        lambda r: {"operationName": r["name"]},
    ),
    "openai": Probe("/v1/videos", {"prompt": "a fox"}, lambda r: f"/v1/videos/{r['id']}"),
    "bytedance": Probe(
        "/api/v3/contents/generations/tasks",
        {"model": "seedance-1-0-lite-t2v-250428", "content": [{"type": "text", "text": "a fox"}]},
        lambda r: f"/api/v3/contents/generations/tasks/{r['id']}",
    ),
    "atlascloud": Probe(
        "/api/v1/model/generateVideo",
        {"model": "kwaivgi/kling-v3.0-std/text-to-video", "prompt": "a red fox", "duration": 5, "aspect_ratio": "16:9"},
        lambda r: f"/api/v1/model/prediction/{r['data']['id']}",
    ),
    "minimax": Probe(
        "/v1/video_generation",
        {"model": "MiniMax-Hailuo-2.3", "prompt": "a koi pond", "duration": 6, "resolution": "768P"},
        lambda r: f"/v1/query/video_generation?task_id={r['task_id']}",
    ),
    "xai": Probe(
        "/v1/videos/generations",
        {"model": "grok-imagine-video", "prompt": "a red fox in snow", "size": "848x480", "duration": 2},
        lambda r: f"/v1/videos/{r['request_id']}",
    ),
    "alibaba": Probe(
        "/api/v1/services/aigc/video-generation/video-synthesis",
        {"model": "wanx2.1-t2v-turbo", "input": {"prompt": "a koi pond"}, "parameters": {"size": "832*480"}},
        lambda r: f"/api/v1/tasks/{r['output']['task_id']}",
    ),
    "google-ai-studio": Probe(
        "/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning",
        {"instances": [{"prompt": "a fox"}], "parameters": {"durationSeconds": 4, "aspectRatio": "9:16"}},
        lambda r: f"/v1beta/{r['name']}",
    ),
    "avalanche": Probe(
        "/api/v1/veo/generate",
        {"prompt": "a fox", "model": "veo3_fast", "aspect_ratio": "16:9"},
        lambda r: f"/api/v1/veo/record-info?taskId={r['data']['taskId']}",
    ),
    "luma": Probe(
        "/dream-machine/v1/generations",
        {"model": "ray-flash-2", "prompt": "a red fox in snow", "resolution": "540p"},
        lambda r: f"/dream-machine/v1/generations/{r['id']}",
    ),
    "fal": Probe(
        "/fal-ai/kling-video/v2/master/text-to-video",
        {"prompt": "a red fox in snow", "duration": "5", "aspect_ratio": "16:9"},
        lambda r: _path_of(r["status_url"]),
    ),
    "runway": Probe(
        "/v1/text_to_video",
        {"model": "gen4.5", "promptText": "a red fox in snow", "ratio": "1280:720", "duration": 5},
        lambda r: f"/v1/tasks/{r['id']}",
    ),
    "kling": Probe(
        "/v1/videos/text2video",
        {"model_name": "kling-v1", "prompt": "a red fox in snow", "duration": "5"},
        lambda r: f"/v1/videos/text2video/{r['data']['task_id']}",
    ),
}
ROUTES = ("create", "status")
FLOOR = "starlette-floor"


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Call:
    method: str
    url: str
    headers: list[str]
    body: str | None = None


@dataclass
class Target:
    """One server under load and the calls made to it."""

    name: str
    server: Server
    provider: str | None  # None: the floor
    prefix: str = ""  # where the emulator is mounted ("/providers/NAME" through the gateway)
    routes: tuple[str, ...] = ROUTES
    calls: dict[str, Call] = field(default_factory=dict)


def example_headers(provider: str) -> dict[str, str]:
    """Credentials a fresh emulator accepts, from the emulator itself (Kling's are a JWT signed on
    the virtual clock, which starts at the same instant in this process and in the server)."""
    from vidmock.config import ServerConfig
    from vidmock.server import build_provider_app

    app = build_provider_app(
        ServerConfig(clock="virtual", media_cache=tempfile.mkdtemp(prefix="vidmock-bench-")), provider
    )
    headers: dict[str, str] = app.state.vidmock.emulators[provider].emulator.example_headers()
    return headers


def prepare(target: Target) -> None:
    """Learn the target's calls: a real create on the running server gives the status path."""
    base = "/".join(target.server.ready.split("/", 3)[:3]) + target.prefix  # scheme://host:port
    if target.provider is None:
        target.calls = {
            "create": Call("POST", base + "/v1/videos", [AUTH_HEADER, "Content-Type: application/json"], POST_BODY),
            "status": Call("GET", f"{base}/v1/videos/{VIDEO['id']}", [AUTH_HEADER]),
        }
        return
    probe = PROBES[target.provider]
    headers = example_headers(target.provider)
    body = json.dumps(probe.body)
    r = httpx.post(base + probe.create_path, content=body, headers={**headers, "Content-Type": "application/json"})
    if r.status_code >= 300:
        raise RuntimeError(f"{target.name}: create answered {r.status_code}: {r.text[:300]}")
    created = r.json()
    status_url = base + probe.status(created)
    status_body = None if probe.status_body is None else json.dumps(probe.status_body(created))
    if status_body is None:
        s = httpx.get(status_url, headers=headers)
    else:
        s = httpx.post(status_url, content=status_body, headers={**headers, "Content-Type": "application/json"})
    if s.status_code >= 300:
        raise RuntimeError(f"{target.name}: status answered {s.status_code}: {s.text[:300]}")
    wire = [f"{k}: {v}" for k, v in headers.items()]
    target.calls = {
        "create": Call("POST", base + probe.create_path, [*wire, "Content-Type: application/json"], body),
        "status": Call("GET", status_url, wire)
        if status_body is None
        else Call("POST", status_url, [*wire, "Content-Type: application/json"], status_body),
    }


def make_targets(args: argparse.Namespace, work: Path) -> list[Target]:
    env = {"XDG_CACHE_HOME": str(work / "cache")}
    targets = []
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    floor = Server(FLOOR, [PY, str(BENCH / "floor_app.py"), str(port)], f"{base}/v1/videos/x", "", None)
    targets.append(Target(FLOOR, floor, None))
    for name in args.providers:
        port = free_port()
        cmd = [PY, "-m", "vidmock", "serve", "--provider", name, "--clock", "virtual", "--port", str(port)]
        server = Server(name, cmd, f"http://127.0.0.1:{port}/_vidmock/health", "", None, env=env)
        targets.append(Target(name, server, name))
    if args.workers > 1:
        provider = args.workers_provider
        for n in (1, args.workers):
            port = free_port()
            store = f"{args.store}.{n}" if args.store else str(work / f"workers-{n}.sqlite")
            cmd = [PY, "-m", "vidmock", "serve", "--clock", "real", "--store", store, "--port", str(port)]
            cmd += ["--workers", str(n)] if n > 1 else []
            name = f"{provider} x{n} proc"
            server = Server(name, cmd, f"http://127.0.0.1:{port}/_vidmock/health", "", None, env=env, core=None)
            targets.append(Target(name, server, provider, prefix=f"/providers/{provider}", routes=("status",)))
    return targets


def run_call(call: Call, duration: float, connections: int, work: Path) -> JSON:
    return wrk(call.url, call.method, duration, connections, work, call.body, call.headers)


def section(args: argparse.Namespace, work: Path) -> JSON:
    targets = make_targets(args, work)
    result: JSON = {
        "rounds": args.rounds,
        "duration_s": args.duration,
        "connections": args.connections,
        "workers": args.workers,
        "targets": {},
    }
    try:
        for t in targets:
            log(f"starting {t.name} ...")
            t.server.start(work)
            prepare(t)
            if t.server.proc is not None:
                t.server.info["loaded"] = loaded_modules(t.server.proc.pid)
        plan = [(t, route) for t in targets for route in t.routes]
        log("warm-up ...")
        for t, route in plan:
            run_call(t.calls[route], min(2.0, args.duration), args.connections, work)
        raw: dict[tuple[str, str], list[JSON]] = {}
        for r in range(args.rounds):
            shift = (r * max(1, len(plan) // args.rounds)) % len(plan)
            order = plan[shift:] + plan[:shift]  # rotate: no server always goes first
            for t, route in order:
                log(f"round {r + 1}/{args.rounds}: {t.name} {route}")
                raw.setdefault((t.name, route), []).append(
                    run_call(t.calls[route], args.duration, args.connections, work)
                )
        for t in targets:
            entry: JSON = {"provider": t.provider, **t.server.info}
            for route in t.routes:
                runs = raw.get((t.name, route), [])
                entry[route] = {
                    "method": t.calls[route].method,
                    "url": t.calls[route].url,
                    "rps": median([x["rps"] for x in runs]),
                    "p50_ms": median([x["p50_us"] / 1000 for x in runs]),
                    "p99_ms": median([x["p99_us"] / 1000 for x in runs]),
                    "errors": sum(x["non_2xx_or_errors"] for x in runs),
                    "histogram_check": all(x["raw_count"] == x["requests"] for x in runs),
                    "rps_runs": [round(x["rps"]) for x in runs],
                }
            result["targets"][t.name] = entry
    finally:
        for t in targets:
            t.server.stop()
    add_ratios(result)
    return result


def add_ratios(result: JSON) -> None:
    targets = result["targets"]
    floor = targets.get(FLOOR)
    if not floor:
        return
    for name, entry in targets.items():
        for route in ROUTES:
            if route in entry and name != FLOOR:
                entry[route]["vs_floor"] = entry[route]["rps"] / floor[route]["rps"]
    one = [e for n, e in targets.items() if n.endswith(" x1 proc")]
    many = [e for n, e in targets.items() if n.endswith(" proc") and not n.endswith(" x1 proc")]
    if one and many:
        result["scaling"] = {
            "provider": many[0]["provider"],
            "workers": result["workers"],
            "factor": many[0]["status"]["rps"] / one[0]["status"]["rps"],
        }


def report_lines(result: JSON) -> list[str]:
    if "error" in result:
        return [f"Emulators: {result['error']}"]
    lines = [
        f"Provider emulators ({result['rounds']} interleaved rounds x {result['duration_s']} s, "
        f"wrk -t1 -c{result['connections']}; medians over rounds; x = req/s over the floor's same route, same run)",
        f"  {'server':<22}{'create/s':>9}{'p50':>7}{'p99':>7}{'x':>6}   {'status/s':>9}{'p50':>7}{'p99':>7}{'x':>6}",
    ]
    for name, e in result["targets"].items():
        cells = []
        for route in ROUTES:
            if route not in e:
                cells.append(f"{'':>9}{'':>7}{'':>7}{'':>6}")
                continue
            r = e[route]
            x = f"{r['vs_floor']:.2f}" if "vs_floor" in r else "1.00"
            err = "!" if r["errors"] else ""
            cells.append(f"{r['rps']:>9.0f}{r['p50_ms']:>7.2f}{r['p99_ms']:>7.2f}{x:>5}{err:1}")
        lines.append(f"  {name:<22}{cells[0]}   {cells[1]}")
    lines.append("  (latency in ms, measured per request; '!' = errors or non-2xx answers in that route's runs)")
    scaling = result.get("scaling")
    if scaling:
        lines.append(
            f"  --workers {scaling['workers']} over one process ({scaling['provider']} status, gateway mount, "
            f"SQLite store, real clock, unpinned): {scaling['factor']:.2f}x"
        )
    return lines


def targets_met(result: JSON) -> list[JSON]:
    """Issue 17's emulator target, as a ratio from this run (never an absolute figure)."""
    out = []
    for name, e in result.get("targets", {}).items():
        if name == FLOOR or name.endswith(" proc") or "status" not in e:
            continue
        x = e["status"].get("vs_floor")
        if x is not None:
            out.append({"target": f"{name} status >= 0.5x the floor", "value": f"{x:.2f}x", "ok": x >= 0.5})
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=2, help="the scaling run's process count (0 or 1: skip it)")
    parser.add_argument("--workers-provider", default="openai")
    parser.add_argument("--store", default=None, help="SQLite file prefix for the scaling run (default: a temp dir)")
    parser.add_argument("--providers", default="", help="comma-separated emulators (default: all)")


def resolve_providers(args: argparse.Namespace) -> None:
    chosen = [p.strip() for p in (args.providers or "").split(",") if p.strip()] or list(PROBES)
    unknown = [p for p in chosen if p not in PROBES]
    if unknown:
        raise SystemExit(f"unknown provider(s): {', '.join(unknown)}; expected some of {', '.join(PROBES)}")
    args.providers = chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 rounds x 2 s")
    parser.add_argument("--only", default="", help="comma-separated emulators (same as --providers)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", default=str(BENCH / "emulators.json"))
    add_arguments(parser)
    args = parser.parse_args()
    args.providers = args.providers or args.only
    resolve_providers(args)
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.duration = args.duration or (2.0 if args.quick else 5.0)
    work = Path(tempfile.mkdtemp(prefix="vidmock-bench-emulators-"))
    t0 = time.perf_counter()
    result = section(args, work)
    result["section_wall_s"] = round(time.perf_counter() - t0, 1)
    print("\n".join(report_lines(result)))
    for t in targets_met(result):
        print(f"  [{'PASS' if t['ok'] else 'FAIL'}] {t['target']}: {t['value']}")
    Path(args.out).write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
