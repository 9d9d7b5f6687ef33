"""The README's test command, N times in a row, optionally with extra CPU load: is the suite steady?

Run: python bench/suite_runs.py [--runs 10] [--load K] [--budget 240] [--out runs.json]

Each run is the test command exactly as the README gives it (``.venv/bin/pytest`` when this checkout
has a ``.venv``, else this interpreter's pytest), with a JUnit file on the side so the counts are read
from it rather than from console text. ``--load K`` keeps K busy processes spinning for the whole
session, so "a loaded machine" is something you choose, not whatever else happens to run. Reported per
run: exit code, tests passed/failed/errored/skipped, wall seconds, the ratio to ``--budget`` (the
4-minute target) and the load average before and after. Exit 1 when any run failed.

Timings are this machine's, under the load it had: ratios, never assertions.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _spin() -> None:
    while True:
        pass


def _pytest() -> list[str]:
    venv = ROOT / ".venv" / "bin" / "pytest"
    return [str(venv)] if venv.exists() else [sys.executable, "-m", "pytest"]


def _counts(junit: Path) -> dict[str, int]:
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in total:
            total[key] += int(suite.get(key, 0))
    total["passed"] = total["tests"] - total["failures"] - total["errors"] - total["skipped"]
    return total


def one_run(index: int, budget: float, work: Path) -> dict[str, Any]:
    junit = work / f"run-{index}.xml"
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.run([*_pytest(), f"--junitxml={junit}"], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    result: dict[str, Any] = {
        "run": index,
        "exit": proc.returncode,
        "wall_s": round(wall, 1),
        "ratio_to_budget": round(wall / budget, 2),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    if junit.exists():
        result.update(_counts(junit))
    if proc.returncode != 0:
        result["tail"] = (proc.stdout + proc.stderr)[-3000:]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--load", type=int, default=0, help="busy processes kept spinning during the runs")
    parser.add_argument("--budget", type=float, default=240.0, help="seconds the test command should stay under")
    parser.add_argument("--out", type=Path, help="write every run's result here as JSON")
    args = parser.parse_args()
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.load)]
    for p in spinners:
        p.start()
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(1, args.runs + 1):
                result = one_run(i, args.budget, Path(tmp))
                results.append(result)
                print(json.dumps({k: v for k, v in result.items() if k != "tail"}), flush=True)
                if args.out:
                    args.out.write_text(json.dumps(results, indent=2))
    finally:
        for p in spinners:
            p.terminate()
    failed = [r for r in results if r["exit"] != 0]
    walls = sorted(r["wall_s"] for r in results)
    summary = {
        "runs": len(results),
        "failed_runs": [r["run"] for r in failed],
        "extra_load": args.load,
        "wall_s_median": walls[len(walls) // 2] if walls else None,
        "wall_s_max": walls[-1] if walls else None,
        "max_ratio_to_budget": round(walls[-1] / args.budget, 2) if walls else None,
    }
    print(json.dumps(summary), flush=True)
    for r in failed:
        print(f"--- run {r['run']} failed (exit {r['exit']}):\n{r.get('tail', '')}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
