"""The recorder: everything on the bus goes into the historian.

It subscribes with ``Overflow.BLOCK``, so a historian that falls behind slows the producers
instead of losing data, and it flushes every ``flush_every_s`` seconds of wall time (the
DuckDB historian in shared mode releases its file between flushes, so ``shopfloor history``
can read while a demo writes).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from shopfloor.bus.base import Bus, Overflow
from shopfloor.historian.aio import AsyncHistorian
from shopfloor.model.batch import SampleBatch, TextBatch


@dataclass
class RecorderStats:
    samples: int = 0
    texts: int = 0
    events: int = 0
    flushes: int = 0


class Recorder:
    """Writes every message of a bus subscription to a historian."""

    def __init__(
        self,
        bus: Bus,
        historian: AsyncHistorian,
        *,
        flush_every_s: float = 1.0,
        capacity: int = 2_000_000,
    ) -> None:
        self.historian = historian
        self.flush_every_s = flush_every_s
        self.subscription = bus.subscribe("#", capacity=capacity, overflow=Overflow.BLOCK)
        self.stats = RecorderStats()

    async def run(self) -> None:
        """Record until the subscription closes, then flush what is left."""
        last_flush = time.monotonic()
        try:
            async for message in self.subscription:
                await self._write(message)
                if time.monotonic() - last_flush >= self.flush_every_s:
                    await self.historian.flush()
                    self.stats.flushes += 1
                    last_flush = time.monotonic()
        finally:
            await asyncio.shield(self.historian.flush())
            self.stats.flushes += 1

    async def _write(self, message: object) -> None:
        if isinstance(message, SampleBatch):
            await self.historian.append(message)
            self.stats.samples += len(message)
        elif isinstance(message, TextBatch):
            await self.historian.append_text(message)
            self.stats.texts += len(message)
        elif isinstance(message, tuple):
            await self.historian.append_events(message)
            self.stats.events += len(message)

    def close(self) -> None:
        """Stop taking new messages; :meth:`run` drains the queue and returns."""
        self.subscription.close()
