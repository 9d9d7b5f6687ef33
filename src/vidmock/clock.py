"""The one clock every timed thing in vidmock reads.

Three modes share one interface:

* ``virtual``: time moves only when told (``advance``). Timers due in the advanced window run in
  time order, each seeing ``now()`` equal to its own due time, so a ten-minute job finishes in a
  test in milliseconds and the run is reproducible.
* ``real``: wall time (``speed == 1``).
* ``scaled``: wall time multiplied (``--speed 60``: a minute per second).

Domain code never sleeps or reads the wall: it asks the clock for ``now()`` and registers timers
with ``call_every``/``call_at``. Only the driver in this module waits on the event loop.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["virtual", "real", "scaled"]
Callback = Callable[[], Awaitable[None]]
DriverState = Literal["manual", "idle", "running", "stopped", "failed"]

log = logging.getLogger("vidmock.clock")


# Fixed epoch for the virtual clock (2026-03-15T18:40:00Z, the DOC example's created_at), so two
# runs with the same seed produce the same timestamps byte for byte.
DEFAULT_VIRTUAL_START = 1773600000.0


@dataclass(order=True)
class _Timer:
    due: float
    seq: int
    callback: Callback = field(compare=False)
    interval: float | None = field(compare=False, default=None)
    cancelled: bool = field(compare=False, default=False)


class TimerHandle:
    def __init__(self, timer: _Timer) -> None:
        self._timer = timer

    def cancel(self) -> None:
        self._timer.cancelled = True


class Clock:
    """A clock with timers. Construct through ``Clock.virtual``, ``Clock.real`` or ``Clock.scaled``."""

    def __init__(
        self,
        mode: Mode,
        start: float,
        speed: float,
        wall: Callable[[], float] = time.monotonic,
        wall0: float | None = None,
        epoch: Callable[[], float] = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.mode: Mode = mode
        self.speed = speed
        self._start = start
        self._virtual_now = start
        self._wall = wall
        self._wall0 = wall() if wall0 is None else wall0
        self._timers: list[_Timer] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        # The unix time a receiver in another process reads, whatever this clock's mode: webhook
        # signature timestamps use it, so a receiver's freshness window holds on a virtual or scaled
        # clock (webhooks.md §3: the window is judged against the attempt's real send time).
        self.wall_time: Callable[[], float] = epoch
        # Called with the new time after each advance (the server persists virtual time with it).
        self.after_advance: list[Callable[[float], None]] = []
        # Health of the timers (shown by ``/_vidmock/health``): a timer that raises is contained, so
        # these are the only trace of it besides the log.
        self.driver: DriverState = "manual" if mode == "virtual" else "idle"
        self.timer_errors = 0
        self.last_error: str | None = None

    @classmethod
    def virtual(cls, start: float = DEFAULT_VIRTUAL_START, *, epoch: Callable[[], float] = time.time) -> Clock:
        return cls("virtual", start, 1.0, epoch=epoch)

    @classmethod
    def real(cls, start: float | None = None, *, epoch: Callable[[], float] = time.time) -> Clock:
        return cls("real", epoch() if start is None else start, 1.0, epoch=epoch)

    @classmethod
    def scaled(cls, speed: float, start: float | None = None, *, epoch: Callable[[], float] = time.time) -> Clock:
        return cls("scaled", epoch() if start is None else start, speed, epoch=epoch)

    @classmethod
    def shared_scaled(cls, speed: float, start: float, wall_origin: float) -> Clock:
        """A scaled clock several processes agree on: anchored to an epoch wall time, not to this
        process's monotonic origin."""
        return cls("scaled", start, speed, wall=time.time, wall0=wall_origin)

    # -- reading ---------------------------------------------------------------------------------
    def now(self) -> float:
        """Unix seconds on this clock."""
        if self.mode == "virtual":
            return self._virtual_now
        return self._start + (self._wall() - self._wall0) * self.speed

    def state(self) -> dict[str, object]:
        return {"mode": self.mode, "now": self.now(), "speed": self.speed, "timers": self.pending_timers()}

    def health(self) -> dict[str, object]:
        """The driver's state and how far behind it runs: ``lag_seconds`` is how long (clock seconds)
        the earliest timer has been overdue; a stalled driver shows a growing lag."""
        due = self.next_due()
        lag = 0.0 if due is None or self.mode == "virtual" else max(0.0, self.now() - due)
        return {
            "mode": self.mode,
            "driver": self.driver,
            "lag_seconds": round(lag, 3),
            "timers": self.pending_timers(),
            "timer_errors": self.timer_errors,
            "last_error": self.last_error,
        }

    def pending_timers(self) -> int:
        return sum(1 for t in self._timers if not t.cancelled)

    def next_due(self) -> float | None:
        self._drop_cancelled()
        return self._timers[0].due if self._timers else None

    # -- timers ------------------------------------------------------------------------------------
    def call_at(self, due: float, callback: Callback) -> TimerHandle:
        return self._push(_Timer(due, next(self._seq), callback))

    def call_every(self, interval: float, callback: Callback, *, first: float | None = None) -> TimerHandle:
        if interval <= 0:
            raise ValueError("interval must be positive")
        due = self.now() + interval if first is None else first
        return self._push(_Timer(due, next(self._seq), callback, interval))

    def _push(self, timer: _Timer) -> TimerHandle:
        heapq.heappush(self._timers, timer)
        if self._wake is not None:
            self._wake.set()
        return TimerHandle(timer)

    def _drop_cancelled(self) -> None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)

    async def _fire_due(self, limit: float) -> bool:
        """Run the earliest timer due at or before ``limit``; False when there is none."""
        self._drop_cancelled()
        if not self._timers or self._timers[0].due > limit:
            return False
        timer = heapq.heappop(self._timers)
        if self.mode == "virtual":
            self._virtual_now = max(self._virtual_now, timer.due)
        if timer.interval is not None:
            timer.due += timer.interval
            heapq.heappush(self._timers, timer)
        await self._run_contained(timer)
        return True

    async def _run_contained(self, timer: _Timer) -> None:
        """Run one timer's callback so that nothing it raises reaches the driver or ``advance``: one
        job, attempt or timer must never stop the others (issue 12). A repeating timer was already
        rescheduled above and runs again; a one-shot timer is dropped. The error is counted, kept for
        ``/_vidmock/health`` and logged with its traceback."""
        try:
            await timer.callback()
        except Exception as exc:
            self.timer_errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"[:500]
            log.exception("vidmock: a clock timer raised; contained, the clock keeps running")

    # -- moving time -----------------------------------------------------------------------------
    async def advance(self, seconds: float) -> float:
        """Virtual mode: move time forward, running every timer due on the way, in order."""
        if self.mode != "virtual":
            raise ClockModeError("the clock can only be advanced in virtual mode")
        if seconds < 0:
            raise ValueError("cannot move time backwards")
        if self._lock is None:
            self._lock = asyncio.Lock()
        # One advance at a time: two concurrent advances would interleave timers out of order.
        async with self._lock:
            target = self._virtual_now + seconds
            while await self._fire_due(target):
                pass
            self._virtual_now = max(self._virtual_now, target)
        for listener in self.after_advance:
            listener(self._virtual_now)
        return self._virtual_now

    async def wait(self, seconds: float, waited: list[float] | None = None) -> None:
        """Let ``seconds`` of clock time pass inside one request (a slow upstream body). Real and
        scaled clocks wait the matching wall time; the virtual clock cannot move on its own, so the
        wait is only added to ``waited``, the meter an in-process caller handed the request."""
        if seconds <= 0:
            return
        if self.mode == "virtual":
            if waited is not None:
                waited[0] += seconds
            return
        await asyncio.sleep(seconds / self.speed)

    async def hang(self, wall_limit: float = 300.0) -> None:
        """Hold a request open (a hung upstream) until its client gives up, at most ``wall_limit``
        wall seconds so a server can still shut down."""
        await asyncio.sleep(wall_limit)

    async def drive(self) -> None:
        """Real and scaled modes: run timers as wall time reaches them. Runs until cancelled."""
        if self.mode == "virtual":
            return
        self._wake = asyncio.Event()
        self.driver = "running"
        try:
            while True:
                while await self._fire_due(self.now()):
                    pass
                due = self.next_due()
                self._wake.clear()
                timeout = None if due is None else max(0.0, (due - self.now()) / self.speed)
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout)
                except TimeoutError:
                    pass
        except asyncio.CancelledError:
            self.driver = "stopped"
            raise
        except BaseException as exc:  # timers are contained; this is the driver itself failing
            self.driver = "failed"
            self.last_error = f"{type(exc).__name__}: {exc}"[:500]
            log.exception("vidmock: the clock driver stopped")
            raise


class ClockModeError(Exception):
    """An operation that only makes sense in another clock mode."""
