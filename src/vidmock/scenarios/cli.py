"""``vidmock scenarios list|show|validate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .engine import bundled_directory, load_directory
from .model import ScenarioError, load_file


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "scenarios",
        help="list, show and validate scripted scenarios",
        description="Scenarios script an upstream job's timeline, failures and HTTP faults.",
    )
    parser.add_argument("--dir", metavar="DIR", help="scenario folder (default: the bundled catalogue)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="one line per scenario: name, provider, what it reproduces")
    show = actions.add_parser("show", help="print one scenario's file")
    show.add_argument("name")
    validate = actions.add_parser("validate", help="check scenario files; exit 1 on the first bad one")
    validate.add_argument("files", nargs="*", help="files to check (default: the whole folder)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else bundled_directory()
    if not directory.is_dir():
        print(f"vidmock: --dir {directory}: no such folder", file=sys.stderr)
        return 2
    try:
        if args.action == "validate":
            files = [Path(f) for f in args.files] or sorted(directory.glob("*.yaml"))
            for path in files:
                load_file(path)
            print(f"{len(files)} scenario file(s) valid")
            return 0
        catalogue = load_directory(directory)
    except ScenarioError as exc:
        print(f"vidmock: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file or folder that is not there: bad usage, not a bad scenario
        print(f"vidmock: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    if args.action == "list":
        width = max((len(n) for n in catalogue), default=0)
        for name, scenario in sorted(catalogue.items()):
            print(f"{name:<{width}}  {scenario.provider or 'any':<13}  {scenario.description.strip().splitlines()[0]}")
        return 0
    chosen = catalogue.get(args.name)
    if chosen is None:
        print(f"vidmock: unknown scenario {args.name!r}", file=sys.stderr)
        return 2
    print(Path(chosen.source).read_text(), end="")
    return 0


__all__ = ["register", "run"]
