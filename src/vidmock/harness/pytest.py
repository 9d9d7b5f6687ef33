"""Run the conformance checks from a team's own pytest suite.

    from vidmock.harness.pytest import run_checks

    def test_our_gateway_conforms(our_gateway_url):
        report = run_checks(our_gateway_url, "our-test-key", families="B,C,D,F")
        assert report.ok, report.failures_text()

Or as a plugin (``pytest_plugins = ["vidmock.harness.pytest"]``) for the ``vidmock_check`` fixture,
which is ``run_checks`` itself. ``serve_app`` puts an in-process ASGI app (vidmock's, or your own)
on a loopback port for the duration of a test, since the harness always speaks HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .engine import Options, run_to_report
from .model import FAMILIES, Event, Report
from .serve import ThreadServer, free_port


def run_checks(
    base_url: str,
    api_key: str,
    *,
    families: str | Sequence[str] = tuple(FAMILIES),
    seed: int = 0,
    max_examples: int = 10,
    budget: float = 600.0,
    callback_host: str = "127.0.0.1",
    schema: str | None = None,
    junit: str | Path | None = None,
    json: str | Path | None = None,
    html: str | Path | None = None,
    on_event: Callable[[Event], None] | None = None,
    lifecycle_examples: int | None = None,
    lifecycle_steps: int = 15,
    shrink_seconds: float = 10.0,
    other_keys: Sequence[str] = (),
    long_checks: bool = False,
    create_latency_limit: float = 10.0,
) -> Report:
    """Run the selected families against ``base_url`` and return the report (never raises on a
    failed check: assert on ``report.ok`` so the failure text lands in the pytest output)."""
    wanted = families.split(",") if isinstance(families, str) else list(families)
    options = Options(
        base_url,
        api_key,
        callback_host=callback_host,
        seed=seed,
        budget=budget,
        max_examples=max_examples,
        families=wanted,
        schema=schema,
        lifecycle_examples=lifecycle_examples,
        lifecycle_steps=lifecycle_steps,
        shrink_seconds=shrink_seconds,
        other_keys=list(other_keys),
        long_checks=long_checks,
        create_latency_limit=create_latency_limit,
    )
    report = run_to_report(options, on_event)
    from .reporters import html_report, json_report
    from .reporters import junit as junit_report

    if junit:
        junit_report.write(report, junit)
    if json:
        json_report.write(report, json)
    if html:
        html_report.write(report, html)
    return report


@contextmanager
def serve_app(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve an ASGI app on loopback in a thread; yields its base URL."""
    with ThreadServer(app, port=port or free_port()) as server:
        yield server.url


@pytest.fixture
def vidmock_check() -> Callable[..., Report]:
    return run_checks
