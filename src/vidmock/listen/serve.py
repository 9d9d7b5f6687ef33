"""Serving a ``Receiver`` on a real loopback socket: for the CLI, and in a thread for tests.

The socket is bound here, before uvicorn starts, for two reasons: ``port=0`` then tells us the
port the OS picked, and a port already in use is a clean error instead of uvicorn's
``sys.exit`` inside a thread.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn

from ..netaddr import bind
from .receiver import Receiver

START_TIMEOUT = 10.0


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ReceiverServer(uvicorn.Server):
    """uvicorn, plus: a ready signal once listening, and hangs released before shutdown waits.

    uvicorn's graceful shutdown waits for in-flight requests, and a scripted ``hang`` is in flight
    forever; closing the receiver first lets them finish.
    """

    def __init__(
        self, receiver: Receiver, config: uvicorn.Config, on_started: Callable[[], None] | None = None
    ) -> None:
        super().__init__(config)
        self.receiver = receiver
        self.ready = threading.Event()
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.on_started is not None:
            self.on_started()
        self.ready.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.receiver.close()
        await super().shutdown(sockets)


def make_server(
    receiver: Receiver, sock: socket.socket, log_level: str = "warning", on_started: Callable[[], None] | None = None
) -> ReceiverServer:
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        receiver.app,
        host=host,
        port=port,
        log_level=log_level,
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return ReceiverServer(receiver, config, on_started)


@contextlib.contextmanager
def running(receiver: Receiver, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``receiver`` on ``host:port`` in a background thread; yield its base URL.

    On exit the receiver is closed (hanging requests are released) and the server stopped.
    """
    sock = bind(host, port)
    server = make_server(receiver, sock)
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit included: uvicorn exits on startup failure
            failure.append(exc)
        finally:
            server.ready.set()  # never leave the caller waiting on a dead thread

    thread = threading.Thread(target=serve, name=f"vidmock-listen-{sock.getsockname()[1]}", daemon=True)
    thread.start()
    try:
        if not server.ready.wait(START_TIMEOUT) or not server.started:
            server.should_exit = True
            raise RuntimeError(f"the receiver did not start: {failure[0] if failure else 'timeout'}")
        yield base_url(sock)
    finally:
        receiver.close()
        server.should_exit = True
        thread.join(START_TIMEOUT)
        sock.close()
