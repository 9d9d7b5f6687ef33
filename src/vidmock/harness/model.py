"""Plain data shared by the engine, the checks and the reporters: exchanges, findings, events, the report.

Everything here is inert (no I/O) so reporters can be fed a recorded event list, and JSON/JUnit/HTML
output is a pure function of it.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Literal

FAMILIES: dict[str, str] = {
    "A": "HTTP surface",
    "B": "Job lifecycle",
    "C": "Webhook delivery",
    "D": "Signatures",
    "F": "Error mapping",
    "G": "Timing",
    "H": "Access control",  # projects, API-key forms, validation order, signed content URLs
}
Verdict = Literal["passed", "failed", "skipped"]
# Characters XML 1.0 cannot carry, even escaped: ASCII control characters but tab/newline/CR, surrogates, U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def printable(text: object) -> str:
    """``text`` with every character XML cannot hold shown as ``\\xNN``: a report stays valid whatever
    bytes a defective target sent (a CI system shows nothing for an invalid JUnit file)."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


@dataclass
class Exchange:
    """One HTTP request the harness made and what came back: the raw material of a reproduction."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    elapsed: float  # wall seconds
    clock: float | None = None  # target time when sent (virtual or wall)

    def json(self) -> Any:
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    def curl(self) -> str:
        parts = ["curl", "-i", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request_body is not None:
            parts += ["--data-binary", shlex.quote(self.request_body.decode("utf-8", "replace"))]
        return " ".join(parts)

    def summary(self, limit: int = 300) -> str:
        body = self.response_body[:limit].decode("utf-8", "replace")
        return f"{self.status} {body}"


@dataclass
class Finding:
    """One violation: what the contract expected, what came back, and how to see it again."""

    message: str
    expected: str = ""
    actual: str = ""
    request: str = ""  # "METHOD URL" or a webhook description
    curl: str = ""
    job_id: str | None = None

    @classmethod
    def of(
        cls, message: str, expected: str, actual: str, exchange: Exchange | None = None, job_id: str | None = None
    ) -> Finding:
        if exchange is None:
            return cls(message, expected, actual, job_id=job_id)
        return cls(message, expected, actual, f"{exchange.method} {exchange.url}", exchange.curl(), job_id)


@dataclass(frozen=True)
class Observed:
    """What a check looked at, yielded next to its findings: a pass names its evidence (a check that
    yields neither a finding nor an observation saw nothing, and is reported as skipped)."""

    text: str


Outcome = Finding | Observed


@dataclass
class CheckResult:
    family: str
    name: str
    title: str
    verdict: Verdict
    findings: list[Finding] = field(default_factory=list)
    detail: str = ""  # why skipped, or how many cases were exercised
    elapsed: float = 0.0  # wall seconds: judging plus this check's share of the driver that fed it
    evidence: list[str] = field(default_factory=list)  # what a pass (or a failure) was judged on
    rules: list[str] = field(default_factory=list)  # contract rule ids (docs/spec/contract.md) it proves


@dataclass
class TimelineEntry:
    """One thing that happened to a job: created, a poll, a download, a webhook attempt."""

    job_id: str
    clock: float | None
    kind: str  # create | poll | content | webhook | note
    text: str
    ok: bool = True


# -- events ------------------------------------------------------------------------------------
@dataclass
class RunStarted:
    base_url: str
    seed: int
    families: list[str]
    clock_mode: str


@dataclass
class PhaseStarted:
    name: str


@dataclass
class CheckFinished:
    result: CheckResult


@dataclass
class Timeline:
    entry: TimelineEntry


@dataclass
class RunFinished:
    report: Report


Event = RunStarted | PhaseStarted | CheckFinished | Timeline | RunFinished


@dataclass
class Report:
    base_url: str
    seed: int
    clock_mode: str
    families: list[str]
    results: list[CheckResult] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    elapsed: float = 0.0
    errors: list[str] = field(default_factory=list)  # the harness itself could not run something (one line each)
    error_traces: list[str] = field(default_factory=list)  # their tracebacks: in the JSON record, not on the console
    preflight: str | None = None  # why the run stopped before any check (unreachable, not the API, key)
    coverage: dict[str, int] = field(default_factory=dict)  # {"checked": n, "listed": m} contract rules

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.verdict == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors and self.preflight is None

    def result(self, name: str) -> CheckResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def failures_text(self) -> str:
        lines = [f"preflight: {self.preflight}"] if self.preflight else []
        lines += [f"harness error: {e}" for e in self.errors]
        for r in self.failed:
            for f in r.findings:
                lines.append(f"[{r.family}] {r.name}: {f.message}")
                if f.expected or f.actual:
                    lines.append(f"    expected: {f.expected}\n    actual:   {f.actual}")
                if f.curl:
                    lines.append(f"    reproduce (seed {self.seed}): " + f.curl.replace("\n", "\n      "))
        return "\n".join(lines)

    def counts(self, family: str | None = None) -> dict[str, int]:
        out = {"passed": 0, "failed": 0, "skipped": 0}
        for r in self.results:
            if family is None or r.family == family:
                out[r.verdict] += 1
        return out
