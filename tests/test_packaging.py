"""Packaging that works outside the source tree (issue 16 item 6).

A wheel and an sdist are built from a copy of the checkout; the wheel is installed into a fresh venv
with no access to the checkout, which then lists the bundled scenarios and serves a gateway that
passes a smoke request. Offline: the build uses the installed setuptools (no build isolation), and
the fresh venv borrows the shared venv's third-party packages through a ``.pth`` line (plain path
lines are not executed, so the shared venv's editable vidmock stays out).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tarfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.packaging
IGNORE = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache", ".hypothesis", "build"
)


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    run = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"{args}: {run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    return run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_wheel_and_sdist_build_and_the_wheel_works_without_the_checkout(tmp_path: Path) -> None:
    tree = tmp_path / "checkout"
    shutil.copytree(ROOT, tree, ignore=IGNORE, symlinks=True)  # as a clone has them (scenario_files -> scenarios)
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", dist, ".", cwd=tree)
    sdist = f"from setuptools import build_meta; print(build_meta.build_sdist(r'{dist}'))"
    _run(sys.executable, "-c", sdist, cwd=tree)
    wheel = next(dist.glob("vidmock-*.whl"))
    with tarfile.open(next(dist.glob("vidmock-*.tar.gz"))) as sdist_file:
        members = {m.name.split("/", 1)[1]: m for m in sdist_file.getmembers() if "/" in m.name}
    for data in ("src/vidmock/openapi.yaml", "src/vidmock/scenario_files/sora-content-filter.yaml"):
        assert data in members and members[data].isfile(), data  # real files, not links out of the tree

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path).stdout.strip()
    )
    (site / "shared-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(python, "-m", "pip", "install", "--no-deps", "--no-index", wheel, cwd=tmp_path)

    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",) and not k.startswith("VIDMOCK_")}
    where = _run(python, "-c", "import vidmock; print(vidmock.__file__)", cwd=away, env=env).stdout.strip()
    assert where.startswith(str(site)), where  # the wheel's copy, not the checkout's

    vidmock = venv / "bin" / "vidmock"
    listed = _run(vidmock, "scenarios", "list", cwd=away, env=env).stdout
    assert "sora-content-filter" in listed and "vertex-500-then-fallback" in listed
    assert len(listed.splitlines()) == len(list((ROOT / "src" / "vidmock" / "scenario_files").glob("*.yaml")))

    port = _free_port()
    proc = subprocess.Popen(
        [str(vidmock), "serve", "--clock", "virtual", "--port", str(port)],
        cwd=away,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(400):
            assert proc.poll() is None, proc.communicate()[1]
            try:
                httpx.get(f"{base}/_vidmock/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        auth = {"Authorization": "Bearer vm-dev-key"}
        with httpx.Client(base_url=base, headers=auth, timeout=60) as c:
            # Any current model (the default release, 2026-12, has deactivated Sora); done well within 10 min.
            created = c.post("/v1/videos", json={"model": "bytedance/seedance-2-0", "prompt": "fox", "seconds": 4})
            assert created.status_code == 200, created.text
            vid = created.json()["id"]
            assert c.post("/_vidmock/clock/advance", json={"seconds": 600}).status_code == 200
            assert c.get(f"/v1/videos/{vid}").json()["status"] == "completed"
            content = c.get(f"/v1/videos/{vid}/content")
            assert content.status_code == 200 and content.content[4:8] == b"ftyp"  # an MP4
            assert c.get("/openapi.yaml").status_code == 200  # package data: the contract
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
