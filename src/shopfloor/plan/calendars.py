"""Machine calendars for planning: the kernel :class:`~shopfloor.model.calendar.Calendar`
(shifts, breaks, holidays) and maintenance windows turned into unavailable ticks.

A tick is one second after the problem's epoch. Non-working time is widened to whole ticks
(start rounded down, end rounded up) so that a plan never uses a fraction of a break.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from shopfloor.model.calendar import Calendar, Interval, datetime_to_ns
from shopfloor.model.clock import NS_PER_S
from shopfloor.plan.model import Downtime

__all__ = ["downtime_from_calendar", "merge_downtime", "ticks_of"]

_UNIX = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def ticks_of(epoch: dt.datetime, interval: Interval) -> tuple[int, int]:
    """``interval`` (UTC nanoseconds) as ticks after ``epoch``: start down, end up."""
    origin = datetime_to_ns(epoch)
    start = (interval.start_ns - origin) // NS_PER_S
    end = -((origin - interval.end_ns) // NS_PER_S)
    return start, end


def downtime_from_calendar(calendar: Calendar, epoch: dt.datetime, horizon: int) -> list[Downtime]:
    """The non-working time of ``calendar`` in ``[0, horizon)`` ticks after ``epoch``.

    Each span says why: ``break`` inside a shift, ``holiday`` when it starts on one of the
    calendar's holidays, else ``off_shift``.

    >>> from shopfloor.model.calendar_spec import CalendarSpec, ShiftSpec
    >>> spec = CalendarSpec(shifts=[ShiftSpec(name="day", start="06:00", end="14:00")])
    >>> epoch = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    >>> [(d.start, d.end, d.reason) for d in downtime_from_calendar(Calendar(spec), epoch, 86_400)]
    [(0, 21600, 'off_shift'), (50400, 86400, 'off_shift')]
    """
    origin = datetime_to_ns(epoch)
    window_end = origin + horizon * NS_PER_S
    holidays = set(calendar.spec.holidays)
    spans: list[Downtime] = []
    for gap in calendar.non_working_intervals(origin, window_end):
        start, end = ticks_of(epoch, gap)
        spans.append(Downtime(max(0, start), min(horizon, end), _reason(gap, holidays, calendar)))
    return spans


def _reason(gap: Interval, holidays: set[dt.date], calendar: Calendar) -> str:
    for shift in calendar.shifts(gap.start_ns, gap.end_ns):
        if shift.interval.start_ns <= gap.start_ns and gap.end_ns <= shift.interval.end_ns:
            return "break"
    local = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=gap.start_ns // 1000)
    return "holiday" if local.astimezone(calendar.timezone).date() in holidays else "off_shift"


def merge_downtime(*groups: Iterable[Downtime]) -> tuple[Downtime, ...]:
    """Calendar downtime and maintenance windows together, sorted (overlaps are kept: each
    span keeps its reason)."""
    return tuple(sorted(d for group in groups for d in group if d.end > d.start))
