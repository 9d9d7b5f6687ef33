"""``Receiver``: an ASGI webhook endpoint that verifies, records and answers by script.

It accepts ``POST`` on any path, reads the raw body (verification must see the exact bytes sent,
webhooks.md §5 item 1), checks it with ``vidmock.webhooks.verify`` and, when that fails, asks
``diagnose`` for the likely mistake. Every delivery is recorded, then answered with the next step of
the response script.

Time comes from the injectable ``now``: wall time by default, ``runtime.clock.now`` in tests, so the
timestamp window is judged on the same virtual clock the gateway signs with.

The receiver may be served from a background thread (``running``) while a test reads it from the
main thread, so the record is guarded by a lock (and ``hold`` releases hangs thread-safely).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..webhooks import SCHEMES, VerificationError, diagnose, verify
from ..webhooks.schemes import KEY_DERIVATION, mask_secret
from .hold import Holds
from .record import UNVERIFIED, Answer, Delivery, Verdict, event_info, mask_headers, summarize
from .script import ResponseScript, Step, StepSpec

# diagnose() always applies a window; "no window" (tolerance=None) is a window no clock can leave.
NO_WINDOW = 10**12
VALID = "The signature is valid for the raw body."

Listener = Callable[[Delivery], None]


def _answer(step: Step) -> Answer:
    if step.status is None:
        return Answer(None, hang=True)
    headers: dict[str, str] = {}
    if step.location is not None:
        headers["location"] = step.location
    if step.retry_after is not None:
        headers["retry-after"] = str(step.retry_after)
    return Answer(step.status, headers=headers, body=step.body)


class Receiver:
    """A local webhook receiver; ``secret=None`` records without verifying (verdict ``unverified``).

    ``secret`` may be a list (key rotation: any one matching passes). ``script`` is a
    ``ResponseScript``, a list of steps, or the compact CLI string; None answers 200 to everything.
    """

    def __init__(
        self,
        secret: str | list[str] | None,
        *,
        scheme: str = "llmgateway",
        script: ResponseScript | Sequence[StepSpec] | str | None = None,
        tolerance: int | None = 300,
        now: Callable[[], float] | None = None,
    ) -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"unknown webhook scheme {scheme!r}; known: {sorted(SCHEMES)}")
        self.secrets: list[str] = [] if secret is None else [secret] if isinstance(secret, str) else list(secret)
        if any(not isinstance(s, str) or not s for s in self.secrets):
            raise ValueError("secrets must be non-empty strings")
        for s in self.secrets:
            KEY_DERIVATION[scheme](s)  # ValueError now (masked), not a failed verdict per delivery
        self.scheme = scheme
        self.tolerance = tolerance
        self.script = script if isinstance(script, ResponseScript) else ResponseScript(script or ())
        # The one wall-clock read in the package, and only when no clock is injected.
        self.now: Callable[[], float] = now or time.time
        self._deliveries: list[Delivery] = []
        self._attempts: dict[str, int] = {}
        self._changed = threading.Condition()
        self._listeners: list[Listener] = []
        self._holds = Holds()
        self.app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=["POST"])])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    # -- receiving --------------------------------------------------------------------------------
    def verdict(self, body: bytes, headers: Mapping[str, str], now: float) -> Verdict:
        """Verify ``body`` (the raw bytes) at ``now``; on failure, name the likely mistake."""
        if not self.secrets:
            return UNVERIFIED
        try:
            verify(self.scheme, body, headers, self.secrets, now=now, tolerance=self.tolerance)
            return Verdict(True, "ok", None, VALID)
        except VerificationError:
            pass
        window = NO_WINDOW if self.tolerance is None else self.tolerance
        try:
            d = diagnose(self.scheme, body, headers, self.secrets, now, tolerance=window)
        except (VerificationError, ValueError) as exc:  # never let a hostile request crash the receiver
            return Verdict(False, getattr(exc, "reason", "error"), None, str(exc))
        return Verdict(d.ok, d.reason, d.likely_mistake, d.message)

    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        received_at = self.now()
        info = event_info(request.headers, body)
        verdict = self.verdict(body, request.headers, received_at)
        step = self.script.next(info.event_id)
        answer = _answer(step)
        query = request.url.query
        with self._changed:
            key = info.event_id or ""
            self._attempts[key] = attempt = self._attempts.get(key, 0) + 1
            delivery = Delivery(
                index=len(self._deliveries) + 1,
                received_at=received_at,
                method=request.method,
                path=request.url.path + (f"?{query}" if query else ""),
                headers=mask_headers(request.headers),
                body=body.decode("utf-8", "replace"),
                event_id=info.event_id,
                event_type=info.event_type,
                job_id=info.job_id,
                attempt=attempt,
                verdict=verdict,
                answered=answer,
            )
            self._deliveries.append(delivery)
            self._changed.notify_all()
        for listener in list(self._listeners):
            listener(delivery)
        if answer.hang:
            await self._holds.hold(request)
            return Response("vidmock listen: receiver closed", status_code=503)
        return Response(answer.body, status_code=answer.status or 200, headers=answer.headers)

    @property
    def hanging(self) -> int:
        """Requests currently held by a ``hang`` step."""
        return self._holds.count

    def close(self) -> None:
        """Release every hanging request (they answer 503); later ``hang`` steps answer at once."""
        self._holds.release_all()

    # -- reading the record -----------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with each delivery as it is recorded (before it is answered)."""
        self._listeners.append(listener)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._changed:
            return list(self._deliveries)

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Delivery]:
        """Block until at least ``count`` deliveries arrived (for a receiver served by ``running``)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._deliveries) >= count, timeout):
                raise TimeoutError(f"{len(self._deliveries)} of {count} deliveries after {timeout} s")
            return list(self._deliveries)

    async def wait_async(self, count: int = 1, timeout: float = 10.0) -> list[Delivery]:
        # In a thread: the delivery may be recorded by this very loop (ASGITransport) or another.
        return await asyncio.to_thread(self.wait, count, timeout)

    def summary(self) -> dict[str, dict[str, Any]]:
        return summarize(self.deliveries)

    def to_json(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "secrets": [mask_secret(s) for s in self.secrets],
            "tolerance": self.tolerance,
            "script": self.script.describe(),
            "deliveries": [d.to_json() for d in self.deliveries],
            "summary": self.summary(),
        }

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write ``to_json()`` atomically: a reader never sees a half-written file."""
        target = Path(path)
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text + "\n")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
