"""Plain-text console output: live progress while the run goes, then a table per family A–G and
every failure with expected / actual / reproduction."""

from __future__ import annotations

from typing import TextIO

from ..model import FAMILIES, CheckFinished, Event, PhaseStarted, Report, RunFinished, RunStarted, Timeline

MARK = {"passed": ".", "failed": "F", "skipped": "s"}


class Console:
    def __init__(self, out: TextIO, *, verbose: bool = False) -> None:
        self.out = out
        self.verbose = verbose
        self._marks = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._line(
                f"vidmock check {event.base_url}  seed={event.seed}  clock={event.clock_mode}  "
                f"families={','.join(event.families)}"
            )
        elif isinstance(event, PhaseStarted):
            self._line(f"== {event.name}")
        elif isinstance(event, Timeline):
            e = event.entry
            if self.verbose or not e.ok or e.kind in ("create", "webhook"):
                when = f"t={e.clock:.0f}" if e.clock is not None else ""
                self._line(f"  {'ok ' if e.ok else '!! '}{e.job_id[:24]:<24} {when:<14} {e.text}")
        elif isinstance(event, CheckFinished):
            self.out.write(MARK[event.result.verdict])
            self._marks += 1
            self.out.flush()
        elif isinstance(event, RunFinished):
            self._line("")
            self.out.write(summary(event.report))
            self.out.flush()

    def _line(self, text: str) -> None:
        if self._marks:
            self.out.write("\n")
            self._marks = 0
        self.out.write(text + "\n")
        self.out.flush()


def summary(report: Report) -> str:
    lines = ["", f"{'family':<22} {'passed':>7} {'failed':>7} {'skipped':>8}", "-" * 47]
    for fam in report.families:
        c = report.counts(fam)
        lines.append(f"{fam} {FAMILIES[fam]:<20} {c['passed']:>7} {c['failed']:>7} {c['skipped']:>8}")
    total = report.counts()
    lines += ["-" * 47, f"{'total':<22} {total['passed']:>7} {total['failed']:>7} {total['skipped']:>8}", ""]
    for r in report.results:
        if r.verdict == "skipped":
            lines.append(f"skipped {r.name}: {r.detail}")
    if not report.ok:
        lines += ["", "FAILURES", report.failures_text()]
    verdict = "PASSED" if report.ok else "FAILED"
    lines += ["", f"{verdict} in {report.elapsed:.1f} s ({report.clock_mode} clock, seed {report.seed})", ""]
    return "\n".join(lines)
