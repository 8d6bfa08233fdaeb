"""Saving and restoring the alarm engine's state as JSON-compatible data (no pickle).

What is saved is what a restart must not lose: each alarm's condition, activity,
acknowledgement, shelving and suppression, its pending delay, the time of each tag's last
sample (so a replayed batch is not evaluated twice) and each machine's suppression. The
definitions are not saved: they come from the plant file, so a restored engine follows the
file as it is now, and saved alarms that the file no longer defines are skipped.

The format is versioned; :func:`load_state` checks it and raises
:class:`~shopfloor.monitor.alarms.errors.AlarmStateError` with the first problem found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from shopfloor.monitor.alarms.alarm import Alarm
from shopfloor.monitor.alarms.errors import AlarmStateError

VERSION = 1


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlarmRecord(_Record):
    """One alarm's saved state."""

    tag: str
    raw: bool = False
    raw_since_ns: int | None = None
    active: bool = False
    acked: bool = True
    suppressed: bool = False
    shelved_until_ns: int | None = None
    shelved_by: str | None = None
    value: float | None = None
    since_ns: int | None = None
    active_since_ns: int | None = None
    last_event_ns: int | None = None
    seq: int = 0

    @classmethod
    def of(cls, alarm: Alarm) -> AlarmRecord:
        """The record of ``alarm`` as it is now."""
        fields = {name: getattr(alarm, name) for name in cls.model_fields if name != "tag"}
        return cls(tag=alarm.d.tag, **fields)

    def apply(self, alarm: Alarm) -> None:
        """Put this record's state into ``alarm`` (whose definition comes from the file)."""
        for name in type(self).model_fields:
            if name != "tag":
                setattr(alarm, name, getattr(self, name))
        alarm.suppressed = self.suppressed and alarm.d.suppressible


class EngineRecord(_Record):
    """The whole engine's saved state."""

    version: Literal[1]
    alarms: dict[str, AlarmRecord] = {}
    tags: dict[str, int] = {}
    """Each tag's last evaluated sample time (ns)."""
    gates: dict[str, bool] = {}
    """Each machine's suppression, by asset path."""


def dump_state(
    alarms: Iterable[Alarm], last_ns: Mapping[str, int], gates: Mapping[str, bool]
) -> dict[str, Any]:
    """The saved form of an engine's alarms, tags and gates."""
    record = EngineRecord(
        version=VERSION,
        alarms={a.d.id: AlarmRecord.of(a) for a in alarms},
        tags=dict(last_ns),
        gates=dict(gates),
    )
    return record.model_dump(mode="json")


def load_state(data: Mapping[str, Any]) -> EngineRecord:
    """Check saved state; raise :class:`AlarmStateError` naming the first problem."""
    if not isinstance(data, Mapping) or data.get("version") != VERSION:
        got = data.get("version") if isinstance(data, Mapping) else type(data).__name__
        raise AlarmStateError(f"saved alarm state must have version {VERSION}, not {got!r}")
    try:
        return EngineRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise AlarmStateError(f"saved alarm state: {where}: {first['msg']}") from exc
