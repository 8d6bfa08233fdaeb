"""A service that reads everything on a bus and publishes what it derives from it.

The live analytics (anomaly detection, health and remaining life) share this life cycle:
one subscription to ``#`` that blocks rather than drops (an estimator must see every row),
and an outbox drained by its own task, because the worker also receives what it publishes
and must never wait on itself. ``start`` restores saved state before the first message;
``stop`` takes what is queued, publishes the outbox, then saves the state. How state is
kept is the subclass's business (:meth:`BusWorker._restore`, :meth:`BusWorker._save`).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from typing import ClassVar, Generic, Self, TypeVar

from shopfloor.bus.base import Bus, Message, Overflow, Subscription
from shopfloor.model.errors import BusClosedError

Item = TypeVar("Item")


class BusWorker(ABC, Generic[Item]):
    """Consumes ``bus`` into items (:meth:`_take`) that :meth:`_send` publishes in order.

    ``published`` counts the events sent, ``lost`` those the closing bus refused.
    """

    name: ClassVar[str] = "worker"

    def __init__(self, bus: Bus, *, capacity: int = 1_000_000) -> None:
        self.bus = bus
        # Everything: the engines route by path themselves, faster than a filter each.
        self.subscription: Subscription = bus.subscribe(
            "#", capacity=capacity, overflow=Overflow.BLOCK
        )
        self.published = 0
        self.lost = 0
        self._outbox: asyncio.Queue[Item | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    @abstractmethod
    def _take(self, message: Message) -> Item | None:
        """What ``message`` gives to publish, or None."""

    @abstractmethod
    async def _send(self, item: Item) -> None:
        """Publish ``item`` on the bus."""

    @abstractmethod
    def _size(self, item: Item) -> int:
        """How many events ``item`` holds (for ``published`` and ``lost``)."""

    def _restore(self) -> None:
        """Read saved state, before the first message."""

    def _save(self) -> None:
        """Keep the state, after the last message."""

    async def start(self) -> None:
        """Restore saved state, then start consuming and publishing."""
        if self._tasks:
            return
        self._restore()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._publish_loop(), name=f"{self.name}-publish"),
            loop.create_task(self._consume_loop(), name=f"{self.name}-consume"),
        ]

    async def stop(self) -> None:
        """Take what is queued, publish the outbox, then save the state."""
        if not self._tasks:
            return
        publisher, consumer = self._tasks
        self.subscription.close()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
        self._outbox.put_nowait(None)
        await publisher
        self._tasks = []
        self._save()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _consume_loop(self) -> None:
        async for message in self.subscription:
            item = self._take(message)
            if item is not None:
                self._outbox.put_nowait(item)

    async def _publish_loop(self) -> None:
        while (item := await self._outbox.get()) is not None:
            size = self._size(item)
            try:
                await self._send(item)
                self.published += size
            except BusClosedError:
                self.lost += size
