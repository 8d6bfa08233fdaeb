"""Shared builders for the alarm tests: one press with a temperature and a state tag."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shopfloor.model.batch import SampleBatch, concat
from shopfloor.model.clock import NS_PER_S
from shopfloor.model.event import Event
from shopfloor.model.quality import StatusCode
from shopfloor.model.spec_alarms import AlarmsSpec
from shopfloor.model.states import MachineState
from shopfloor.monitor.alarms import AlarmEngine

S = NS_PER_S
MACHINE = "acme/stuttgart/fabrication/line1/press1"
TEMP = f"{MACHINE}/temperature"
STATE = f"{MACHINE}/state"
TEMP_H = f"{TEMP}:h"
RUNNING = float(MachineState.RUNNING.code)
PLANNED_STOP = float(MachineState.PLANNED_STOP.code)
FAULT = float(MachineState.UNPLANNED_STOP.code)


def spec(**section: Any) -> AlarmsSpec:
    """The ``alarms:`` section from keyword arguments, as the plant file would give it."""
    return AlarmsSpec.model_validate(section)


def temperature_engine(**entry: Any) -> AlarmEngine:
    """An engine with one limit entry on every press temperature: h 80 unless given."""
    limits = {"tags": "acme/+/+/+/+/temperature", **(entry or {"h": 80})}
    return AlarmEngine(spec(limits=[limits]), [TEMP, STATE])


def samples(
    path: str, points: Sequence[tuple[float, float]], status: int = StatusCode.GOOD
) -> SampleBatch:
    """A batch of ``(seconds, value)`` points of one tag."""
    return SampleBatch.of(path, [round(t * S) for t, _ in points], [v for _, v in points], status)


def both(*batches: SampleBatch) -> SampleBatch:
    """Several batches as one, as a connector delivers many tags together."""
    return concat(list(batches))


def story(events: Sequence[Event]) -> list[tuple[float, str, str]]:
    """(seconds, kind, state after) of each event: the alarm's history in short."""
    return [(e.time_ns / S, e.kind, str(e.payload["state"])) for e in events]
