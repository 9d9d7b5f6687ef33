"""vidmock on a free loopback port, served by uvicorn in a background thread, and the control handle
tests use to drive it.

Every touch of the app's state (the clock, the store, the journal, the webhook outbox) runs on the
server's own event loop, so a test never races the server thread, and a test's own event loop (if
it has one) never owns vidmock's HTTP clients.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import httpx

from ..config import ServerConfig
from ..gateway.domain.jobs import JOB_KIND, Job, serialize
from ..gateway.domain.status import TERMINAL
from .verify import Requests

T = TypeVar("T")

SCENARIO_HEADER = "X-Vidmock-Scenario"  # how a request picks a scenario; sent by `client()`
STEP_SECONDS = 5.0  # the worker's poll interval: `wait_for_status` moves the clock this much at a time


class ServerThread:
    """One vidmock app, served on ``127.0.0.1:<free port>`` by uvicorn in a daemon thread.

    ``url`` is its base URL; ``runtime`` is ``app.state.vidmock``. ``stop()`` shuts it down and
    closes the runtime. The port is bound before the config is built, so signed content URLs point
    at the real port and no other process can take it in between.
    """

    def __init__(self, config: ServerConfig | None = None, *, media: Any = None) -> None:
        from ..server import build_app

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        port = int(self._sock.getsockname()[1])
        base = config or ServerConfig(clock="virtual")
        self.config = base.with_(host="127.0.0.1", port=port)
        overrides = {"media": media} if media is not None else {}
        self.app = build_app(self.config, **overrides)
        self.runtime = self.app.state.vidmock
        self.url = self.config.base_url
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> ServerThread:
        import uvicorn

        ready = threading.Event()
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)

        def run() -> None:
            loop = asyncio.new_event_loop()
            self.loop = loop
            asyncio.set_event_loop(loop)
            ready.set()
            try:
                loop.run_until_complete(self._server.serve(sockets=[self._sock]))
                loop.run_until_complete(self.runtime.aclose())
            except BaseException as exc:  # reported by start() or stop()
                self._error = exc
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name=f"vidmock-{self.config.port}", daemon=True)
        self._thread.start()
        ready.wait(timeout)
        waited = 0.0
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"vidmock did not start on {self.url}: {self._error!r}")
            if waited > timeout:
                raise RuntimeError(f"vidmock did not start on {self.url} within {timeout:g} s")
            threading.Event().wait(0.01)  # start-up only: the server thread is binding, nothing to advance
            waited += 0.01
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._sock.close()

    # -- running on the server's loop --------------------------------------------------------------
    def submit(self, coro: Awaitable[T]) -> Future[T]:
        if self.loop is None:
            raise RuntimeError("the vidmock server is not running")
        return asyncio.run_coroutine_threadsafe(_as_coroutine(coro), self.loop)

    def run(self, coro: Awaitable[T], timeout: float = 300.0) -> T:
        """Run a coroutine on the server's loop and wait for its result (from any other thread)."""
        return self.submit(coro).result(timeout)

    def call(self, fn: Callable[[], T], timeout: float = 60.0) -> T:
        """Run a plain function on the server's loop (reads of the store, the journal…)."""

        async def wrapper() -> T:
            return fn()

        return self.run(wrapper(), timeout)

    async def arun(self, coro: Awaitable[T]) -> T:
        """The same from a coroutine on another event loop (an async test)."""
        return await asyncio.wrap_future(self.submit(coro))


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


class VidmockHandle:
    """What the ``vidmock`` fixture returns: drive and inspect one running vidmock.

    ``url``, ``api_key``, ``runtime`` and ``config`` describe it; ``advance``, ``wait_for_status``,
    ``journal``, ``webhooks``, ``jobs`` and ``reset`` drive and read it; ``client()`` is an httpx
    client with the API key (and the scenario header once ``use_scenario`` was called).
    """

    def __init__(self, server: ServerThread, *, scenario: str | None = None) -> None:
        self.server = server
        self.url = server.url
        self.config = server.config
        self.runtime = server.runtime
        self.api_key = server.config.projects[0].keys[0]
        self.scenario: str | None = scenario
        self._clients: list[Any] = []

    def __repr__(self) -> str:
        return f"<vidmock {self.url} t={self.now():g} scenario={self.scenario!r}>"

    # -- time ----------------------------------------------------------------------------------------
    def now(self) -> float:
        return float(self.server.call(self.runtime.clock.now))

    def advance(self, seconds: float) -> float:
        """Move the virtual clock, running the worker and the webhook loop on the way; the new time."""
        return float(self.server.run(self.runtime.advance(seconds)))

    async def aadvance(self, seconds: float) -> float:
        """``advance`` for async tests (does not block their event loop)."""
        return float(await self.server.arun(self.runtime.advance(seconds)))

    def wait_for_status(
        self, video_id: str, status: str = "completed", *, max_seconds: float = 3600.0, step: float = STEP_SECONDS
    ) -> dict[str, Any]:
        """Advance the virtual clock ``step`` seconds at a time until the job has ``status``; the video
        object as GET returns it. Never sleeps. Fails at once if the job ends in another terminal
        status, or after ``max_seconds`` of virtual time."""
        moved = 0.0
        while True:
            doc = self._job_doc(video_id)
            if doc is None:
                raise AssertionError(f"vidmock has no job {video_id!r}")
            if doc["status"] == status:
                return self.video(video_id)
            if doc["status"] in TERMINAL:
                raise AssertionError(
                    f"job {video_id} ended {doc['status']!r}, not {status!r}; error: {doc.get('error')}"
                )
            if moved >= max_seconds:
                raise AssertionError(
                    f"job {video_id} still {doc['status']!r} after {moved:g} virtual seconds (waiting for {status!r})"
                )
            self.advance(step)
            moved += step

    # -- scenario -------------------------------------------------------------------------------------
    def use_scenario(self, name: str | None, provider: str | None = None) -> None:
        """Pick the scenario for the rest of this test (``None``: none). It becomes the server's
        default (for ``provider`` only, if given), so every client sees it, including one routed by
        ``vidmock_respx``; ``client()`` also sends it as ``X-Vidmock-Scenario``. An unknown name
        raises at once. ``reset`` (before each test) restores the configured defaults."""
        engine = getattr(self.runtime, "scenarios", None)
        if engine is not None:
            self.server.call(lambda: engine.set_default(name, provider))
        if provider is None:
            self.scenario = name

    @property
    def default_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if self.scenario:
            headers[SCENARIO_HEADER] = self.scenario
        return headers

    # -- request verification (testing/verify.py) ----------------------------------------------------
    @property
    def requests(self) -> Requests:
        """Every request this vidmock received, gateway and emulators: ``.count(method=, path=, json=)``,
        ``.find(...)``, ``.called(...)``, ``.verify(times=, ...)``."""
        from ..requestlog import merged

        return Requests(lambda: list(self.server.call(lambda: merged(self.runtime.requests, self.runtime.journal))))

    def verify(self, times: int | None = None, **criteria: Any) -> list[dict[str, Any]]:
        """Assert ``times`` requests (at least one if None) match; the failure lists the near misses."""
        return self.requests.verify(times, **criteria)

    # -- reading ------------------------------------------------------------------------------------
    def journal(self, service: str | None = None) -> list[dict[str, Any]]:
        """Upstream calls the provider emulators received, oldest first (secrets masked)."""
        entries = self.server.call(lambda: list(self.runtime.journal.entries))
        return [e.as_dict() for e in entries if service is None or e.service == service]

    def webhooks(self, video_id: str | None = None) -> list[dict[str, Any]]:
        """Every webhook delivery attempt (``gateway.webhook`` rows), by job then attempt."""
        return list(self.server.call(lambda: self.runtime.webhooks.rows(video_id)))

    def jobs(self) -> list[dict[str, Any]]:
        """The gateway's job records, as stored (with the callback secret)."""
        return list(self.server.call(lambda: self.runtime.store.all(JOB_KIND)))

    def video(self, video_id: str) -> dict[str, Any]:
        """The video object GET /v1/videos/{id} would return now."""

        def read() -> dict[str, Any]:
            doc = self.runtime.store.get(JOB_KIND, video_id)
            if doc is None:
                raise AssertionError(f"vidmock has no job {video_id!r}")
            return serialize(Job.from_doc(doc), self.runtime.clock.now(), self.runtime.service.serialize_options)

        return self.server.call(read)

    def _job_doc(self, video_id: str) -> dict[str, Any] | None:
        def read() -> dict[str, Any] | None:
            doc: dict[str, Any] | None = self.runtime.store.get(JOB_KIND, video_id)
            return doc

        return self.server.call(read)

    # -- writing --------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every job, upstream operation, webhook and journal entry (as POST /_vidmock/reset),
        and any scenario a test picked. The virtual clock keeps its time: it never moves backwards."""

        def reset() -> None:
            self.runtime.store.reset()
            self.runtime.journal.clear()
            self.runtime.requests.clear()
            engine = getattr(self.runtime, "scenarios", None)
            if engine is not None:  # scenarios picked by the previous test are forgotten too
                engine.set_default(self.config.scenario)
                engine.provider_defaults = dict(self.config.provider_scenarios)

        self.server.call(reset)

    # -- clients --------------------------------------------------------------------------------------
    def client(self, **kwargs: Any) -> httpx.Client:
        """A sync httpx client for this vidmock with the API key (closed at the end of the test)."""
        headers = {**self.default_headers, **kwargs.pop("headers", {})}
        client = httpx.Client(
            base_url=kwargs.pop("base_url", self.url), headers=headers, timeout=kwargs.pop("timeout", 30.0), **kwargs
        )
        self._clients.append(client)
        return client

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """The same, async. Close it yourself (``async with``)."""
        headers = {**self.default_headers, **kwargs.pop("headers", {})}
        return httpx.AsyncClient(
            base_url=kwargs.pop("base_url", self.url), headers=headers, timeout=kwargs.pop("timeout", 30.0), **kwargs
        )

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
