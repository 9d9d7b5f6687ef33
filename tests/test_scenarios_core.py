"""The scenario format, selection, plans and faults, driven through the gateway on the virtual clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH

from vidmock.cli import main
from vidmock.scenarios import ScenarioError, load_file, parse
from vidmock.scenarios.plan import resolve

pytestmark = pytest.mark.anyio


async def test_safety_block_completes_without_content(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post(
        "/v1/videos", json={"prompt": "x", "seconds": 4}, headers={**AUTH, "X-Vidmock-Scenario": "veo-safety-block"}
    )
    vid = r.json()["id"]
    await runtime.advance(80)
    video = (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()
    assert video["status"] == "completed" and "content" not in video
    r = await client.get(f"/v1/videos/{vid}/content", headers=AUTH)
    assert (r.status_code, r.json()["error"]["message"]) == (404, "Video content is not available")
    job = runtime.store.get("gateway.job", vid)
    assert job["scenario"] == "veo-safety-block" and isinstance(job["seed"], int)
    response = job["upstream_response"]["status"]["response"]
    assert response["raiMediaFilteredCount"] == 1
    assert "Support codes: 58061214" in response["raiMediaFilteredReasons"][0]


async def test_submit_faults_are_consumed_one_per_call(client: httpx.AsyncClient) -> None:
    headers = {**AUTH, "X-Vidmock-Scenario": "vertex-submit-503-twice"}
    statuses = [
        (await client.post("/v1/videos", json={"prompt": "x", "seconds": 4}, headers=headers)).status_code
        for _ in range(3)
    ]
    assert statuses == [503, 503, 200]
    r = await client.post("/v1/videos", json={"prompt": "x", "seconds": 4}, headers=headers)
    assert r.status_code == 200  # past the end of the sequence: normal


async def test_prompt_marker_selects_and_polls_fail_five_times(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post("/v1/videos", json={"prompt": "fox [scenario:five-poll-errors]", "seconds": 4}, headers=AUTH)
    vid = r.json()["id"]
    await runtime.advance(5 + 10 + 20 + 40 + 80 - 1)
    assert (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()["status"] == "queued"
    await runtime.advance(1)
    video = (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()
    assert video["status"] == "failed" and video["error"]["code"] == "poll_error"
    assert video["completed_at"] - video["created_at"] == 155


async def test_unknown_scenario_is_a_400(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/videos", json={"prompt": "x", "seconds": 4}, headers={**AUTH, "X-Vidmock-Scenario": "nope"}
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "unknown scenario 'nope'; `vidmock scenarios list` shows them"


async def test_server_default_set_at_run_time(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post("/_vidmock/scenario", json={"name": "veo-safety-block", "provider": "google-vertex"})
    assert r.json()["providers"] == {"google-vertex": "veo-safety-block"}
    vid = (await client.post("/v1/videos", json={"prompt": "x", "seconds": 4}, headers=AUTH)).json()["id"]
    assert runtime.store.get("gateway.job", vid)["scenario"] == "veo-safety-block"
    r = await client.post("/_vidmock/scenario", json={"name": "nope"})
    assert r.status_code == 404


def test_malformed_files_name_file_key_and_expectation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ndescription: d\nreproduces: r\ntimeline:\n  - {at: 0, status: paused}\n")
    with pytest.raises(ScenarioError) as err:
        load_file(bad)
    assert str(err.value) == (
        f"{bad}: timeline[0].status: expected one of queued, in_progress, completed, failed, "
        "canceled, expired, got 'paused'"
    )
    for data, message in [
        (
            {"name": "x", "description": "d", "reproduces": "r", "faults": {"poll": [{"status": 99}]}},
            "s: faults.poll[0].status: expected an HTTP status code, got 99",
        ),
        (
            {
                "name": "x",
                "description": "d",
                "reproduces": "r",
                "timeline": [{"at": {"gauss": [1, 2]}, "status": "queued"}],
            },
            "s: timeline[0].at: expected seconds (a number) or {uniform|normal|lognormal: [a, b]}, got {'gauss': [1, 2]}",
        ),
        ({"name": "x", "description": "d"}, "s: reproduces: expected a non-empty string"),
        (
            {"name": "x", "description": "d", "reproduces": "r", "extra": 1},
            "s: extra: expected one of content, description, faults, name, outcome, provider, reproduces, seed, timeline",
        ),
    ]:
        with pytest.raises(ScenarioError) as err:
            parse(data, "s")
        assert str(err.value) == message
    wrong_name = tmp_path / "other.yaml"
    wrong_name.write_text("name: mismatch\ndescription: d\nreproduces: r\n")
    with pytest.raises(ScenarioError, match="other.yaml: name: expected the file name 'other'"):
        load_file(wrong_name)


def test_same_seed_same_plan() -> None:
    scenario = parse(
        {
            "name": "x",
            "description": "d",
            "reproduces": "r",
            "timeline": [
                {"at": 0, "status": "queued"},
                {"at": {"uniform": [5, 50]}, "status": "in_progress"},
                {"at": {"lognormal": [90, 0.5]}, "status": "completed"},
            ],
        },
        "s",
    )
    assert resolve(scenario, 7, 0).to_doc() == resolve(scenario, 7, 0).to_doc()
    assert resolve(scenario, 7, 0).steps != resolve(scenario, 8, 0).steps


def test_cli_validate_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "validate"]) == 0
    assert main(["scenarios", "list"]) == 0
    assert "veo-safety-block" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\n")
    assert main(["scenarios", "validate", str(bad)]) == 1
    assert "bad.yaml: description: expected a non-empty string" in capsys.readouterr().err
