"""A plant service: the plant file's connectors running into the historian.

One :class:`PlantService` owns the in-process bus, the recorder and a connector per
enabled ``connectors:`` entry. Rejected messages become ``connector.reject`` events on the
asset ``<enterprise>/connectors/<name>``, so the historian keeps them, queryable.
"""

from __future__ import annotations

import asyncio

from shopfloor.bus.memory import MemoryBus
from shopfloor.connect.base import Connector, ConnectorStatus
from shopfloor.connect.deadletter import EventDeadLetters
from shopfloor.connect.registry import build_connector
from shopfloor.historian.aio import AsyncHistorian
from shopfloor.model.clock import Clock, WallClock
from shopfloor.model.plant import Plant
from shopfloor.runtime.recorder import Recorder


class PlantService:
    """Connectors, bus and recorder of one plant, started and stopped together."""

    def __init__(
        self,
        plant: Plant,
        historian: AsyncHistorian,
        *,
        bus: MemoryBus | None = None,
        clock: Clock | None = None,
        extra: list[Connector] | None = None,
    ) -> None:
        self.plant = plant
        self.bus = bus or MemoryBus()
        self.historian = historian
        self.recorder = Recorder(self.bus, historian)
        self.clock = clock or WallClock()
        self.connectors: list[Connector] = [
            build_connector(spec, self.bus, clock=self.clock, dead_letters=self._letters(spec.name))
            for spec in plant.connectors
            if spec.enabled
        ]
        self.connectors += extra or []
        self._recording: asyncio.Task[None] | None = None

    def _letters(self, name: str) -> EventDeadLetters:
        return EventDeadLetters(self.bus, f"{self.plant.root.name}/connectors/{name}")

    def dead_letters_for(self, name: str) -> EventDeadLetters:
        """A dead-letter store for a connector added later (as the demo does)."""
        return self._letters(name)

    async def start(self) -> None:
        """Start recording, then every connector."""
        self._recording = asyncio.create_task(self.recorder.run())
        for connector in self.connectors:
            await connector.start()

    async def stop(self) -> None:
        """Stop every connector, then write what is left."""
        for connector in self.connectors:
            await connector.stop()
        self.recorder.close()
        if self._recording is not None:
            await self._recording

    def statuses(self) -> list[ConnectorStatus]:
        return [c.status() for c in self.connectors]
