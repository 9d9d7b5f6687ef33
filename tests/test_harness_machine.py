"""The lifecycle state machine (family B): what it creates is valid for vidmock, its Range oracle
is the contract's, it is reproducible from the seed, and a violation comes back as the minimal
sequence of steps, rendered as a shell script that replays it."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import httpx
import pytest
from broken.gateways import build
from hypothesis import given
from hypothesis import strategies as st

from vidmock.harness.contract import expected_range
from vidmock.harness.machine import GENERIC_PROFILES, VIDMOCK_PROFILES, Probe, combinations, probes
from vidmock.harness.model import Report, Timeline
from vidmock.harness.pytest import run_checks, serve_app
from vidmock.harness.serve import free_port
from vidmock.media import MediaCache
from vidmock.ranges import Unsatisfiable, parse_range

KEY = "vm-dev-key"


def _check(media: MediaCache, variant: str | None, families: str, **kw: Any) -> Report:
    port = free_port()
    with serve_app(build(variant, port, media), port=port) as url:
        return run_checks(url, KEY, families=families, max_examples=5, **kw)


def test_every_create_the_machine_can_draw_is_accepted_by_vidmock(media: MediaCache) -> None:
    """The menu is kept to combinations the default catalogue accepts (gateway/domain/catalogue.py): the machine
    draws from the profiles whose model ``GET /v1/models`` lists (a deactivated Sora is not drawn)."""
    port = free_port()
    with serve_app(build(None, port, media), port=port) as url, httpx.Client(base_url=url) as client:
        listed = {m["id"] for m in client.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).json()["data"]}
        drawn = [p for p in VIDMOCK_PROFILES if p.model is None or p.model in listed]
        assert "sora-2" not in listed and [p.model for p in drawn if p.failing_prompt] == ["seedance-2-0"]
        bodies = [body for p in drawn + list(GENERIC_PROFILES) for _, body in combinations(p)]
        bodies += [
            {**body, "prompt": p.failing_prompt} for p in drawn if p.failing_prompt for _, body in combinations(p)
        ]
        assert len(bodies) > 100
        for body in bodies:
            r = client.post("/v1/videos", json=body, headers={"Authorization": f"Bearer {KEY}"})
            assert r.status_code == 200, (body, r.text)


@pytest.mark.parametrize(
    ("header", "total", "want"),
    [
        ("bytes=0-99", 1000, (0, 99)),
        ("bytes=990-5000", 1000, (990, 999)),
        ("bytes=10-", 1000, (10, 999)),
        ("bytes=-10", 1000, (990, 999)),
        ("bytes=-5000", 1000, (0, 999)),
        ("bytes=999-999", 1000, (999, 999)),
        ("bytes=1000-", 1000, None),
        ("bytes=5-2", 1000, None),
        ("bytes=-0", 1000, None),
        ("bytes=-", 1000, None),
        ("bytes=0-1,3-4", 1000, None),
        ("items=0-5", 1000, None),
        ("garbage", 1000, None),
    ],
)
def test_range_oracle_follows_the_contract(header: str, total: int, want: tuple[int, int] | None) -> None:
    assert expected_range(header, total) == want


@given(probes(vidmock=True), st.integers(1, 5000))
def test_range_oracle_agrees_with_vidmock_on_everything_the_machine_sends(probe: Probe, total: int) -> None:
    header = probe.headers(total).get("Range")
    if header is None:
        return
    try:
        got = parse_range(header, total)
        actual = None if got is None else (got.start, got.end)
    except Unsatisfiable:
        actual = None
    assert expected_range(header, total) == actual


def _summary(report: Report) -> str:
    notes = [
        e.entry.text if isinstance(e, Timeline) else e.text
        for e in report.timeline
        if e.job_id == "lifecycle state machine"
    ]
    return re.sub(r", [\d.]+ s$", "", notes[-1])


def test_the_machine_runs_under_the_seed(media: MediaCache) -> None:
    first = _check(media, None, "B", seed=7, lifecycle_examples=4)
    again = _check(media, None, "B", seed=7, lifecycle_examples=4)
    assert first.ok and again.ok, first.failures_text()
    assert _summary(first) == _summary(again)
    assert re.match(r"\d+ examples, \d+ steps, \d+ jobs, 0 checks violated", _summary(first))


def test_a_violation_comes_back_as_a_minimal_replayable_script(media: MediaCache) -> None:
    port = free_port()
    with serve_app(build("open_range_short", port, media), port=port) as url:
        report = run_checks(url, KEY, families="B", shrink_seconds=120)  # let hypothesis finish shrinking
        result = report.result("b10_content_bytes_and_ranges")
        assert result.verdict == "failed"
        # The seeded driver never sends an open-ended range inside the body: only the machine saw it.
        assert all("lifecycle state machine" in f.message for f in result.findings)
        (finding,) = result.findings
        script = finding.curl
        assert script.startswith(f"# vidmock check --seed {report.seed}: the minimal failing sequence")
        assert "V1=$(curl -s -X POST" in script and '"${V1}"' not in script and "${V1}" in script
        steps = re.findall(r"^# \d+\. ", script, re.M)
        assert len(steps) == 3, script  # create, let time pass, download
        header = re.search(r"Range (bytes=\d+-) mishandled", finding.message)
        assert header is not None and f"Range: {header.group(1)}'" in script.splitlines()[-1]
        if shutil.which("jq") and shutil.which("curl"):
            out = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60).stdout.decode(
                "utf-8", "replace"
            )
            # The replay shows the defect again (its job renders other bytes, so other numbers).
            start, end, total = map(int, re.findall(r"content-range: bytes (\d+)-(\d+)/(\d+)", out, re.I)[-1])
            assert f"bytes={start}-" == header.group(1) and end == total - 2
            signed = re.findall(r"^HTTP/1.1 (\d+)", out, re.M)
            assert signed[-2] == "200"  # content[0].url of the replayed job, read without a key
