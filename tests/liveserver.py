"""A real ``vidmock serve`` process on a loopback socket: the one helper every test that runs the
command uses (sockets, security, limits, containment, reliability, several worker processes). Its
stdout and stderr (uvicorn's access and error logs) go to one file the test can read."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def raise_fd_limit() -> None:
    # For servers that hold thousands of connections (test_reliability): the child's own soft limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 16384) if hard != resource.RLIM_INFINITY else 16384
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class LiveServer:
    """``vidmock serve [args]`` in a child process, ready when its health route answers. Output goes to
    a file: a pipe nobody reads fills up (64 KiB of access log) and stalls the server."""

    def __init__(
        self,
        tmp: Path,
        *args: str,
        host: str = "127.0.0.1",
        start_timeout: float = 60.0,  # bounds a hang only; it starts in a second or two
        many_files: bool = False,
    ) -> None:
        self.host = host
        self.port = free_port(host)
        self.base = f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"
        self.log = tmp / f"serve-{self.port}.log"
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache"), "PYTHONUNBUFFERED": "1"}
        with self.log.open("wb") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "vidmock", "serve", "--host", host, "--port", str(self.port), *args],
                env=env,
                stdout=out,
                stderr=out,
                preexec_fn=raise_fd_limit if many_files else None,
            )
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                httpx.get(f"{self.base}/_vidmock/health", timeout=1)
                return
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"vidmock serve did not start:\n{self.output()}") from None
                time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
