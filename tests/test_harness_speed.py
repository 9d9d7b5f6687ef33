"""What keeps a full `vidmock check` fast (issue 15 item 8), as behaviour rather than timings: the wall
time itself is a benchmark (bench/run.py --only check), never a test.

* the run's garbage-collector settings are scoped to the run and restored after it, even when the run
  stops early (a consumer that breaks off, a preflight that stops it);
* schemathesis keeps no example database, so a second run with the same seed sends exactly the same
  cases as the first (a stored example would have been replayed, and Pareto-front re-shrinking paid for);
* the webhook receiver serves many deliveries through its one pooled client, over a real socket;
* `vidmock check` imports only what the harness needs.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from broken.gateways import build

from vidmock.harness.engine import Options, fewer_collections, run
from vidmock.harness.model import RunFinished, RunStarted
from vidmock.harness.pytest import run_checks, serve_app
from vidmock.harness.receiver import Receiver
from vidmock.harness.registry import registry
from vidmock.harness.serve import free_port
from vidmock.media import MediaCache

KEY = "vm-dev-key"


def test_gc_settings_are_restored_after_a_run_and_after_an_abandoned_one() -> None:
    before = gc.get_threshold()
    with fewer_collections(young=12_345):
        assert gc.get_threshold()[0] == 12_345 and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0

    dead = f"http://127.0.0.1:{free_port()}"  # the preflight stops this run at once
    events = run(Options(dead, KEY))
    assert isinstance(next(events), RunStarted)
    assert gc.get_threshold()[0] == 10_000  # in force while the run is under way
    events.close()  # the consumer breaks off
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    last = list(run(Options(dead, KEY)))[-1]
    assert isinstance(last, RunFinished) and last.report.preflight is not None
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_schemathesis_runs_are_the_seeds_alone(
    media: MediaCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where hypothesis would keep its example database; it must stay unused.
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / "hypothesis"))
    port = free_port()
    with serve_app(build(None, port, media), port=port) as url:
        first = run_checks(url, KEY, families="A", max_examples=3)
        second = run_checks(url, KEY, families="A", max_examples=3)
    assert first.ok and second.ok, first.failures_text() + second.failures_text()
    # The same number of responses judged by every check (a_engine_errors' evidence also names the wall time).
    runs = [{r.name: r.evidence for r in report.results if r.name != "a_engine_errors"} for report in (first, second)]
    family_a = {spec.name for spec in registry if spec.family == "A"} - {"a_engine_errors"}
    assert set(runs[0]) == family_a and runs[0] == runs[1]
    assert not list((tmp_path / "hypothesis").rglob("examples/*"))


def test_receiver_answers_many_deliveries_through_one_client(media: MediaCache) -> None:
    port = free_port()
    with serve_app(build(None, port, media), port=port) as url:
        receiver = Receiver(url, KEY, target_clock=True).start()
        try:
            hook = receiver.hook("tok", "whsec_x", script=[500])
            with httpx.Client() as client:
                answers = [client.post(hook, content=b'{"n": %d}' % i).status_code for i in range(5)]
        finally:
            receiver.stop()
    assert answers == [500, 204, 204, 204, 204]  # the script, then 2xx
    got = receiver.for_token("tok")
    assert [d.attempt for d in got] == [1, 2, 3, 4, 5]
    assert [d.body for d in got] == [b'{"n": %d}' % i for i in range(5)]
    assert all(d.clock == got[0].clock for d in got)  # each read the target's (unmoved) virtual clock


def test_vidmock_check_imports_neither_the_providers_nor_pyav() -> None:
    # `vidmock check` registers only its own subcommand: the other command modules import every provider
    # emulator and PyAV, which the harness never uses (a third of a second of CPU on each run).
    code = (
        "import sys\n"
        "from vidmock.cli import main\n"
        f"code = main(['check', '--base-url', 'http://127.0.0.1:{free_port()}', '--api-key', 'k'])\n"
        "print(code, *(m in sys.modules for m in ('av', 'vidmock.providers.registry', 'vidmock.harness.engine')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.splitlines()[-1].split() == ["3", "False", "False", "True"], out.stdout + out.stderr  # 3: stopped
    listed = subprocess.run(
        [sys.executable, "-m", "vidmock", "--help"], capture_output=True, text=True, timeout=120
    ).stdout
    assert all(f"    {name}" in listed for name in ("scenarios", "listen", "check", "record"))  # all still listed
