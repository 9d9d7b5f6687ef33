"""Console output: live progress while the run goes, then a table per family and every failure with
expected / actual / reproduction.

On a terminal the live part is a ``rich`` status line (phase, jobs seen, target clock, checks judged)
that redraws in place, so an hour-long real-clock run shows it is alive without scrolling; elsewhere
(CI logs, a pipe) it prints one line per phase and per notable event, as before.
"""

from __future__ import annotations

from typing import Any, TextIO

from ..model import FAMILIES, CheckFinished, Event, PhaseStarted, Report, RunFinished, RunStarted, Timeline

MARK = {"passed": ".", "failed": "F", "skipped": "s"}


class Console:
    def __init__(self, out: TextIO, *, verbose: bool = False, live: bool | None = None) -> None:
        self.out = out
        self.verbose = verbose
        self._marks = 0
        self._live = out.isatty() if live is None else live
        self._status: Any = None  # rich.status.Status while a run is live
        self._phase, self._entries, self._checks, self._clock = "", 0, 0, ""

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._line(
                f"vidmock check {event.base_url}  seed={event.seed}  clock={event.clock_mode}  "
                f"families={','.join(event.families)}"
            )
            self._start_live()
        elif isinstance(event, PhaseStarted):
            self._phase = event.name
            if self._status is None:
                self._line(f"== {event.name}")
        elif isinstance(event, Timeline):
            e = event.entry
            self._entries += 1
            self._clock = f"t={e.clock:.0f}" if e.clock is not None else self._clock
            if self._status is None and (self.verbose or not e.ok or e.kind in ("create", "webhook")):
                when = f"t={e.clock:.0f}" if e.clock is not None else ""
                self._line(f"  {'ok ' if e.ok else '!! '}{e.job_id[:24]:<24} {when:<14} {e.text}")
        elif isinstance(event, CheckFinished):
            self._checks += 1
            if self._status is None:
                self.out.write(MARK[event.result.verdict])
                self._marks += 1
                self.out.flush()
        elif isinstance(event, RunFinished):
            self._stop_live()
            self._line("")
            self.out.write(summary(event.report))
            self.out.flush()
        if self._status is not None:
            self._status.update(
                f"{self._phase or 'starting'} · {self._entries} events · {self._clock} · {self._checks} checks judged"
            )

    def _start_live(self) -> None:
        if not self._live:
            return
        from rich.console import Console as RichConsole

        self._status = RichConsole(file=self.out).status("starting")
        self._status.start()

    def _stop_live(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _line(self, text: str) -> None:
        if self._marks:
            self.out.write("\n")
            self._marks = 0
        self.out.write(text + "\n")
        self.out.flush()


def summary(report: Report) -> str:
    if report.preflight is not None:
        return f"\nSTOPPED before any check: {report.preflight}\n"
    lines = ["", f"{'family':<22} {'passed':>7} {'failed':>7} {'skipped':>8}", "-" * 47]
    for fam in report.families:
        c = report.counts(fam)
        lines.append(f"{fam} {FAMILIES[fam]:<20} {c['passed']:>7} {c['failed']:>7} {c['skipped']:>8}")
    total = report.counts()
    lines += ["-" * 47, f"{'total':<22} {total['passed']:>7} {total['failed']:>7} {total['skipped']:>8}", ""]
    if report.coverage:
        lines.append(
            f"contract coverage: {report.coverage['checked']}/{report.coverage['listed']} rules checked "
            "(docs/spec/contract.md)"
        )
    for r in report.results:
        if r.verdict == "skipped":
            lines.append(f"skipped {r.name}: {r.detail}")
    if not report.ok:
        lines += ["", "FAILURES", report.failures_text()]
    verdict = "PASSED" if report.ok else "FAILED"
    lines += ["", f"{verdict} in {report.elapsed:.1f} s ({report.clock_mode} clock, seed {report.seed})", ""]
    return "\n".join(lines)
