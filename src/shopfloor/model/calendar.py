"""Working time as concrete UTC intervals: shifts, breaks and holidays from a calendar spec.

OEE needs "planned production time" and production planning needs "when can this machine
work"; both ask a :class:`Calendar` built from the plant file's
:class:`~shopfloor.model.calendar_spec.CalendarSpec`. All times are ``int`` nanoseconds since
the Unix epoch (UTC), intervals are half-open ``[start, end)``.

Rules, in the spec's IANA time zone:

* A shift starts at ``start`` local time on each of its ``days`` (the weekday of the date it
  starts on) and ends at ``end`` local time on the same date, or on the next date when ``end``
  is not after ``start``: 22:00-06:00 is a night shift, 00:00-00:00 a 24 h shift.
* Durations are real elapsed time, so daylight-saving changes show: in Europe/Berlin a
  22:00-06:00 shift lasts 7 h on the spring-forward night and 9 h on the fall-back night.
* A local time that does not exist (02:30 on a spring-forward night) is shifted forward by the
  gap (03:30): it is read with ``fold=0``, i.e. with the offset in force before the change,
  and converted to UTC. An ambiguous local time (02:30 on a fall-back night) means its first
  occurrence (also ``fold=0``). Where this makes a shift or break end before it starts, it is
  empty that day.
* A holiday cancels every shift that *starts* on that local date; a night shift that started
  the evening before still runs into the holiday morning (the common plant convention).
* A break belongs to a shift by name. It is placed at the first occurrence of its start time
  at or after the shift's start (so 02:00-02:30 in a 22:00-06:00 shift falls in the night that
  started the day before) and must end by the shift's end, else building the calendar raises
  :class:`ValueError`.
* Shifts may overlap; :meth:`Calendar.working_intervals` merges them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shopfloor.model.calendar_spec import (
    WEEKDAYS,
    BreakSpec,
    CalendarSpec,
    ShiftSpec,
    parse_hhmm,
)
from shopfloor.model.clock import NS_PER_S

__all__ = [
    "Calendar",
    "Interval",
    "ShiftInstance",
    "complement_intervals",
    "datetime_to_ns",
    "merge_intervals",
]

_MINUTES_PER_DAY = 24 * 60
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """A half-open span of time ``[start_ns, end_ns)`` in nanoseconds since the epoch (UTC).

    >>> a, b = Interval(0, 10), Interval(5, 20)
    >>> a.overlaps(b), a.intersection(b), a.duration_ns
    (True, Interval(start_ns=5, end_ns=10), 10)
    """

    start_ns: int
    end_ns: int

    def __post_init__(self) -> None:
        if self.end_ns < self.start_ns:
            raise ValueError(f"interval ends ({self.end_ns}) before it starts ({self.start_ns})")

    @property
    def duration_ns(self) -> int:
        """Length in nanoseconds."""
        return self.end_ns - self.start_ns

    @property
    def is_empty(self) -> bool:
        """True when the interval has no length."""
        return self.end_ns == self.start_ns

    def contains(self, t_ns: int) -> bool:
        """True when ``t_ns`` lies inside (start inclusive, end exclusive)."""
        return self.start_ns <= t_ns < self.end_ns

    def overlaps(self, other: Interval) -> bool:
        """True when the two intervals share some time (touching ends do not count)."""
        return self.start_ns < other.end_ns and other.start_ns < self.end_ns

    def intersection(self, other: Interval) -> Interval | None:
        """The time both intervals share, or None when they share none."""
        start, end = max(self.start_ns, other.start_ns), min(self.end_ns, other.end_ns)
        return Interval(start, end) if start < end else None


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of ``intervals`` as sorted, disjoint intervals; touching ones are joined.

    >>> merge_intervals([Interval(5, 8), Interval(0, 3), Interval(3, 4), Interval(6, 9)])
    [Interval(start_ns=0, end_ns=4), Interval(start_ns=5, end_ns=9)]
    """
    merged: list[Interval] = []
    for interval in sorted(i for i in intervals if not i.is_empty):
        if merged and interval.start_ns <= merged[-1].end_ns:
            last = merged[-1]
            merged[-1] = Interval(last.start_ns, max(last.end_ns, interval.end_ns))
        else:
            merged.append(interval)
    return merged


def complement_intervals(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    """The parts of ``window`` that none of ``intervals`` cover, sorted.

    >>> complement_intervals([Interval(2, 4), Interval(6, 20)], Interval(0, 10))
    [Interval(start_ns=0, end_ns=2), Interval(start_ns=4, end_ns=6)]
    """
    gaps: list[Interval] = []
    cursor = window.start_ns
    for interval in merge_intervals(intervals):
        if cursor >= window.end_ns:
            break
        if interval.start_ns > cursor:
            gaps.append(Interval(cursor, min(interval.start_ns, window.end_ns)))
        cursor = max(cursor, interval.end_ns)
    if cursor < window.end_ns:
        gaps.append(Interval(cursor, window.end_ns))
    return gaps


def datetime_to_ns(value: dt.datetime) -> int:
    """Nanoseconds since the epoch for a time-zone-aware datetime, exact to the microsecond.

    >>> datetime_to_ns(dt.datetime(1970, 1, 1, 1, tzinfo=dt.UTC))
    3600000000000
    """
    if value.utcoffset() is None:
        raise ValueError(f"{value!r} has no time zone; give it a tzinfo")
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1_000


def _ns_to_local(t_ns: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return (_EPOCH + dt.timedelta(microseconds=t_ns // 1_000)).astimezone(zone)


@dataclass(frozen=True, slots=True)
class ShiftInstance:
    """One occurrence of a shift: ``name`` on the local ``date`` it starts on.

    ``interval`` is the whole shift in UTC; ``breaks`` are the break intervals inside it,
    sorted. A shift instance is whole even when a query window cuts it; callers clip.
    """

    name: str
    date: dt.date
    interval: Interval
    breaks: tuple[Interval, ...] = ()

    @property
    def planned_ns(self) -> int:
        """Shift time minus break time, in nanoseconds."""
        return sum(piece.duration_ns for piece in self.working_intervals())

    def working_intervals(self) -> list[Interval]:
        """The shift with its breaks cut out."""
        return complement_intervals(self.breaks, self.interval)


@dataclass(frozen=True, slots=True)
class _Span:
    """Wall-clock minutes after midnight of the shift's start date (may pass 1440)."""

    start_min: int
    end_min: int


@dataclass(frozen=True, slots=True)
class _ShiftRule:
    """A shift spec resolved to weekday numbers and minute spans, ready to place on dates."""

    name: str
    weekdays: frozenset[int]
    span: _Span
    breaks: tuple[_Span, ...]


def _minute_of_day(text: str) -> int:
    time = parse_hhmm(text)
    return time.hour * 60 + time.minute


def _span_after(start: str, end: str, origin_min: int) -> _Span:
    """The span from ``start`` to ``end`` (next day when not after), placed at the first
    occurrence of ``start`` at or after minute ``origin_min``."""
    start_min = _minute_of_day(start)
    length = (_minute_of_day(end) - start_min) % _MINUTES_PER_DAY or _MINUTES_PER_DAY
    first = origin_min + (start_min - origin_min) % _MINUTES_PER_DAY
    return _Span(first, first + length)


def _place_break(shift: ShiftSpec, span: _Span, brk: BreakSpec) -> _Span:
    placed = _span_after(brk.start, brk.end, span.start_min)
    if placed.end_min > span.end_min:
        raise ValueError(
            f"break {brk.start}-{brk.end} of shift {shift.name!r} does not lie within the "
            f"shift ({shift.start}-{shift.end})"
        )
    return placed


def _rule(shift: ShiftSpec, breaks: Sequence[BreakSpec]) -> _ShiftRule:
    span = _span_after(shift.start, shift.end, _minute_of_day(shift.start))
    placed = sorted((_place_break(shift, span, b) for b in breaks), key=lambda s: s.start_min)
    weekdays = frozenset(WEEKDAYS.index(day) for day in shift.days)
    return _ShiftRule(shift.name, weekdays, span, tuple(placed))


def _time_order(instance: ShiftInstance) -> tuple[int, int, str]:
    return (instance.interval.start_ns, instance.interval.end_ns, instance.name)


class Calendar:
    """Planned working time of a plant or machine, as UTC intervals.

    Built from a :class:`CalendarSpec`; without one, a single 24 h ``day`` shift every day in
    UTC. See the module docstring for the time-zone, holiday and break rules.

    >>> from shopfloor.model.calendar_spec import BreakSpec, CalendarSpec, ShiftSpec
    >>> spec = CalendarSpec(
    ...     timezone="Europe/Berlin",
    ...     shifts=[ShiftSpec(name="early", start="06:00", end="14:00", days=["mon", "tue"])],
    ...     breaks=[BreakSpec(shift="early", start="09:00", end="09:30")],
    ... )
    >>> calendar = Calendar.from_spec(spec)
    >>> monday = datetime_to_ns(dt.datetime(2026, 3, 2, tzinfo=calendar.timezone))
    >>> week = 7 * 24 * 3600 * NS_PER_S
    >>> [(s.name, s.date.isoformat()) for s in calendar.shifts(monday, monday + week)]
    [('early', '2026-03-02'), ('early', '2026-03-03')]
    >>> calendar.planned_ns(monday, monday + week) / (3600 * NS_PER_S)
    15.0
    >>> calendar.is_working(monday + 9 * 3600 * NS_PER_S)  # 09:00 local: the break
    False
    """

    def __init__(self, spec: CalendarSpec | None = None) -> None:
        self.spec = spec if spec is not None else CalendarSpec()
        self._zone = zoneinfo.ZoneInfo(self.spec.timezone)
        self._holidays = frozenset(self.spec.holidays)
        self._rules = tuple(
            _rule(shift, [b for b in self.spec.breaks if b.shift == shift.name])
            for shift in self.spec.shifts
        )

    @classmethod
    def from_spec(cls, spec: CalendarSpec) -> Calendar:
        """The calendar for ``spec``."""
        return cls(spec)

    @property
    def timezone(self) -> zoneinfo.ZoneInfo:
        """The zone local times and dates are read in."""
        return self._zone

    def __repr__(self) -> str:
        names = [rule.name for rule in self._rules]
        return f"Calendar(timezone={self.spec.timezone!r}, shifts={names!r})"

    def shifts(self, start_ns: int, end_ns: int) -> list[ShiftInstance]:
        """Every shift instance that overlaps ``[start_ns, end_ns)``, whole, in time order."""
        window = Interval(start_ns, end_ns)
        found = [
            instance
            for date in self._candidate_dates(window)
            for instance in self._instances_on(date)
            if instance.interval.overlaps(window)
        ]
        return sorted(found, key=_time_order)

    def shift_at(self, t_ns: int) -> ShiftInstance | None:
        """The shift running at ``t_ns`` (breaks included), or None.

        Where shifts overlap, the one that started last wins: at a handover the incoming
        shift owns the time.
        """
        running = self.shifts(t_ns, t_ns + 1)
        return running[-1] if running else None

    def working_intervals(self, start_ns: int, end_ns: int) -> list[Interval]:
        """Planned working time in ``[start_ns, end_ns)``: merged, sorted, clipped."""
        window = Interval(start_ns, end_ns)
        pieces = (
            piece.intersection(window)
            for instance in self.shifts(start_ns, end_ns)
            for piece in instance.working_intervals()
        )
        return merge_intervals(piece for piece in pieces if piece is not None)

    def non_working_intervals(self, start_ns: int, end_ns: int) -> list[Interval]:
        """The rest of ``[start_ns, end_ns)``: no shift, a break or a holiday."""
        window = Interval(start_ns, end_ns)
        return complement_intervals(self.working_intervals(start_ns, end_ns), window)

    def planned_ns(self, start_ns: int, end_ns: int) -> int:
        """Total planned working time in ``[start_ns, end_ns)``, in nanoseconds."""
        return sum(piece.duration_ns for piece in self.working_intervals(start_ns, end_ns))

    def is_working(self, t_ns: int) -> bool:
        """True when ``t_ns`` is planned working time."""
        return bool(self.working_intervals(t_ns, t_ns + 1))

    def working_mask(self, t_ns: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """:meth:`is_working` for a whole array of timestamps at once."""
        if t_ns.size == 0:
            return np.zeros(t_ns.shape, dtype=np.bool_)
        working = self.working_intervals(int(t_ns.min()), int(t_ns.max()) + 1)
        if not working:
            return np.zeros(t_ns.shape, dtype=np.bool_)
        starts = np.array([w.start_ns for w in working], dtype=np.int64)
        ends = np.array([w.end_ns for w in working], dtype=np.int64)
        index = np.searchsorted(starts, t_ns, side="right") - 1
        # index -1 means "before the first interval"; clip only to read ends safely.
        inside: npt.NDArray[np.bool_] = (index >= 0) & (t_ns < ends[np.clip(index, 0, None)])
        return inside

    def _candidate_dates(self, window: Interval) -> Iterator[dt.date]:
        # A shift lasts at most 24 h from a start on its own date, so it ends before local
        # midnight two days on; one more day each side absorbs odd midnight DST changes.
        first = _ns_to_local(window.start_ns, self._zone).date() - dt.timedelta(days=2)
        last = _ns_to_local(window.end_ns, self._zone).date() + dt.timedelta(days=1)
        for offset in range((last - first).days + 1):
            yield first + dt.timedelta(days=offset)

    def _instances_on(self, date: dt.date) -> Iterator[ShiftInstance]:
        if date in self._holidays:
            return
        for rule in self._rules:
            if date.weekday() in rule.weekdays:
                yield self._instance(rule, date)

    def _instance(self, rule: _ShiftRule, date: dt.date) -> ShiftInstance:
        interval = self._interval(date, rule.span)
        clipped = (self._interval(date, span).intersection(interval) for span in rule.breaks)
        breaks = tuple(merge_intervals(b for b in clipped if b is not None))
        return ShiftInstance(rule.name, date, interval, breaks)

    def _interval(self, date: dt.date, span: _Span) -> Interval:
        start, end = self._local_ns(date, span.start_min), self._local_ns(date, span.end_min)
        # A DST gap can put the end before the start; that span is empty on this date.
        return Interval(start, max(start, end))

    def _local_ns(self, date: dt.date, minute: int) -> int:
        days, minute_of_day = divmod(minute, _MINUTES_PER_DAY)
        hour, minute_of_hour = divmod(minute_of_day, 60)
        local = dt.datetime.combine(
            date + dt.timedelta(days=days),
            dt.time(hour, minute_of_hour, fold=0),
            tzinfo=self._zone,
        )
        return datetime_to_ns(local)
