"""A real ``vidmock serve`` process on a loopback socket, for the tests of issue 12 (security, limits,
containment over the wire). Its stdout and stderr (uvicorn's access and error logs) go to one file
the test can read."""

from __future__ import annotations

import os
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


class LiveServer:
    def __init__(self, tmp: Path, *args: str, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port(host)
        self.base = f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"
        self.log = tmp / f"serve-{self.port}.log"
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache"), "PYTHONUNBUFFERED": "1"}
        out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vidmock", "serve", "--host", host, "--port", str(self.port), *args],
            env=env,
            stdout=out,
            stderr=out,
        )
        out.close()  # the child holds its own copy; ours would be an unclosed-file ResourceWarning
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.base}/_vidmock/health", timeout=1)
                return
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    raise RuntimeError(f"vidmock serve did not start:\n{self.output()}") from None
                time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
