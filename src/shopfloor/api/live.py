"""Live stream fan-out: one bus subscription, many WebSocket clients, each payload encoded once.

Clients subscribe by unified-namespace patterns. :class:`LiveHub` takes every message from
the bus once, selects each *distinct* pattern set's part of it, encodes that part to JSON
once, and queues the same bytes for every client with that pattern set. A client that
cannot keep up loses its oldest queued messages (and is told how many), never the server's
time: the bus keeps flowing for the historian and everyone else.

A message on the wire is a JSON object::

    {"type": "samples", "paths": [...], "tag": [...], "ts": [...], "value": [...],
     "quality": [...], "status": [...]}
    {"type": "text", ...same columns, value as strings...}
    {"type": "events", "events": [{"id": ..., "time_ns": ..., "asset": ..., ...}]}
    {"type": "dropped", "messages": 3}
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterable

import numpy as np
import orjson

from shopfloor.bus.base import Bus, Message, Overflow, Subscription
from shopfloor.bus.selector import Selector
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.errors import BusClosedError
from shopfloor.model.namespace import Pattern


def encode(message: Message) -> bytes:
    """The JSON form of one bus message."""
    if isinstance(message, tuple):
        return orjson.dumps({"type": "events", "events": [e.to_dict() for e in message]})
    kind = "text" if isinstance(message, TextBatch) else "samples"
    values = message.value.tolist() if isinstance(message, TextBatch) else _numbers(message)
    return orjson.dumps(
        {
            "type": kind,
            "paths": list(message.paths),
            "tag": message.tag,
            "ts": message.source_ns,
            "value": values,
            "quality": message.quality,
            "status": message.status,
        },
        option=orjson.OPT_SERIALIZE_NUMPY,
    )


def _numbers(batch: SampleBatch) -> list[float | None]:
    # JSON has no NaN: a missing value (bad quality) travels as null.
    values = batch.value
    if not np.isnan(values).any():
        return values.tolist()  # type: ignore[no-any-return]
    return [None if v != v else v for v in values.tolist()]


class LiveClient:
    """One WebSocket client's queue of encoded messages."""

    def __init__(self, key: frozenset[str], capacity: int) -> None:
        self.key = key
        self.queue: deque[bytes] = deque(maxlen=capacity)
        self.dropped = 0
        self.ready = asyncio.Event()
        self.closed = False

    def offer(self, payload: bytes) -> None:
        if len(self.queue) == self.queue.maxlen:
            self.dropped += 1
        self.queue.append(payload)
        self.ready.set()

    async def next(self) -> bytes | None:
        """The next payload to send, or None when the client was closed."""
        while not self.queue:
            if self.closed:
                return None
            self.ready.clear()
            await self.ready.wait()
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            return orjson.dumps({"type": "dropped", "messages": dropped})
        return self.queue.popleft()


class _Group:
    """Clients that share one pattern set, and the selector that serves them all."""

    def __init__(self, key: frozenset[str]) -> None:
        self.selector = Selector(tuple(Pattern(p) for p in sorted(key)))
        self.clients: set[LiveClient] = set()


class LiveHub:
    """Fans bus messages out to WebSocket clients by pattern."""

    def __init__(self, bus: Bus, *, client_capacity: int = 256) -> None:
        self.bus = bus
        self.client_capacity = client_capacity
        self._groups: dict[frozenset[str], _Group] = {}
        self._task: asyncio.Task[None] | None = None
        self.messages = 0

    def add(self, patterns: Iterable[str]) -> LiveClient:
        """Register a client for ``patterns`` (validated by the caller)."""
        key = frozenset(patterns)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(key)
        client = LiveClient(key, self.client_capacity)
        group.clients.add(client)
        return client

    def remove(self, client: LiveClient) -> None:
        client.closed = True
        client.ready.set()
        group = self._groups.get(client.key)
        if group is not None:
            group.clients.discard(client)
            if not group.clients:
                del self._groups[client.key]

    @property
    def clients(self) -> int:
        return sum(len(g.clients) for g in self._groups.values())

    def start(self) -> None:
        if self._task is None:
            subscription = self.bus.subscribe(
                "#", capacity=2_000_000, overflow=Overflow.DROP_OLDEST
            )
            self._task = asyncio.create_task(self._pump(subscription))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for group in list(self._groups.values()):
            for client in list(group.clients):
                self.remove(client)

    async def _pump(self, subscription: Subscription) -> None:
        while True:
            try:
                message = await subscription.get()
            except BusClosedError:
                return
            self.messages += 1
            self.dispatch(message)

    def dispatch(self, message: Message) -> None:
        """Encode ``message`` once per pattern group and queue it for the group's clients."""
        for group in list(self._groups.values()):
            part = group.selector.wants(message)
            if part is None:
                continue
            payload = encode(part)
            for client in group.clients:
                client.offer(payload)
