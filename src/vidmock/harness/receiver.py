"""The built-in webhook receiver: a small Starlette app on a real loopback port.

Each job gets its own URL (``/hooks/<token>``), so a misrouted delivery is visible, and its own
scripted answers (e.g. 500 twice, then 204) to exercise retries. The receiver only records: the raw
bytes and headers exactly as received, the target's time at receipt, and — inside the handler,
before answering — a GET of the job, which is what "read-your-webhook" consistency (C3) is about.
Verification happens later in the checks, with ``vidmock.webhooks.verify``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .serve import ThreadServer

REDIRECTED = "/redirected/"  # where a scripted 3xx points; any request here followed a redirect


@dataclass
class Hook:
    token: str
    secret: str
    script: list[int] = field(default_factory=list)  # statuses for successive attempts, then 204
    job_id: str | None = None


@dataclass
class Delivery:
    token: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    wall: float
    clock: float  # the target's time at receipt (virtual clock, or wall)
    answered: int  # the status the receiver returned
    job_status: int | None = None  # GET of the job inside the handler
    job: Any = None
    attempt: int = 0  # 1-based, per token


class Receiver:
    def __init__(self, target_url: str, api_key: str, *, target_clock: bool, host: str = "127.0.0.1") -> None:
        # target_clock: the target exposes /_vidmock/clock (virtual or scaled), whose time is "now".
        self.target_url, self.api_key, self.target_clock = target_url, api_key, target_clock
        self.hooks: dict[str, Hook] = {}
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._server = ThreadServer(
            Starlette(
                routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT"])], lifespan=self._lifespan
            ),
            host=host,
        )

    @property
    def url(self) -> str:
        return self._server.url

    def hook(self, token: str, secret: str, script: list[int] | None = None) -> str:
        self.hooks[token] = Hook(token, secret, list(script or []))
        return f"{self.url}/hooks/{token}"

    def for_token(self, token: str) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if d.token == token]

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[dict[str, Any]]:
        # One client (and connection pool) for the receiver's life, handed to each request through the
        # lifespan state: a client per delivery built a TLS context each time (~20 ms of CPU apiece).
        async with httpx.AsyncClient(base_url=self.target_url, timeout=10) as client:
            yield {"target": client}

    async def _handle(self, request: Request) -> Response:
        body = await request.body()  # raw bytes: never re-serialised before verification
        wall = time.time()
        path = request.url.path
        token = path.removeprefix("/hooks/") if path.startswith("/hooks/") else ""
        hook = self.hooks.get(token)
        clock, job_status, job = wall, None, None
        client: httpx.AsyncClient = request.state.target
        if self.target_clock:
            clock = float((await client.get("/_vidmock/clock")).json()["now"])
        if hook is not None and hook.job_id:
            r = await client.get(f"/v1/videos/{hook.job_id}", headers={"Authorization": f"Bearer {self.api_key}"})
            job_status, job = r.status_code, (r.json() if r.status_code == 200 else r.text)
        with self._lock:
            attempt = sum(1 for d in self.deliveries if d.token == token) + 1
            answer = 204
            if hook is not None and attempt <= len(hook.script):
                answer = hook.script[attempt - 1]
            self.deliveries.append(
                Delivery(
                    token,
                    request.method,
                    path,
                    dict(request.headers),
                    body,
                    wall,
                    clock,
                    answer,
                    job_status,
                    job,
                    attempt,
                )
            )
        if 300 <= answer < 400:  # a redirect a target must not follow (C5): where it points is recorded
            return Response(status_code=answer, headers={"Location": f"{self.url}{REDIRECTED}{token}"})
        return Response(status_code=answer)

    def start(self) -> Receiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
