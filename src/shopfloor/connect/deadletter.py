"""Dead letters: messages a connector could not use, kept with the reason, queryable.

Every rejected message is counted by its connector and, when a store is attached, kept:
:class:`MemoryDeadLetters` holds the newest ones in memory; :class:`EventDeadLetters` also
publishes each as a ``connector.reject`` event, so the historian stores it and
``historian.events(kind="connector.reject")`` finds it later. Payloads are kept up to
``MAX_PAYLOAD`` bytes (base64 in the event).
"""

from __future__ import annotations

import base64
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from shopfloor.bus.base import Bus
from shopfloor.model.event import Event, Severity

MAX_PAYLOAD = 4096


@dataclass(frozen=True)
class DeadLetter:
    """A rejected message: when, which connector, where from, why, and what it was."""

    time_ns: int
    connector: str
    source: str
    reason: str
    payload: bytes

    def to_event(self, asset: str) -> Event:
        return Event.new(
            time_ns=self.time_ns,
            asset=asset,
            kind="connector.reject",
            severity=Severity.LOW,
            payload={
                "connector": self.connector,
                "source": self.source,
                "reason": self.reason,
                "size": len(self.payload),
                "payload_b64": base64.b64encode(self.payload[:MAX_PAYLOAD]).decode("ascii"),
            },
            actor=f"connector:{self.connector}",
        )


class DeadLetterStore(Protocol):
    async def put(self, letter: DeadLetter) -> None: ...

    def recent(self, connector: str | None = None) -> list[DeadLetter]: ...


class MemoryDeadLetters:
    """The newest ``capacity`` dead letters, in memory."""

    def __init__(self, capacity: int = 1000) -> None:
        self._letters: deque[DeadLetter] = deque(maxlen=capacity)
        self.total = 0

    async def put(self, letter: DeadLetter) -> None:
        self._letters.append(letter)
        self.total += 1

    def recent(self, connector: str | None = None) -> list[DeadLetter]:
        return [d for d in self._letters if connector is None or d.connector == connector]


class EventDeadLetters(MemoryDeadLetters):
    """Dead letters kept in memory and published as ``connector.reject`` events."""

    def __init__(self, bus: Bus, asset: str, capacity: int = 1000) -> None:
        super().__init__(capacity)
        self.bus = bus
        self.asset = asset

    async def put(self, letter: DeadLetter) -> None:
        await super().put(letter)
        await self.bus.publish((letter.to_event(self.asset),))
