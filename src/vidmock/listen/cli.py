"""``vidmock listen``: a local webhook receiver for development and CI.

Registered by the main CLI (``vidmock.cli.COMMAND_MODULES``) through ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from ..netaddr import bind
from ..webhooks import SCHEMES
from ..webhooks.schemes import mask_secret
from .display import HEADER, print_delivery
from .receiver import Receiver
from .record import Delivery
from .script import GRAMMAR, ResponseScript, ScriptError
from .serve import base_url, make_server

ENV_SECRET = "VIDMOCK_WEBHOOK_SECRET"

EPILOG = f"""\
{GRAMMAR}

every delivery is verified (unless no secret is given) and shown on stderr, one line each:
  time, event id, type, job, attempt, verdict -> answered status; a failed verdict names the
  likely mistake (body re-serialised, secret base64-decoded, stale timestamp, ...).

examples:
  vidmock listen --secret whsec_my-secret
  vidmock listen --secret s --respond "3*500,200" --per-event --record deliveries.json
  vidmock serve   # then create with "callback_url": "http://127.0.0.1:4002/hooks" and the secret

exit codes: 0 stopped (Ctrl-C) · 1 could not listen · 2 bad usage
"""


def _tolerance(text: str) -> int | None:
    if text.lower() in ("none", "off"):
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected whole seconds >= 0 or 'none', got {text!r}")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "listen",
        help="run a local webhook receiver that verifies, shows and records every delivery",
        description="A local webhook receiver: verifies each delivery, answers by script, records all.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=4002, help="port (default 4002; 0 picks a free one)")
    p.add_argument(
        "--secret",
        action="append",
        metavar="SECRET",
        help=f"secret to verify with; repeat for rotation (default: ${ENV_SECRET}; none: don't verify)",
    )
    p.add_argument(
        "--scheme", choices=sorted(SCHEMES), default="llmgateway", help="signature scheme (default llmgateway)"
    )
    p.add_argument("--respond", metavar="SCRIPT", default="", help="response script, see below (default: 200)")
    p.add_argument("--per-event", action="store_true", help="run the script once per event id, not globally")
    p.add_argument("--record", metavar="FILE", help="JSON record of every delivery, rewritten after each one")
    p.add_argument(
        "--tolerance",
        type=_tolerance,
        default=300,
        metavar="SECONDS",
        help="timestamp window in seconds, both directions, or 'none' (default 300)",
    )
    p.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    p.set_defaults(handler=run)


def _error(message: str) -> None:
    print(f"vidmock listen: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    env_secret = os.environ.get(ENV_SECRET)
    secrets: list[str] | None = args.secret or ([env_secret] if env_secret else None)
    try:
        script = ResponseScript.parse(args.respond, per_event=args.per_event)
        receiver = Receiver(secrets, scheme=args.scheme, script=script, tolerance=args.tolerance)
    except (ScriptError, ValueError) as exc:
        _error(str(exc))
        return 2
    record = Path(args.record) if args.record else None

    def on_delivery(delivery: Delivery) -> None:
        print_delivery(delivery, sys.stderr)
        if record is not None:
            try:
                receiver.write(record)
            except OSError as exc:  # keep receiving: the live view still shows everything
                _error(f"could not write {record}: {exc}")

    receiver.subscribe(on_delivery)
    if record is not None:
        try:
            receiver.write(record)  # an empty record now: a bad path fails before anything arrives
        except OSError as exc:
            _error(f"could not write {record}: {exc}")
            return 2
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        _error(f"cannot listen on {args.host}:{args.port}: {exc}")
        return 1

    def started() -> None:
        keys = ", ".join(mask_secret(s) for s in receiver.secrets) or "none: deliveries are not verified"
        window = "none" if args.tolerance is None else f"{args.tolerance} s"
        _error(
            f"receiving webhooks on {base_url(sock)}/ (scheme {args.scheme}; secret {keys}; "
            f"tolerance {window}; script {script.describe()}"
            f"{f'; record {record}' if record else ''})"
        )
        print(HEADER, file=sys.stderr, flush=True)

    server = make_server(receiver, sock, args.log_level, started)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal against the
    # handler it found. Found handlers that just return make "stopped" exit 0, not a traceback
    # (SIGINT) or death by signal (SIGTERM).
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    return 0


def _stopped(signum: int, frame: FrameType | None) -> None:
    """Only reached after uvicorn has shut down; nothing left to do."""
