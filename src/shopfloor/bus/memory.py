"""The in-process bus: the embedded deployment's message path.

>>> import asyncio
>>> from shopfloor.model.batch import SampleBatch
>>> async def demo() -> int:
...     bus = MemoryBus()
...     sub = bus.subscribe("acme/#")
...     await bus.publish(SampleBatch.of("acme/line1/press/temp", [1, 2], [20.0, 21.0]))
...     return len(await sub.get())
>>> asyncio.run(demo())
2
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable

from shopfloor.bus.base import (
    Message,
    Overflow,
    SubscriptionStats,
    message_size,
    selectors,
)
from shopfloor.bus.selector import Selector
from shopfloor.model.errors import BusClosedError
from shopfloor.model.namespace import Pattern


class MemorySubscription:
    """A bounded queue of matching messages for one subscriber."""

    def __init__(
        self, bus: MemoryBus, patterns: tuple[Pattern, ...], capacity: int, overflow: Overflow
    ) -> None:
        if capacity < 1:
            raise ValueError("subscription capacity must be at least 1 sample")
        self._bus = bus
        self.patterns = patterns
        self.capacity = capacity
        self.overflow = overflow
        self.stats = SubscriptionStats()
        self._queue: deque[Message] = deque()
        self._queued = 0
        self._closed = False
        self._readable = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self._selector = Selector(patterns)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def queued_samples(self) -> int:
        return self._queued

    def wants(self, message: Message) -> Message | None:
        """The part of ``message`` this subscription selects."""
        return self._selector.wants(message)

    async def put(self, message: Message) -> None:
        """Queue a message, waiting for room (BLOCK) or dropping the oldest (DROP_OLDEST)."""
        size = message_size(message)
        if self.overflow is Overflow.DROP_OLDEST:
            self._drop_for(size)
        else:
            while self._queued and self._queued + size > self.capacity and not self._closed:
                self.stats.blocked_publishes += 1
                self._writable.clear()
                await self._writable.wait()
        if self._closed:
            return
        self._queue.append(message)
        self._queued += size
        self._readable.set()

    def _drop_for(self, size: int) -> None:
        while self._queue and self._queued + size > self.capacity:
            old = self._queue.popleft()
            self._queued -= message_size(old)
            self.stats.dropped_messages += 1
            self.stats.dropped_samples += message_size(old)

    def get_nowait(self) -> Message | None:
        """The next message, or None when the queue is empty."""
        if not self._queue:
            return None
        message = self._queue.popleft()
        self._queued -= message_size(message)
        self.stats.delivered_messages += 1
        self.stats.delivered_samples += message_size(message)
        if not self._queue:
            self._readable.clear()
        self._writable.set()
        return message

    async def get(self) -> Message:
        """Wait for the next message; raises :class:`BusClosedError` once closed and drained."""
        while True:
            message = self.get_nowait()
            if message is not None:
                return message
            if self._closed:
                raise BusClosedError("subscription is closed")
            await self._readable.wait()

    async def __aiter__(self) -> AsyncIterator[Message]:
        while True:
            try:
                yield await self.get()
            except BusClosedError:
                return

    def close(self) -> None:
        """Stop receiving; what is queued can still be read."""
        if self._closed:
            return
        self._closed = True
        self._bus._forget(self)
        self._readable.set()
        self._writable.set()

    async def __aenter__(self) -> MemorySubscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class MemoryBus:
    """An in-process bus with bounded, per-subscriber queues."""

    def __init__(self) -> None:
        self._subs: list[MemorySubscription] = []
        self._closed = False
        self.published_messages = 0
        self.published_samples = 0

    def subscribe(
        self,
        patterns: str | Pattern | Iterable[str | Pattern] = "#",
        *,
        capacity: int = 100_000,
        overflow: Overflow = Overflow.BLOCK,
    ) -> MemorySubscription:
        """Start receiving the messages that match ``patterns``."""
        if self._closed:
            raise BusClosedError("bus is closed")
        sub = MemorySubscription(self, selectors(patterns), capacity, overflow)
        self._subs.append(sub)
        return sub

    async def publish(self, message: Message) -> None:
        """Deliver ``message`` to every matching subscriber, waiting where one is full."""
        if self._closed:
            raise BusClosedError("bus is closed")
        self.published_messages += 1
        self.published_samples += message_size(message)
        for sub in tuple(self._subs):
            part = sub.wants(message)
            if part is not None:
                await sub.put(part)

    @property
    def subscriptions(self) -> tuple[MemorySubscription, ...]:
        return tuple(self._subs)

    async def close(self) -> None:
        """Close the bus and every subscription; queued messages stay readable."""
        self._closed = True
        for sub in tuple(self._subs):
            sub.close()

    def _forget(self, sub: MemorySubscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
