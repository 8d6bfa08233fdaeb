"""The alarm service: an :class:`AlarmEngine` on the bus, ticking with an injected clock.

It subscribes to sample batches, feeds them to the engine, and publishes the engine's
alarm events on the bus, where the historian stores them and live views show them. A
ticker wakes every ``tick_s`` seconds of the clock so that delays and shelving expire when
no samples arrive; tests use :class:`~shopfloor.model.clock.SimClock` and advance it.

Events go out through an outbox drained by their own task: the service's subscription may
also receive the events it publishes, and a consumer that waited on its own full queue
would wait forever.

>>> import asyncio
>>> from shopfloor.bus import MemoryBus
>>> from shopfloor.model.batch import SampleBatch
>>> from shopfloor.model.clock import SimClock
>>> from shopfloor.model.spec_alarms import AlarmsSpec
>>> async def demo() -> list[str]:
...     spec = AlarmsSpec.model_validate({"limits": [{"tags": "a/+/temp", "h": 80}]})
...     bus = MemoryBus()
...     seen = bus.subscribe("a/#")
...     async with AlarmService(AlarmEngine(spec), bus, SimClock()):
...         await bus.publish(SampleBatch.of("a/m1/temp", [1], [90.0]))
...         events = await asyncio.wait_for(seen.get(), 5)   # the batch itself
...         events = await asyncio.wait_for(seen.get(), 5)   # then the alarm
...     return [e.kind for e in events]
>>> asyncio.run(demo())
['alarm.active']
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterable
from typing import Any

from shopfloor.bus.base import Bus, Overflow, Subscription
from shopfloor.model.batch import SampleBatch
from shopfloor.model.clock import Clock
from shopfloor.model.errors import BusClosedError
from shopfloor.model.event import Event
from shopfloor.model.namespace import Pattern
from shopfloor.monitor.alarms.engine import AlarmEngine


class AlarmService:
    """Runs ``engine`` on ``bus``; start and stop it with ``async with`` or :meth:`start`."""

    def __init__(
        self,
        engine: AlarmEngine,
        bus: Bus,
        clock: Clock,
        *,
        patterns: str | Pattern | Iterable[str | Pattern] = "#",
        tick_s: float = 1.0,
        capacity: int = 1_000_000,
    ) -> None:
        if tick_s <= 0:
            raise ValueError("tick_s must be positive")
        self.engine = engine
        self.bus = bus
        self.clock = clock
        self.tick_s = tick_s
        # Alarms must see every sample, so the subscription blocks rather than drops.
        self.subscription: Subscription = bus.subscribe(
            patterns, capacity=capacity, overflow=Overflow.BLOCK
        )
        self.published = 0
        self.lost = 0
        self._outbox: asyncio.Queue[tuple[Event, ...] | None] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._publisher: asyncio.Task[None] | None = None

    # -- life cycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Start consuming, ticking and publishing."""
        if self._publisher is not None:
            return
        self._publisher = _task(self._publish_loop(), "alarms-publish")
        self._workers = [
            _task(self._consume_loop(), "alarms-consume"),
            _task(self._tick_loop(), "alarms-tick"),
        ]

    async def stop(self) -> None:
        """Stop consuming and ticking, publish what is still in the outbox, then stop."""
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers = []
        self.subscription.close()
        if self._publisher is not None:
            self._outbox.put_nowait(None)
            await self._publisher
            self._publisher = None

    async def __aenter__(self) -> AlarmService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- operator actions, at the clock's time ---------------------------------------------
    async def acknowledge(self, alarm_id: str, user: str, comment: str = "") -> list[Event]:
        """Acknowledge an alarm now and publish the events."""
        return self._send(self.engine.acknowledge(alarm_id, user, comment, self.clock.now_ns()))

    async def shelve(
        self, alarm_id: str, user: str, duration_s: float, comment: str = ""
    ) -> list[Event]:
        """Shelve an alarm now for ``duration_s`` and publish the events."""
        now = self.clock.now_ns()
        return self._send(self.engine.shelve(alarm_id, user, duration_s, comment, now))

    async def unshelve(self, alarm_id: str, user: str, comment: str = "") -> list[Event]:
        """Unshelve an alarm now and publish the events."""
        return self._send(self.engine.unshelve(alarm_id, user, comment, self.clock.now_ns()))

    # -- loops -----------------------------------------------------------------------------
    async def _consume_loop(self) -> None:
        async for message in self.subscription:
            if isinstance(message, SampleBatch):
                self._send(self.engine.process(message, self.clock.now_ns()))

    async def _tick_loop(self) -> None:
        while True:
            await self.clock.sleep(self.tick_s)
            self._send(self.engine.tick(self.clock.now_ns()))

    async def _publish_loop(self) -> None:
        while (events := await self._outbox.get()) is not None:
            try:
                await self.bus.publish(events)
                self.published += len(events)
            except BusClosedError:
                self.lost += len(events)

    def _send(self, events: list[Event]) -> list[Event]:
        if events:
            self._outbox.put_nowait(tuple(events))
        return events


def _task(coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    return asyncio.get_running_loop().create_task(coro, name=name)
