"""Specification of the working-time calendar shared by OEE and production planning."""

from __future__ import annotations

import datetime as dt
import doctest
import itertools
import zoneinfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import shopfloor.model.calendar as calendar_module
from shopfloor.model.calendar import (
    Calendar,
    Interval,
    ShiftInstance,
    complement_intervals,
    datetime_to_ns,
    merge_intervals,
)
from shopfloor.model.calendar_spec import BreakSpec, CalendarSpec, ShiftSpec
from shopfloor.model.clock import NS_PER_S

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
MINUTE = 60 * NS_PER_S
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEKDAYS_ONLY = ["mon", "tue", "wed", "thu", "fri"]


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return datetime_to_ns(dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return datetime_to_ns(dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC))


def berlin_calendar(*shifts: ShiftSpec, breaks: tuple[BreakSpec, ...] = ()) -> Calendar:
    spec = CalendarSpec(timezone="Europe/Berlin", shifts=list(shifts), breaks=list(breaks))
    return Calendar.from_spec(spec)


def night_calendar() -> Calendar:
    return berlin_calendar(ShiftSpec(name="night", start="22:00", end="06:00"))


def plant_calendar() -> Calendar:
    """Three shifts on weekdays, breaks (one after midnight) and two holidays."""
    spec = CalendarSpec(
        timezone="Europe/Berlin",
        shifts=[
            ShiftSpec(name="early", start="06:00", end="14:00", days=WEEKDAYS_ONLY),
            ShiftSpec(name="late", start="14:00", end="22:00", days=WEEKDAYS_ONLY),
            ShiftSpec(name="night", start="22:00", end="06:00", days=["sun", "mon", "tue"]),
        ],
        breaks=[
            BreakSpec(shift="early", start="09:00", end="09:30"),
            BreakSpec(shift="night", start="02:00", end="02:30"),
        ],
        holidays=[dt.date(2026, 3, 31), dt.date(2026, 12, 25)],
    )
    return Calendar(spec)


def durations_h(shifts: list[ShiftInstance]) -> list[float]:
    return [s.interval.duration_ns / HOUR for s in shifts]


# --- shape of the calendar -------------------------------------------------------------------


def test_default_calendar_is_one_24h_day_shift_every_day_in_utc() -> None:
    calendar = Calendar()
    shifts = calendar.shifts(utc(2026, 3, 28), utc(2026, 3, 31))
    assert [(s.name, s.date) for s in shifts] == [
        ("day", dt.date(2026, 3, 28)),
        ("day", dt.date(2026, 3, 29)),
        ("day", dt.date(2026, 3, 30)),
    ]
    assert shifts[0].interval == Interval(utc(2026, 3, 28), utc(2026, 3, 29))
    assert calendar.planned_ns(utc(2026, 3, 28), utc(2026, 3, 31)) == 3 * DAY


def test_day_shifts_run_on_listed_weekdays_only() -> None:
    calendar = berlin_calendar(
        ShiftSpec(name="early", start="06:00", end="14:00", days=WEEKDAYS_ONLY)
    )
    shifts = calendar.shifts(berlin(2026, 3, 2), berlin(2026, 3, 9))  # Monday to Monday
    assert [s.date.strftime("%a") for s in shifts] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert shifts[0].interval == Interval(berlin(2026, 3, 2, 6), berlin(2026, 3, 2, 14))


def test_night_shift_crosses_midnight_and_is_dated_by_its_start() -> None:
    shift = night_calendar().shift_at(berlin(2026, 3, 3, 3))
    assert shift == ShiftInstance(
        "night", dt.date(2026, 3, 2), Interval(berlin(2026, 3, 2, 22), berlin(2026, 3, 3, 6))
    )


def test_24h_shift_starts_and_ends_at_the_same_local_time() -> None:
    calendar = berlin_calendar(ShiftSpec(name="day", start="06:00", end="06:00"))
    assert calendar.shifts(berlin(2026, 5, 5, 12), berlin(2026, 5, 5, 13))[0].interval == (
        Interval(berlin(2026, 5, 5, 6), berlin(2026, 5, 6, 6))
    )


def test_year_of_three_shifts_has_one_instance_per_shift_and_day() -> None:
    calendar = berlin_calendar(
        ShiftSpec(name="early", start="06:00", end="14:00"),
        ShiftSpec(name="late", start="14:00", end="22:00"),
        ShiftSpec(name="night", start="22:00", end="06:00"),
    )
    shifts = calendar.shifts(berlin(2026, 1, 1, 6), berlin(2027, 1, 1, 6))
    assert len(shifts) == 3 * 365
    assert calendar.planned_ns(berlin(2026, 1, 1), berlin(2027, 1, 1)) == 365 * DAY


# --- daylight saving: real elapsed time ------------------------------------------------------


def test_night_shift_on_spring_forward_night_lasts_7_hours() -> None:
    shifts = night_calendar().shifts(berlin(2026, 3, 28, 12), berlin(2026, 3, 29, 12))
    assert [s.date for s in shifts] == [dt.date(2026, 3, 28)]
    assert durations_h(shifts) == [7.0]
    assert shifts[0].interval == Interval(utc(2026, 3, 28, 21), utc(2026, 3, 29, 4))


def test_night_shift_on_fall_back_night_lasts_9_hours() -> None:
    shifts = night_calendar().shifts(berlin(2026, 10, 24, 12), berlin(2026, 10, 25, 12))
    assert [s.date for s in shifts] == [dt.date(2026, 10, 24)]
    assert durations_h(shifts) == [9.0]
    assert shifts[0].interval == Interval(utc(2026, 10, 24, 20), utc(2026, 10, 25, 5))


def test_nights_next_to_the_dst_nights_last_8_hours() -> None:
    calendar = night_calendar()
    assert durations_h(calendar.shifts(berlin(2026, 3, 27, 23), berlin(2026, 3, 27, 23, 1))) == [
        8.0
    ]
    assert durations_h(calendar.shifts(berlin(2026, 10, 25, 23), berlin(2026, 10, 26))) == [8.0]


def test_24h_shift_lasts_23_hours_on_spring_forward_day() -> None:
    shift = Calendar(CalendarSpec(timezone="Europe/Berlin")).shift_at(berlin(2026, 3, 29, 12))
    assert shift is not None
    assert shift.date == dt.date(2026, 3, 29)
    assert shift.interval.duration_ns == 23 * HOUR


def test_24h_shift_lasts_25_hours_on_fall_back_day() -> None:
    shift = Calendar(CalendarSpec(timezone="Europe/Berlin")).shift_at(berlin(2026, 10, 25, 12))
    assert shift is not None
    assert shift.date == dt.date(2026, 10, 25)
    assert shift.interval.duration_ns == 25 * HOUR


def test_nonexistent_local_start_is_shifted_forward_by_the_gap() -> None:
    calendar = berlin_calendar(ShiftSpec(name="odd", start="02:30", end="06:00"))
    shift = calendar.shifts(utc(2026, 3, 29), utc(2026, 3, 30))[0]
    # 02:30 does not exist on 2026-03-29; read with the winter offset it is 01:30 UTC,
    # which is 03:30 summer time.
    assert shift.interval == Interval(utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 4))


def test_ambiguous_local_start_uses_its_first_occurrence() -> None:
    calendar = berlin_calendar(ShiftSpec(name="odd", start="02:30", end="06:00"))
    shift = calendar.shifts(utc(2026, 10, 25), utc(2026, 10, 26))[0]
    # 02:30 happens twice on 2026-10-25; the first time, in summer time, is 00:30 UTC.
    assert shift.interval == Interval(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 5))


def test_shift_that_dst_makes_end_before_it_starts_is_empty_that_day() -> None:
    calendar = berlin_calendar(ShiftSpec(name="gap", start="02:30", end="03:00"))
    assert calendar.planned_ns(berlin(2026, 3, 29), berlin(2026, 3, 30)) == 0
    assert calendar.planned_ns(berlin(2026, 3, 30), berlin(2026, 3, 31)) == 30 * MINUTE


# --- breaks ----------------------------------------------------------------------------------


def test_breaks_reduce_planned_time() -> None:
    calendar = berlin_calendar(
        ShiftSpec(name="early", start="06:00", end="14:00"),
        breaks=(
            BreakSpec(shift="early", start="09:00", end="09:30"),
            BreakSpec(shift="early", start="12:00", end="12:15"),
        ),
    )
    shift = calendar.shifts(berlin(2026, 5, 5, 8), berlin(2026, 5, 5, 9))[0]
    assert shift.planned_ns == 8 * HOUR - 45 * MINUTE
    assert calendar.planned_ns(berlin(2026, 5, 5), berlin(2026, 5, 6)) == 8 * HOUR - 45 * MINUTE


def test_break_after_midnight_belongs_to_the_night_that_started_the_day_before() -> None:
    calendar = berlin_calendar(
        ShiftSpec(name="night", start="22:00", end="06:00"),
        breaks=(BreakSpec(shift="night", start="02:00", end="02:30"),),
    )
    shift = calendar.shift_at(berlin(2026, 5, 6, 2, 15))
    assert shift is not None
    assert shift.date == dt.date(2026, 5, 5)
    assert shift.breaks == (Interval(berlin(2026, 5, 6, 2), berlin(2026, 5, 6, 2, 30)),)
    assert shift.planned_ns == 7 * HOUR + 30 * MINUTE


def test_break_falling_on_the_spring_forward_gap_takes_only_real_time() -> None:
    calendar = berlin_calendar(
        ShiftSpec(name="night", start="22:00", end="06:00"),
        breaks=(BreakSpec(shift="night", start="02:00", end="03:30"),),
    )
    shift = calendar.shifts(berlin(2026, 3, 28, 23), berlin(2026, 3, 28, 23, 1))[0]
    # 02:00-03:30 local that night is 03:00-03:30 summer time: 30 real minutes.
    assert shift.planned_ns == 7 * HOUR - 30 * MINUTE


def test_is_working_is_false_during_a_break_but_the_shift_still_runs() -> None:
    calendar = berlin_calendar(
        ShiftSpec(name="early", start="06:00", end="14:00"),
        breaks=(BreakSpec(shift="early", start="09:00", end="09:30"),),
    )
    assert calendar.is_working(berlin(2026, 5, 5, 8, 59))
    assert not calendar.is_working(berlin(2026, 5, 5, 9))
    assert calendar.is_working(berlin(2026, 5, 5, 9, 30))
    assert calendar.shift_at(berlin(2026, 5, 5, 9, 10)) is not None


@pytest.mark.parametrize(
    ("shift", "brk"),
    [
        (ShiftSpec(name="night", start="22:00", end="06:00"), ("05:45", "06:15")),
        (ShiftSpec(name="early", start="06:00", end="14:00"), ("05:30", "06:30")),
        (ShiftSpec(name="early", start="06:00", end="14:00"), ("15:00", "15:30")),
        (ShiftSpec(name="day", start="00:00", end="00:00"), ("23:30", "00:30")),
    ],
)
def test_break_not_within_its_shift_is_rejected_naming_shift_and_break(
    shift: ShiftSpec, brk: tuple[str, str]
) -> None:
    breaks = (BreakSpec(shift=shift.name, start=brk[0], end=brk[1]),)
    with pytest.raises(ValueError, match=rf"break {brk[0]}-{brk[1]} of shift '{shift.name}'"):
        berlin_calendar(shift, breaks=breaks)


def test_break_may_end_exactly_at_the_shift_end() -> None:
    calendar = berlin_calendar(
        ShiftSpec(name="night", start="22:00", end="06:00"),
        breaks=(BreakSpec(shift="night", start="05:30", end="06:00"),),
    )
    assert calendar.planned_ns(berlin(2026, 5, 5, 12), berlin(2026, 5, 6, 12)) == 7.5 * HOUR


# --- holidays --------------------------------------------------------------------------------


def test_holiday_cancels_shifts_starting_that_day() -> None:
    shifts = plant_calendar().shifts(berlin(2026, 3, 31), berlin(2026, 4, 1))
    # The night shift that started on Monday 30 March still runs into the holiday morning;
    # nothing starts on Tuesday 31 March.
    assert [(s.name, s.date) for s in shifts] == [("night", dt.date(2026, 3, 30))]


def test_holiday_leaves_the_day_after_untouched() -> None:
    shifts = plant_calendar().shifts(berlin(2026, 4, 1), berlin(2026, 4, 2))
    assert [s.name for s in shifts] == ["early", "late"]


# --- windows and merging ---------------------------------------------------------------------


def test_shifts_returns_whole_instances_overlapping_the_window() -> None:
    shifts = night_calendar().shifts(berlin(2026, 5, 6, 5), berlin(2026, 5, 6, 23))
    assert [(s.date, s.interval.duration_ns) for s in shifts] == [
        (dt.date(2026, 5, 5), 8 * HOUR),
        (dt.date(2026, 5, 6), 8 * HOUR),
    ]


def test_shifts_touching_the_window_edges_are_not_included() -> None:
    assert night_calendar().shifts(berlin(2026, 5, 6, 6), berlin(2026, 5, 6, 22)) == []


def test_working_intervals_are_clipped_to_the_window() -> None:
    working = night_calendar().working_intervals(berlin(2026, 5, 6, 5), berlin(2026, 5, 6, 23))
    assert working == [
        Interval(berlin(2026, 5, 6, 5), berlin(2026, 5, 6, 6)),
        Interval(berlin(2026, 5, 6, 22), berlin(2026, 5, 6, 23)),
    ]


def test_adjacent_shifts_merge_into_one_working_interval() -> None:
    working = plant_calendar().working_intervals(berlin(2026, 4, 2), berlin(2026, 4, 3))
    assert working == [
        Interval(berlin(2026, 4, 2, 6), berlin(2026, 4, 2, 9)),
        Interval(berlin(2026, 4, 2, 9, 30), berlin(2026, 4, 2, 22)),
    ]


def test_overlapping_shifts_are_merged_in_working_intervals() -> None:
    calendar = berlin_calendar(
        ShiftSpec(name="early", start="06:00", end="14:30"),
        ShiftSpec(name="late", start="14:00", end="22:00"),
    )
    window = (berlin(2026, 5, 5), berlin(2026, 5, 6))
    assert calendar.working_intervals(*window) == [
        Interval(berlin(2026, 5, 5, 6), berlin(2026, 5, 5, 22))
    ]
    assert calendar.planned_ns(*window) == 16 * HOUR


def test_non_working_intervals_are_the_complement_within_the_window() -> None:
    non_working = night_calendar().non_working_intervals(
        berlin(2026, 5, 6, 5), berlin(2026, 5, 6, 23)
    )
    assert non_working == [Interval(berlin(2026, 5, 6, 6), berlin(2026, 5, 6, 22))]


def test_empty_window_has_no_shifts_and_no_time() -> None:
    calendar = Calendar()
    assert calendar.shifts(utc(2026, 1, 1), utc(2026, 1, 1)) == []
    assert calendar.non_working_intervals(utc(2026, 1, 1), utc(2026, 1, 1)) == []


def test_window_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Calendar().working_intervals(utc(2026, 1, 2), utc(2026, 1, 1))


# --- points in time --------------------------------------------------------------------------


def test_shift_at_includes_the_start_and_excludes_the_end() -> None:
    calendar = berlin_calendar(ShiftSpec(name="early", start="06:00", end="14:00"))
    start, end = berlin(2026, 5, 5, 6), berlin(2026, 5, 5, 14)
    started = calendar.shift_at(start)
    assert started is not None
    assert started.interval == Interval(start, end)
    assert calendar.shift_at(start - 1) is None
    assert calendar.shift_at(end - 1) == started
    assert calendar.shift_at(end) is None


def test_shift_at_prefers_the_later_shift_during_a_handover_overlap() -> None:
    calendar = berlin_calendar(
        ShiftSpec(name="early", start="06:00", end="14:30"),
        ShiftSpec(name="late", start="14:00", end="22:00"),
    )
    shift = calendar.shift_at(berlin(2026, 5, 5, 14, 15))
    assert shift is not None
    assert shift.name == "late"


def test_shift_at_is_none_on_a_holiday() -> None:
    assert plant_calendar().shift_at(berlin(2026, 12, 25, 10)) is None


def test_working_mask_agrees_with_is_working() -> None:
    calendar = plant_calendar()
    times = np.arange(berlin(2026, 3, 29), berlin(2026, 4, 3), 7 * MINUTE, dtype=np.int64)
    expected = [calendar.is_working(int(t)) for t in times]
    assert calendar.working_mask(times).tolist() == expected


def test_working_mask_of_time_without_shifts_is_all_false() -> None:
    times = np.array([berlin(2026, 12, 25, 10), berlin(2026, 12, 25, 11)], dtype=np.int64)
    assert plant_calendar().working_mask(times).tolist() == [False, False]


# --- properties over random windows ----------------------------------------------------------

windows = st.tuples(
    st.integers(min_value=berlin(2026, 1, 1), max_value=berlin(2027, 1, 1)),
    st.integers(min_value=0, max_value=40 * DAY),
)


@given(windows)
def test_working_and_non_working_tile_the_window(window: tuple[int, int]) -> None:
    start, length = window
    calendar = plant_calendar()
    working = calendar.working_intervals(start, start + length)
    non_working = calendar.non_working_intervals(start, start + length)
    pieces = sorted(working + non_working)
    assert sum(p.duration_ns for p in pieces) == length
    assert all(a.end_ns == b.start_ns for a, b in itertools.pairwise(pieces))
    assert calendar.planned_ns(start, start + length) == sum(w.duration_ns for w in working)


@given(windows, st.integers(min_value=0, max_value=40 * DAY))
def test_planned_time_adds_up_over_adjacent_windows(window: tuple[int, int], cut: int) -> None:
    start, length = window
    middle = start + min(cut, length)
    calendar = plant_calendar()
    assert calendar.planned_ns(start, start + length) == calendar.planned_ns(
        start, middle
    ) + calendar.planned_ns(middle, start + length)


# --- interval helpers ------------------------------------------------------------------------


def test_intervals_touching_at_an_end_do_not_overlap() -> None:
    assert not Interval(0, 5).overlaps(Interval(5, 9))
    assert Interval(0, 5).intersection(Interval(5, 9)) is None


def test_interval_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Interval(5, 4)


def test_merge_and_complement_helpers_handle_unsorted_input() -> None:
    intervals = [Interval(8, 12), Interval(1, 3), Interval(2, 4), Interval(4, 5)]
    assert merge_intervals(intervals) == [Interval(1, 5), Interval(8, 12)]
    assert complement_intervals(intervals, Interval(0, 10)) == [Interval(0, 1), Interval(5, 8)]


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        datetime_to_ns(dt.datetime(2026, 1, 1))


def test_module_doctests_pass() -> None:
    result = doctest.testmod(calendar_module)
    assert result.attempted > 0
    assert result.failed == 0
