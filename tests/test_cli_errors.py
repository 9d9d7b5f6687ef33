"""Errors a user can act on (issue 16 item 4): options checked before the server starts, every
problem listed at once with its key and the expected form, exit codes as documented in README.md,
and never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH

from vidmock.cli import banner
from vidmock.config import ServerConfig

SRC = str(Path(__file__).parents[1] / "src")
pytest_plugins = ["pytester"]


def vidmock(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("VIDMOCK_")}  # a developer's own
    full_env = {**base, "PYTHONPATH": SRC, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "vidmock", *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def assert_usage_error(run: subprocess.CompletedProcess[str], *lines: str) -> None:
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    for line in lines:
        assert line in run.stderr, run.stderr


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["--speed", "0"], "--speed: expected a number > 0, got 0.0"),
        (["--speed", "-5"], "--speed: expected a number > 0, got -5.0"),
        (["--port", "99999"], "--port: expected a number from 1 to 65535, got 99999"),
        (["--port", "0"], "--port: expected a number from 1 to 65535, got 0"),
        (["--job-timeout", "0"], "--job-timeout: expected a number > 0, got 0.0"),
        (["--workers", "0"], "--workers: expected a whole number >= 1, got 0"),
        (["--provider", "nope"], "--provider: expected one of alibaba, "),
        (["--public-url", "localhost:4001"], "--public-url: expected an http:// or https:// URL, got 'localhost:4001'"),
    ],
)
def test_bad_flag_is_one_line_and_exit_2(flags: list[str], line: str) -> None:
    run = vidmock("serve", *flags)
    assert_usage_error(run, "vidmock: 1 problem in the server options:", line)
    assert "gateway on" not in run.stderr  # nothing started


def test_every_problem_in_a_config_file_at_once(tmp_path: Path) -> None:
    config = tmp_path / "vidmock.yaml"
    config.write_text("speed: fast\nport: abc\nwebhook_scheme: slack\nclock: warp\nbare_model: maybe\ncolour: blue\n")
    run = vidmock("serve", "--config", str(config), "--workers", "0")
    where = f"(in {config})"
    assert_usage_error(
        run,
        "vidmock: 7 problems in the server options:",
        f"speed {where}: expected a finite number, got 'fast'",
        f"port {where}: expected a whole number, got 'abc'",
        f"webhook_scheme {where}: expected one of github, llmgateway, standard, stripe, got 'slack'",
        f"clock {where}: expected one of real, scaled, virtual, got 'warp'",
        f"bare_model {where}: expected true or false, got 'maybe'",
        f"unknown option 'colour' {where}: expected one of bare_model, body_timeout, clock,",
        "--workers: expected a whole number >= 1, got 0",
    )


def test_environment_values_are_checked_with_their_variable_name() -> None:
    run = vidmock("serve", env={"VIDMOCK_PORT": "abc", "VIDMOCK_WEBHOOK_SCHEME": "nope"})
    assert_usage_error(
        run,
        "vidmock: 2 problems in the server options:",
        "VIDMOCK_PORT: expected a whole number, got 'abc'",
        "VIDMOCK_WEBHOOK_SCHEME: expected one of github, llmgateway, standard, stripe, got 'nope'",
    )


def test_missing_config_file_and_unopenable_store(tmp_path: Path) -> None:
    assert_usage_error(vidmock("serve", "--config", str(tmp_path / "none.yaml")), "none.yaml", "No such file")
    store = tmp_path / "no" / "such" / "dir.sqlite"
    run = vidmock("serve", "--port", str(_free_port()), "--store", str(store))
    # The store's own StoreError names which file could not be opened (one line, exit 2).
    assert_usage_error(run, f"vidmock: cannot open the SQLite store {store}: unable to open database file")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_port_in_use_is_reported_before_the_banner_with_exit_3() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = vidmock("serve", "--port", str(port))
    assert run.returncode == 3, run.stderr
    assert run.stderr.startswith(f"vidmock: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert "gateway on" not in run.stderr and "Traceback" not in run.stderr


def test_banner_announces_the_control_plane_only_when_it_is_on() -> None:
    assert banner(ServerConfig(), "gateway").endswith("control plane at http://127.0.0.1:4001/_vidmock/")
    wide = ServerConfig(host="0.0.0.0")
    off = banner(wide, "gateway")
    assert "control plane at" not in off
    assert off.endswith("control plane off (listening beyond loopback without --control-token)")
    on = banner(wide.with_(control_token="t0ken"), "gateway")
    assert on.endswith("control plane at http://0.0.0.0:4001/_vidmock/ (token required)")
    assert "t0ken" not in on
    assert "(scaled clock, x60; store memory)" in banner(ServerConfig(clock="scaled", speed=60), "gateway")


def test_banner_over_a_socket_then_the_server_answers() -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vidmock", "serve", "--port", str(port), "--clock", "virtual"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("vidmock ") and f"gateway on http://127.0.0.1:{port} (virtual clock;" in line
        assert line.rstrip().endswith(f"control plane at http://127.0.0.1:{port}/_vidmock/")
        for _ in range(200):
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/_vidmock/health", timeout=2).status_code == 200
                break
            except httpx.TransportError:
                pass
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_scenarios_validate_missing_file_and_folder() -> None:
    assert_usage_error(vidmock("scenarios", "validate", "missing.yaml"), "vidmock: cannot read missing.yaml:")
    assert_usage_error(vidmock("scenarios", "--dir", "/no/such/folder", "list"), "--dir /no/such/folder: no such")


def test_plugin_without_respx_gives_an_install_hint(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import sys
sys.modules["respx"] = None  # as if respx were not installed
"""
    )
    pytester.makepyfile(
        """
def test_uses_respx(vidmock_respx):
    pass
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the vidmock_respx fixture needs respx, which is not installed: pip install*"])
    assert "ModuleNotFoundError" not in result.stdout.str()


@pytest.mark.anyio
async def test_a_scenario_for_another_provider_is_refused_with_a_reason(app: Any, client: httpx.AsyncClient) -> None:
    body = {"model": "bytedance/seedance-2-0", "prompt": "fox", "seconds": 4}
    r = await client.post("/v1/videos", json=body, headers={**AUTH, "x-vidmock-scenario": "veo-safety-block"})
    assert r.status_code == 400
    message = r.json()["error"]["message"]
    assert message == (
        "Scenario 'veo-safety-block' is written for provider google-vertex, but this request for model "
        "bytedance/seedance-2-0 can only go to bytedance; choose a model google-vertex serves or a scenario for one of these "
        "providers (vidmock scenarios list)."
    )
    # The prompt marker is checked the same way; a scenario for this job's provider is taken.
    marked = {**body, "prompt": "fox [scenario:veo-safety-block]"}
    assert (await client.post("/v1/videos", json=marked, headers=AUTH)).status_code == 400
    ok = await client.post(
        "/v1/videos", json=body, headers={**AUTH, "x-vidmock-scenario": "seedance-output-moderation"}
    )
    assert ok.status_code == 200, ok.text
