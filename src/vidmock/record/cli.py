"""``vidmock record``: proxy a provider's real API, then write what each job did as a scenario.

Registered by the main CLI (``vidmock.cli.COMMAND_MODULES``) through ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

EPILOG = """\
Point your client (or your gateway's base URL for that provider) at the recorder; it forwards every
request to --upstream with your own key, over your own network. Stop it with Ctrl-C: each recorded
job is written as a scenario (--out, then --out with -2, -3, ... for more jobs), which replays the
job's timeline, failed answers and error offline:

  vidmock record --provider bytedance --upstream https://ark.ap-southeast.bytepluses.com \\
      --out scenarios/my-case.yaml
  vidmock serve --config vidmock.yaml      # with scenarios_dir: scenarios
  curl ... -H 'X-Vidmock-Scenario: my-case'

Secrets are never written: no header reaches the file.

exit codes: 0 stopped and written · 1 nothing recorded · 2 bad usage · 3 cannot listen
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "record",
        help="proxy a provider's real API and write each job it saw as a replayable scenario",
        description="Record a provider's real answers and write them as vidmock scenarios.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--provider", required=True, help="provider id (vidmock serve --help lists them)")
    p.add_argument("--upstream", required=True, metavar="URL", help="the provider's real base URL")
    p.add_argument("--out", required=True, metavar="FILE", help="scenario file to write (name = file stem)")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=4003, help="port (default 4003)")
    p.set_defaults(handler=run)


def _problems(args: argparse.Namespace) -> list[str]:
    from ..providers.registry import PLUGINS

    out = []
    if args.provider not in PLUGINS:
        out.append(f"--provider: expected one of {', '.join(sorted(PLUGINS))}, got {args.provider!r}")
    if not args.upstream.startswith(("http://", "https://")):
        out.append(f"--upstream: expected an http:// or https:// URL, got {args.upstream!r}")
    if not 1 <= args.port <= 65535:
        out.append(f"--port: expected a number from 1 to 65535, got {args.port}")
    if not args.out.endswith((".yaml", ".yml")):
        out.append(f"--out: expected a .yaml file name, got {args.out!r}")
    return out


def run(args: argparse.Namespace) -> int:
    problems = _problems(args)
    if problems:
        print(f"vidmock record: {len(problems)} problem(s):", *(f"  {p}" for p in problems), sep="\n", file=sys.stderr)
        return 2
    import httpx
    import uvicorn

    from ..netaddr import bind
    from .proxy import Recorder
    from .scenario import build_scenarios, write_scenarios

    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(f"vidmock record: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 3
    # The recorder's clock is the wall: it times a real provider's real job.
    recorder = Recorder(httpx.AsyncClient(timeout=120), args.upstream, now=time.time)
    print(
        f"vidmock record: forwarding http://{args.host}:{args.port}/ to {args.upstream} ({args.provider}); "
        f"Ctrl-C writes {args.out}",
        file=sys.stderr,
        flush=True,
    )
    server = uvicorn.Server(uvicorn.Config(recorder, log_level="warning", lifespan="off"))
    # uvicorn shuts down on SIGINT/SIGTERM, then re-raises the signal against the handler it found:
    # handlers that just return let the scenarios be written after it (as `vidmock listen` does).
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    docs = asyncio.run(build_scenarios(recorder.exchanges, args.provider, args.upstream))
    if not docs:
        print(
            f"vidmock record: {len(recorder.exchanges)} exchange(s), no job recorded; nothing written", file=sys.stderr
        )
        return 1
    for path in write_scenarios(docs, args.provider, Path(args.out)):
        print(f"vidmock record: wrote {path}", file=sys.stderr)
    return 0


def _stopped(signum: int, frame: FrameType | None) -> None:
    """Only reached after uvicorn has shut down; the scenarios are written next."""
