"""The runner: gather evidence with the drivers, then judge it with every selected check.

``run(options)`` is a generator of events (``model.Event``) and never prints: reporters (console,
JUnit, JSON, HTML) consume the stream. Drivers run in a worker thread and report timeline entries
through a queue, so a console can show live progress while a long lifecycle run is under way.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import yaml

from . import (  # noqa: F401  (importing a checks module registers its checks)
    access,
    checks_access,
    checks_attempts,
    checks_errors,
    checks_http,
    checks_lifecycle,
    checks_results,
    checks_webhooks,
    lifecycle,
    machine,
    rules,
)
from .evidence import Evidence, Schemas
from .model import (
    FAMILIES,
    CheckFinished,
    CheckResult,
    Event,
    Finding,
    Observed,
    PhaseStarted,
    Report,
    RunFinished,
    RunStarted,
    Timeline,
    TimelineEntry,
    Verdict,
)
from .preflight import preflight
from .pricing import published_prices
from .receiver import Receiver
from .registry import CheckSpec, Registry, Skip, registry
from .target import Target


@dataclass
class Options:
    base_url: str
    api_key: str
    callback_host: str = "127.0.0.1"
    seed: int = 0
    budget: float = 600.0  # target seconds for every job to end (virtual or wall)
    max_examples: int = 25
    families: list[str] = field(default_factory=lambda: list(FAMILIES))
    schema: str | None = None  # a local openapi.yaml instead of the target's /openapi.yaml
    poll_every: float = 2.0  # wall seconds between polls when the clock is real
    lifecycle_examples: int | None = None  # state machine examples (None: 40 on a virtual clock, 2 otherwise)
    lifecycle_steps: int = 15  # state machine steps per example
    shrink_seconds: float = 10.0  # wall seconds the state machine may spend minimising a failure
    other_keys: list[str] = field(default_factory=list)  # keys of other projects: cross-project checks (H)
    long_checks: bool = False  # run checks that take an hour of real time on a real clock (the job timeout)
    create_latency_limit: float = 10.0  # wall seconds a create may take (g1_create_latency)


def _yaml(text: str | bytes) -> Any:
    """Safe YAML, through libyaml when PyYAML was built with it (the contract parses ~10x faster)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_spec(target: Target, path: str | None) -> tuple[dict[str, Any], str]:
    """The contract: a given file, else the target's /openapi.yaml, else vidmock's own copy."""
    if path:
        return _yaml(Path(path).read_text()), path
    try:
        r = target.http.get("/openapi.yaml", timeout=10)
        if r.status_code == 200:
            spec = _yaml(r.content)
            if isinstance(spec, dict) and "paths" in spec:
                return spec, f"{target.base_url}/openapi.yaml"
    except Exception:  # any failure to fetch or parse falls back to the bundled contract
        pass
    return _yaml(resources.files("vidmock").joinpath("openapi.yaml").read_bytes()), "vidmock's bundled openapi.yaml"


@contextmanager
def fewer_collections(young: int = 10_000) -> Iterator[None]:
    """Collect cyclic garbage less often while a run is under way, and restore the settings after.

    Hypothesis (the state machine) and schemathesis allocate millions of short-lived objects: with
    Python's default threshold (700) the collector ran ~900 times in a full run, each pass re-scanning
    every object the imports had made: 0.6 s of a 4.5 s CPU budget. Objects alive at the start are
    frozen out of the scans and the young generation is collected every ``young`` allocations. At the end
    one full collection finalises what the run left behind (closed sockets among it) while the caller is
    still the one that made it, rather than in whatever code the next full collection interrupts."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(young, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()
        gc.collect()


def _pump(work: Callable[[Callable[[TimelineEntry], None]], None], report: Report) -> Iterator[Event]:
    """Run ``work`` in a thread, yielding its timeline entries as they come."""
    entries: queue.Queue[TimelineEntry] = queue.Queue()
    failure: list[str] = []
    traces: list[str] = []

    def target() -> None:
        try:
            work(entries.put)
        except Exception as exc:  # the harness failing is reported, never mistaken for a pass
            failure.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:500])
            traces.append(traceback.format_exc(limit=6))

    thread = threading.Thread(target=target, name="vidmock-check-driver", daemon=True)
    thread.start()
    while thread.is_alive() or not entries.empty():
        try:
            entry = entries.get(timeout=0.05)
        except queue.Empty:
            continue
        report.timeline.append(entry)
        yield Timeline(entry)
    report.errors += failure
    report.error_traces += traces


def discover_catalogue(target: Target) -> list[dict[str, Any]] | None:
    """The target's ``GET /v1/models`` entries (OpenAI list shape), or None when it serves none."""
    try:
        r = target.http.get("/v1/models", headers=target.auth(), timeout=10)
        data = r.json().get("data") if r.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    if not isinstance(data, list):
        return None
    return [m for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)] or None


def run(options: Options, checks: Registry = registry) -> Generator[Event, None, None]:
    """The run's events, in order; a consumer may stop early with ``close()`` (the GC settings are restored)."""
    with fewer_collections():
        yield from _run(options, checks)


def _run(options: Options, checks: Registry) -> Iterator[Event]:
    started = time.monotonic()
    target = Target(options.base_url, options.api_key)
    families = [f for f in FAMILIES if f in {x.strip().upper() for x in options.families}]
    mode = target.detect_clock()
    report = Report(target.base_url, options.seed, mode, families)
    selected = checks.select(families)
    report.coverage = rules.coverage(checks)
    yield RunStarted(target.base_url, options.seed, families, mode)
    # Fail fast: one paragraph, no check run, rather than a cascade of failures that all say the same.
    report.preflight = preflight(target, [options.api_key, *options.other_keys])
    if report.preflight is not None:
        target.close()
        report.elapsed = time.monotonic() - started
        yield RunFinished(report)
        return
    spec, _source = load_spec(target, options.schema)
    try:
        is_vidmock = target.http.get("/_vidmock/health", timeout=5).status_code == 200
    except httpx.HTTPError:  # unreachable control plane: not vidmock
        is_vidmock = False
    ev = Evidence(target, Schemas(spec), options.seed, options.budget, is_vidmock)
    ev.other_keys, ev.long_checks = list(options.other_keys), options.long_checks
    catalogue = discover_catalogue(target)
    ev.models = None if catalogue is None else [m["id"] for m in catalogue]
    ev.prices = None if catalogue is None else published_prices(catalogue)
    ev.create_latency_limit = options.create_latency_limit
    needs = {c.needs for c in selected}
    spent: dict[str, float] = {}  # wall seconds per driver, shared out to the checks it fed (JUnit times)
    receiver: Receiver | None = None
    results: list[CheckResult] = []
    try:
        if "lifecycle" in needs:
            t0 = time.monotonic()
            yield PhaseStarted("lifecycle")
            if {"C", "D", "G"} & set(families):
                receiver = Receiver(
                    target.base_url, target.api_key, target_clock=target.has_clock, host=options.callback_host
                ).start()
            hooks = receiver
            yield from _pump(lambda emit: lifecycle.drive(ev, hooks, emit, poll_every=options.poll_every), report)
            # Family B's explorer: a hypothesis state machine whose invariants are the same checks.
            wanted = {c.name for c in selected} & machine.CHECKS
            if wanted:
                yield PhaseStarted("lifecycle state machine")
                yield from _pump(
                    lambda emit: machine.explore(
                        ev,
                        emit,
                        wanted,
                        examples=options.lifecycle_examples,
                        steps=options.lifecycle_steps,
                        poll_every=options.poll_every,
                        shrink_seconds=options.shrink_seconds,
                    ),
                    report,
                )
            yield PhaseStarted("access: projects, keys, tokens, timeout")
            yield from _pump(lambda emit: access.drive(ev, emit), report)
            if receiver is not None:  # the access driver moved time on: the long retry chains have ended
                ev.deliveries = list(receiver.deliveries)
            spent["lifecycle"] = time.monotonic() - t0
        # Probes and schemathesis last: they create jobs nobody waits for.
        for r in _judge(ev, [c for c in selected if c.needs == "lifecycle"], spent.get("lifecycle", 0.0)):
            results.append(r)
            yield CheckFinished(r)
        if "probes" in needs:
            yield PhaseStarted("error probes")
            for r in _judge(ev, [c for c in selected if c.needs == "probes"]):
                results.append(r)
                yield CheckFinished(r)
        if "http" in needs:
            yield PhaseStarted("schemathesis")

            def fuzz(emit: Callable[[TimelineEntry], None]) -> None:
                ev.http = checks_http.drive(ev, spec, options.max_examples)

            t0 = time.monotonic()
            yield from _pump(fuzz, report)
            for r in _judge(ev, [c for c in selected if c.needs == "http"], time.monotonic() - t0):
                results.append(r)
                yield CheckFinished(r)
    finally:
        if receiver is not None:
            receiver.stop()
        target.close()
    report.results = sorted(results, key=lambda r: (families.index(r.family), r.name))
    report.elapsed = time.monotonic() - started
    yield RunFinished(report)


def _judge(ev: Evidence, specs: list[CheckSpec], driver_seconds: float = 0.0) -> Iterator[CheckResult]:
    share = driver_seconds / len(specs) if specs else 0.0
    for spec in specs:
        t0 = time.monotonic()
        verdict: Verdict
        extra = ev.extra_findings.get(spec.name, [])  # judged by a driver (the state machine)
        seen: list[str] = []
        try:
            outcomes = list(spec.fn(ev))
            findings = [o for o in outcomes if isinstance(o, Finding)] + extra
            seen = [o.text for o in outcomes if isinstance(o, Observed)]
            if findings:
                verdict, detail = "failed", ""
            elif seen:
                verdict, detail = "passed", ""
            else:  # no vacuous pass: a check that looked at nothing says so
                verdict, detail = "skipped", "skipped, because it observed nothing to judge"
        except Skip as skip:
            findings, verdict = list(extra), "failed" if extra else "skipped"
            detail = "" if extra else f"skipped, because {skip}"
        except Exception as exc:  # a crashing check is a failure of the run, with its traceback
            findings = [Finding(f"check crashed: {exc!r}", "", traceback.format_exc(limit=4))]
            verdict, detail = "failed", "check crashed"
        elapsed = time.monotonic() - t0 + share
        yield CheckResult(
            spec.family, spec.name, spec.title, verdict, findings, detail, elapsed, seen, list(spec.rules)
        )


def run_to_report(options: Options, on_event: Callable[[Event], None] | None = None) -> Report:
    """Consume the stream; the last event carries the report."""
    report: Report | None = None
    for event in run(options):
        if on_event is not None:
            on_event(event)
        if isinstance(event, RunFinished):
            report = event.report
    assert report is not None
    return report
