"""Everything the API serves from, built once per process and handed to the app."""

from __future__ import annotations

from dataclasses import dataclass, field

from shopfloor.api.live import LiveHub
from shopfloor.bus.base import Bus
from shopfloor.historian.aio import AsyncHistorian
from shopfloor.model.assets import AssetTree
from shopfloor.model.calendar import Calendar
from shopfloor.model.clock import Clock, WallClock
from shopfloor.model.plant import Plant
from shopfloor.monitor.alarms import AlarmService
from shopfloor.monitor.live import LiveMonitor
from shopfloor.security import Security


@dataclass
class ApiContext:
    """The plant, its history, live data, alarms and security, for one API process.

    ``tree`` is the asset tree the API shows (the plant's, or the twin's with its sensors);
    ``ideal_cycle_s`` and ``line_of`` feed OEE; ``monitor`` knows the current machine states.
    """

    plant: Plant
    tree: AssetTree
    historian: AsyncHistorian
    bus: Bus
    hub: LiveHub
    monitor: LiveMonitor
    security: Security
    alarms: AlarmService | None
    ideal_cycle_s: dict[str, float]
    line_of: dict[str, str]
    clock: Clock = field(default_factory=WallClock)

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.plant.calendar)
