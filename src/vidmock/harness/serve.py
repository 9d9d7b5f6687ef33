"""Serve an ASGI app on a real loopback port from a background thread.

The webhook receiver needs a real socket (the target POSTs to it over the network), and tests and
the pytest entry use the same helper to put an in-process app behind a port, so the harness always
talks HTTP to its target exactly as it would to a remote gateway.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ThreadServer:
    """``with ThreadServer(app) as server: server.url`` — uvicorn in a daemon thread."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(app, host=host, port=self.port, log_level="error", lifespan="on")
        self._server = uvicorn.Server(config)
        # uvicorn installs signal handlers only from the main thread, so none are touched here.
        self._thread = threading.Thread(target=self._server.run, name=f"vidmock-serve-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ThreadServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"could not serve on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ThreadServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
