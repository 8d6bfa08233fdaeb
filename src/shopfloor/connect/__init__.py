"""Connectors: drivers that turn device protocols into batches and events on the bus."""

from shopfloor.connect.base import (
    Backoff,
    Connector,
    ConnectorCounters,
    ConnectorError,
    ConnectorState,
    ConnectorStatus,
    NotReadyError,
)
from shopfloor.connect.deadletter import (
    DeadLetter,
    DeadLetterStore,
    EventDeadLetters,
    MemoryDeadLetters,
)

__all__ = [
    "Backoff",
    "Connector",
    "ConnectorCounters",
    "ConnectorError",
    "ConnectorState",
    "ConnectorStatus",
    "DeadLetter",
    "DeadLetterStore",
    "EventDeadLetters",
    "MemoryDeadLetters",
    "NotReadyError",
]
