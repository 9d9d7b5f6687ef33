"""``vidmock check``: run the conformance harness against a target and report.

Exit codes follow vidmock's: 0 everything passed, 1 a check failed (or the harness could not run
something), 2 bad usage, 3 the preflight stopped the run (target unreachable, not the API, key refused). Imports of the engine (schemathesis, hypothesis) happen inside ``run``:
the main CLI registers this parser for every command, and ``vidmock serve`` must not pay for them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

FAMILY_LETTERS = ("A", "B", "C", "D", "F", "G", "H")
EPILOG = """\
families: A HTTP surface (schemathesis) · B job lifecycle · C webhook delivery · D signatures ·
          F error mapping · G timing · H access control (projects, key forms, signed URLs)

exit codes:
  0  every selected check passed (skips are listed, not failures)
  1  a check failed, or the harness could not run part of the run
  2  bad usage (unknown family, invalid option)
  3  preflight: the target is unreachable, is not the video API, or rejected a key (nothing was checked)
  with --against: 0 no difference, 1 differences found, 3 a preflight stopped it

examples:
  vidmock serve --clock virtual --port 4001 &
  vidmock check --base-url http://127.0.0.1:4001 --api-key vm-dev-key --api-key vm-other-key --html report.html
  vidmock check --base-url https://gw.example.com --api-key $KEY --families A,F --junit junit.xml
  vidmock check --base-url http://127.0.0.1:4001 --api-key vm-dev-key --against https://gw.example.com \
      --against-api-key $KEY --json diff.json
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check",
        help="run the conformance harness against a gateway",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--base-url", required=True, help="the gateway to check, e.g. http://127.0.0.1:4001")
    p.add_argument(
        "--api-key",
        required=True,
        action="append",
        help="an API key the gateway accepts; repeat it with keys of other projects for the isolation checks (H)",
    )
    p.add_argument(
        "--long-checks",
        action="store_true",
        help="on a real clock, also run checks that take an hour (the 3600 s job timeout on a vidmock target)",
    )
    p.add_argument(
        "--callback-host", default="127.0.0.1", help="interface for the webhook receiver (default 127.0.0.1)"
    )
    p.add_argument("--schema", metavar="FILE", help="contract to fuzz (default: the target's /openapi.yaml)")
    p.add_argument("--seed", type=int, default=0, help="seed for every generated choice (default 0)")
    p.add_argument(
        "--budget", type=float, default=600.0, help="seconds (target time) every job must end within (default 600)"
    )
    p.add_argument("--max-examples", type=int, default=25, help="schemathesis examples per operation (default 25)")
    p.add_argument(
        "--lifecycle-examples",
        type=int,
        default=None,
        help="lifecycle state machine examples (default 40 on a virtual clock, 2 otherwise)",
    )
    p.add_argument("--lifecycle-steps", type=int, default=15, help="steps per state machine example (default 15)")
    p.add_argument(
        "--shrink-seconds",
        type=float,
        default=10.0,
        help="wall seconds to spend minimising a state machine failure (default 10)",
    )
    p.add_argument(
        "--create-latency-limit",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wall seconds a create may take before g1_create_latency fails (default 10)",
    )
    p.add_argument("--families", default=",".join(FAMILY_LETTERS), help="comma-separated subset of A,B,C,D,F,G,H")
    p.add_argument("--poll-every", type=float, default=2.0, help="wall seconds between polls on a real clock")
    p.add_argument(
        "--against",
        metavar="URL",
        help="differential mode: send the same seeded requests to this second target and report every difference",
    )
    p.add_argument("--against-api-key", metavar="KEY", help="the key for --against (default: the first --api-key)")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    p.add_argument("--json", metavar="FILE", help="write the JSON record")
    p.add_argument("--html", metavar="FILE", help="write the HTML report")
    p.add_argument("-v", "--verbose", action="store_true", help="show every poll in the live view")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    families = [f.strip().upper() for f in str(args.families).split(",") if f.strip()]
    unknown = sorted(set(families) - set(FAMILY_LETTERS))
    if unknown or not families:
        print(
            f"vidmock check: unknown families {','.join(unknown) or '(none)'}; choose from A,B,C,D,F,G,H",
            file=sys.stderr,
        )
        return 2
    if (
        args.budget <= 0
        or args.max_examples < 1
        or args.lifecycle_steps < 1
        or (args.lifecycle_examples is not None and args.lifecycle_examples < 1)
        or args.shrink_seconds < 0
        or args.create_latency_limit <= 0
    ):
        print(
            "vidmock check: --budget and --create-latency-limit must be positive, --max-examples and "
            "--lifecycle-examples/-steps at least 1",
            file=sys.stderr,
        )
        return 2
    # Hypothesis (the lifecycle state machine) keeps a small cache; keep it out of the caller's
    # working directory, where `vidmock check` runs in CI. Its example database is off anyway.
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vidmock" / "hypothesis"
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(cache))
    try:
        from .engine import Options, run_to_report
    except ModuleNotFoundError as exc:  # schemathesis/hypothesis are not core dependencies (yet)
        print(
            f"vidmock check: missing dependency {exc.name!r}; install with: pip install 'vidmock[check]'",
            file=sys.stderr,
        )
        return 2
    if args.against:
        return _differential(args)
    from .reporters import html_report, json_report, junit
    from .reporters.console import Console

    keys = list(args.api_key)
    options = Options(
        args.base_url,
        keys[0],
        other_keys=keys[1:],
        long_checks=args.long_checks,
        callback_host=args.callback_host,
        seed=args.seed,
        budget=args.budget,
        max_examples=args.max_examples,
        families=families,
        schema=args.schema,
        poll_every=args.poll_every,
        lifecycle_examples=args.lifecycle_examples,
        lifecycle_steps=args.lifecycle_steps,
        shrink_seconds=args.shrink_seconds,
        create_latency_limit=args.create_latency_limit,
    )
    try:
        report = run_to_report(options, Console(sys.stdout, verbose=args.verbose))
    except Exception as exc:  # a harness failure the preflight did not foresee: said plainly, no traceback
        print(f"vidmock check: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.junit:
        junit.write(report, args.junit)
    if args.json:
        json_report.write(report, args.json)
    if args.html:
        html_report.write(report, args.html)
    if report.preflight is not None:
        return 3
    return 0 if report.ok else 1


def _differential(args: argparse.Namespace) -> int:
    """``--against``: no checks, a diff of two targets' answers (exit 0 none, 1 differences, 3 preflight)."""
    import json

    from .differ import differential

    result = differential(
        args.base_url,
        args.api_key[0],
        args.against,
        args.against_api_key or args.api_key[0],
        seed=args.seed,
        budget=args.budget,
        poll_every=args.poll_every,
    )
    if isinstance(result, str):
        print(f"vidmock check: {result}", file=sys.stderr)
        return 3
    sys.stdout.write(result.text())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    return 0 if result.ok else 1
