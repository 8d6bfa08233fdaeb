"""The plant file's ``calendar:`` section: a time zone, shifts, breaks and holidays.

Validated here; turned into concrete UTC intervals by :mod:`shopfloor.model.calendar`.

.. code-block:: yaml

    calendar:
      timezone: Europe/Berlin
      shifts:
        - {name: early, start: "06:00", end: "14:00", days: [mon, tue, wed, thu, fri]}
        - {name: late,  start: "14:00", end: "22:00", days: [mon, tue, wed, thu, fri]}
        - {name: night, start: "22:00", end: "06:00", days: [sun, mon, tue, wed, thu]}
      breaks:
        - {shift: early, start: "09:00", end: "09:30"}
      holidays: ["2026-12-25", "2026-12-26"]
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _clock_time(text: str) -> str:
    if not _HHMM.match(text):
        raise ValueError(f"{text!r} is not a time of day as HH:MM (00:00 to 23:59)")
    return text


def parse_hhmm(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


class ShiftSpec(BaseModel):
    """A shift that starts at ``start`` local time on each of ``days`` and ends at ``end``
    (the next day when ``end`` is not after ``start``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    start: str
    end: str
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS))

    _check_start = field_validator("start", "end")(_clock_time)


class BreakSpec(BaseModel):
    """A planned break inside a shift, in local time; it is not planned production time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shift: str
    start: str
    end: str

    _check_times = field_validator("start", "end")(_clock_time)


class CalendarSpec(BaseModel):
    """Working time of a plant or a machine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"
    shifts: list[ShiftSpec] = Field(
        default_factory=lambda: [ShiftSpec(name="day", start="00:00", end="00:00")]
    )
    breaks: list[BreakSpec] = Field(default_factory=list)
    holidays: list[dt.date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from None
        return value

    @model_validator(mode="after")
    def _breaks_name_shifts(self) -> CalendarSpec:
        names = [s.name for s in self.shifts]
        if len(set(names)) != len(names):
            raise ValueError("shift names must be unique")
        for brk in self.breaks:
            if brk.shift not in names:
                raise ValueError(f"break refers to unknown shift {brk.shift!r}")
        return self
