"""Docs that run (issue 16 item 5): every code block marked ``<!-- runnable -->`` in README.md and
docs/*.md is executed as a user would run it after the set-up command, so the docs stay true.

Python blocks run as scripts. Shell blocks run under ``bash -eu`` with ``vidmock`` on PATH; a block
that talks to ``http://127.0.0.1:4001`` gets a vidmock of its own (virtual clock, a free port
substituted for 4001, so parallel runs never collide). Each runs in an empty folder.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"<!-- runnable -->\n```(\w+)\n(.*?)\n```", re.DOTALL)
DEFAULT = "127.0.0.1:4001"


def blocks() -> list[tuple[str, str, str]]:
    found = []
    for path in DOCS:
        text = path.read_text()
        for match in BLOCK.finditer(text):
            line = text[: match.start()].count("\n") + 2
            found.append((f"{path.relative_to(ROOT)}:{line}", match.group(1), match.group(2)))
    return found


def _env(tmp_path: Path) -> dict[str, str]:
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "vidmock").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m vidmock "$@"\n')
    (shim / "vidmock").chmod(0o755)
    (shim / "python").symlink_to(sys.executable)
    base = {k: v for k, v in os.environ.items() if not k.startswith("VIDMOCK_")}
    return {**base, "PYTHONPATH": str(ROOT / "src"), "PATH": f"{shim}:{base.get('PATH', '/usr/bin:/bin')}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_there_are_runnable_blocks() -> None:
    kinds = {kind for _, kind, _ in blocks()}
    assert {"python", "sh"} <= kinds


@pytest.mark.parametrize(("where", "kind", "code"), blocks(), ids=[b[0] for b in blocks()])
def test_block_runs(where: str, kind: str, code: str, tmp_path: Path) -> None:
    env = _env(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    server = None
    if DEFAULT in code:
        port = _free_port()
        code = code.replace(DEFAULT, f"127.0.0.1:{port}")
        server = subprocess.Popen(
            [sys.executable, "-m", "vidmock", "serve", "--clock", "virtual", "--port", str(port)],
            env=env,
            cwd=work,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(400):
            try:
                httpx.get(f"http://127.0.0.1:{port}/_vidmock/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.05)
    try:
        if kind == "python":
            command = [sys.executable, "-c", code]
        elif kind == "sh":
            command = ["bash", "-euo", "pipefail", "-c", code]
        else:
            pytest.fail(f"{where}: a runnable block must be python or sh, not {kind}")
        run = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=120)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
    assert run.returncode == 0, f"{where} failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    assert "Traceback" not in run.stderr, f"{where}:\n{run.stderr[-2000:]}"
