"""Alarms after ISA-18.2: limit and discrete alarms from the plant file's ``alarms:`` section.

:class:`AlarmEngine` evaluates sample batches and time into alarm events (pure, no I/O);
:class:`AlarmService` runs it on the bus with an injected clock; :func:`flood_figures`
measures alarm load from stored events. See ``docs/alarms.md``.

>>> from shopfloor.model.batch import SampleBatch
>>> from shopfloor.model.spec_alarms import AlarmsSpec
>>> spec = AlarmsSpec.model_validate(
...     {"limits": [{"tags": "acme/+/press1/temperature", "hh": 95, "h": 85, "deadband": 2}]})
>>> engine = AlarmEngine(spec, ["acme/line1/press1/temperature"])
>>> batch = SampleBatch.of("acme/line1/press1/temperature", [0, 1, 2], [80.0, 90.0, 82.0])
>>> [(e.kind, e.payload["level"], e.payload["state"]) for e in engine.process(batch, 2)]
[('alarm.active', 'h', 'unacknowledged_active'), ('alarm.cleared', 'h', 'unacknowledged_rtn')]
"""

from shopfloor.monitor.alarms.definition import AlarmDefinition
from shopfloor.monitor.alarms.engine import AlarmEngine
from shopfloor.monitor.alarms.errors import (
    AlarmError,
    AlarmStateError,
    AlarmTransitionError,
    UnknownAlarmError,
)
from shopfloor.monitor.alarms.flood import Benchmark, FloodFigures, flood_figures
from shopfloor.monitor.alarms.service import AlarmService
from shopfloor.monitor.alarms.state import AlarmState, AlarmStatus

__all__ = [
    "AlarmDefinition",
    "AlarmEngine",
    "AlarmError",
    "AlarmService",
    "AlarmState",
    "AlarmStateError",
    "AlarmStatus",
    "AlarmTransitionError",
    "Benchmark",
    "FloodFigures",
    "UnknownAlarmError",
    "flood_figures",
]
