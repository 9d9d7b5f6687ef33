"""Held requests for the ``hang`` step: never answered until released, or until the sender leaves.

No sleeping: each held request waits on its own ``asyncio.Event``, created on the loop serving it.
``release_all`` may be called from another thread (a test's main thread while uvicorn serves in a
background one), so it sets each event through its own loop.
"""

from __future__ import annotations

import asyncio
import threading

from starlette.requests import Request


async def _disconnected(request: Request) -> None:
    # The body has been read, so the next ASGI message can only be the disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        pass


class Holds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.closed = False

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._held)

    async def hold(self, request: Request) -> None:
        """Return once released, or once the client disconnected (its timeout fired): a long
        session of hangs must not pile up held requests."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            if self.closed:
                return
            self._held.append(entry)
        waits = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(_disconnected(request))]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            with self._lock:
                if entry in self._held:
                    self._held.remove(entry)

    def release_all(self) -> None:
        """Release every held request; from now on ``hold`` returns at once."""
        with self._lock:
            self.closed = True
            held = list(self._held)
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for loop, event in held:
            if loop is current:
                event.set()
            elif not loop.is_closed():
                loop.call_soon_threadsafe(event.set)
