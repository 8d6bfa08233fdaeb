"""Injected time: a wall clock for servers, a simulated clock for the twin and tests.

Everything that needs "now" or has to wait takes a :class:`Clock`. Tests and the twin use
:class:`SimClock` and move time forward instead of sleeping; servers use :class:`WallClock`.

>>> clock = SimClock(start_ns=1_000)
>>> clock.advance(2.5)
>>> clock.now_ns()
2500001000
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol, runtime_checkable

NS_PER_S = 1_000_000_000


@runtime_checkable
class Clock(Protocol):
    """A source of time in nanoseconds since the Unix epoch (UTC) that can be waited on."""

    def now_ns(self) -> int: ...

    async def sleep(self, seconds: float) -> None: ...


class WallClock:
    """The system's real time."""

    def now_ns(self) -> int:
        return time.time_ns()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class SimClock:
    """Simulated time that only moves when told to.

    ``sleep`` parks the caller until :meth:`advance` (or :meth:`set`) moves time past its
    deadline; sleepers wake in deadline order.
    """

    def __init__(self, start_ns: int = 0) -> None:
        self._now = int(start_ns)
        self._sleepers: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now_ns(self) -> int:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        deadline = self._now + round(seconds * NS_PER_S)
        heapq.heappush(self._sleepers, (deadline, next(self._seq), future))
        await future

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking every sleeper whose deadline passed."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self.set(self._now + round(seconds * NS_PER_S))

    def set(self, now_ns: int) -> None:
        """Move time forward to ``now_ns``."""
        if now_ns < self._now:
            raise ValueError("a clock cannot go backwards")
        self._now = int(now_ns)
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    @property
    def pending(self) -> int:
        """How many sleepers wait for time to move."""
        return sum(1 for *_, f in self._sleepers if not f.done())
