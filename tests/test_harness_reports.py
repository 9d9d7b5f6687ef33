"""Reports a CI system trusts (issue 15): the JUnit, JSON and HTML of a *failing* run parse and agree,
whatever bytes the target sent; the preflight stops a run against a dead port or a server that is not
the API with one paragraph and exit code 3."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from broken.gateways import build
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from vidmock.cli import main as vidmock_main
from vidmock.harness.pytest import run_checks, serve_app
from vidmock.harness.serve import free_port
from vidmock.media import MediaCache

KEY = "vm-dev-key"


def test_reports_of_a_failing_run_parse_and_agree(media: MediaCache, tmp_path: Path) -> None:
    port = free_port()
    files = {"junit": tmp_path / "j.xml", "json": tmp_path / "r.json", "html": tmp_path / "r.html"}
    with serve_app(build("control_chars_in_errors", port, media), port=port) as url:
        report = run_checks(url, KEY, families="B,F", lifecycle_examples=2, shrink_seconds=1.0, **files)
    assert not report.ok and report.result("f_unknown_id").verdict == "failed"
    assert "\x1b" in report.result("f_unknown_id").findings[0].actual  # the raw bytes reached the report

    data = json.loads(files["json"].read_text())
    verdicts = {r["name"]: r["verdict"] for r in data["results"]}
    assert data["ok"] is False and data["counts"]["total"]["failed"] == len(report.failed) >= 1
    assert all(r["evidence"] for r in data["results"] if r["verdict"] == "passed")  # a pass names its evidence

    root = ET.parse(files["junit"]).getroot()  # valid XML despite the NUL and escape codes
    cases = {c.get("name"): c for c in root.iter("testcase")}
    junit = {
        name: "failed" if c.find("failure") is not None else "skipped" if c.find("skipped") is not None else "passed"
        for name, c in cases.items()
    }
    assert junit == verdicts
    assert root.get("failures") == str(data["counts"]["total"]["failed"])
    assert "\\x1b[31mVideo\\x00" in (cases["f_unknown_id"].find("failure").text or "")  # type: ignore[union-attr]
    assert sum(float(c.get("time", "0")) for c in cases.values()) > 0  # real durations, not all 0

    html = ET.fromstring(files["html"].read_text().removeprefix("<!DOCTYPE html>"))
    rows = {tr.get("id", "").removeprefix("check-"): tr for tr in html.iter("tr") if tr.get("id")}
    shown = {name: (tr.findall("td")[-1].get("class") or "") for name, tr in rows.items()}
    assert shown == verdicts


def _cli(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = vidmock_main(["check", "--base-url", url, "--api-key", KEY, "--families", "B"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_preflight_dead_port(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _cli(f"http://127.0.0.1:{free_port()}", capsys)
    assert code == 3
    assert "Cannot reach http://127.0.0.1:" in out and "No check was run." in out
    assert "Traceback" not in out and "passed" not in out.lower() and len(out.splitlines()) < 8


def test_preflight_not_the_api(capsys: pytest.CaptureFixture[str]) -> None:
    app = Starlette(routes=[Route("/{path:path}", lambda request: HTMLResponse("<h1>welcome</h1>"))])
    with serve_app(app) as url:
        code, out = _cli(url, capsys)
    assert code == 3
    assert "does not look like the LLMGateway video API" in out and "'<h1>welcome</h1>'" in out
    assert "Traceback" not in out and len(out.splitlines()) < 8


def test_live_progress_line_redraws_and_ends_with_the_summary(media: MediaCache) -> None:
    import io

    from vidmock.harness.reporters.console import Console

    out = io.StringIO()
    console = Console(out, live=True)  # what a terminal gets: one rich status line, redrawn in place
    port = free_port()
    with serve_app(build(None, port, media), port=port) as url:
        report = run_checks(url, KEY, families="F", on_event=console)
    text = out.getvalue()
    assert report.ok and "PASSED" in text and "contract coverage:" in text
    assert "== error probes" not in text  # phases go to the live line, not to scrolling output
