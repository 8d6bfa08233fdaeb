"""The :class:`Bus` protocol: how batches and events travel between parts of shopfloor.

Publishers put :class:`~shopfloor.model.batch.SampleBatch`, :class:`TextBatch` or a tuple of
:class:`~shopfloor.model.event.Event` on the bus; subscribers receive, for each message, the
part that matches their unified-namespace pattern. The hot path moves whole batches.

Backpressure is explicit. Each subscription has a bounded queue sized in samples (an event
counts as one). When it is full, ``Overflow.BLOCK`` makes ``publish`` wait until the
subscriber catches up (for consumers that must see everything, such as the historian
writer), and ``Overflow.DROP_OLDEST`` discards the oldest queued messages and counts them
(for live views that only care about the present).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.event import Event
from shopfloor.model.namespace import Pattern, pattern

Message = SampleBatch | TextBatch | tuple[Event, ...]


class Overflow(StrEnum):
    """What a full subscription queue does to a publisher."""

    BLOCK = "block"
    DROP_OLDEST = "drop_oldest"


@dataclass
class SubscriptionStats:
    """Counters of one subscription, for status pages and tests."""

    delivered_messages: int = 0
    delivered_samples: int = 0
    dropped_messages: int = 0
    dropped_samples: int = 0
    blocked_publishes: int = 0


def message_size(message: Message) -> int:
    """How many queue slots a message takes: its rows, or its number of events."""
    return len(message)


def selectors(patterns: str | Pattern | Iterable[str | Pattern]) -> tuple[Pattern, ...]:
    if isinstance(patterns, str | Pattern):
        return (pattern(patterns),)
    return tuple(pattern(p) for p in patterns)


@runtime_checkable
class Subscription(Protocol):
    """A stream of the messages that match a subscription's patterns."""

    stats: SubscriptionStats

    def __aiter__(self) -> AsyncIterator[Message]: ...

    async def get(self) -> Message: ...

    def get_nowait(self) -> Message | None: ...

    def close(self) -> None: ...


@runtime_checkable
class Bus(Protocol):
    """Moves batches and events from publishers to subscribers."""

    async def publish(self, message: Message) -> None: ...

    def subscribe(
        self,
        patterns: str | Pattern | Iterable[str | Pattern] = "#",
        *,
        capacity: int = 100_000,
        overflow: Overflow = Overflow.BLOCK,
    ) -> Subscription: ...

    async def close(self) -> None: ...
