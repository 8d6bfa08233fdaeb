"""Specification of the alarm-flood figures (ISA-18.2) over a hand-made event list."""

from __future__ import annotations

from shopfloor.model.event import Event
from shopfloor.monitor.alarms import flood_figures

MIN = 60 * 10**9
HOUR = 60 * MIN


def alarm(minute: float, alarm_id: str = "a/m1/temp:h", kind: str = "alarm.active") -> Event:
    return Event.new(
        time_ns=round(minute * MIN),
        asset="a/m1",
        kind=kind,
        payload={"alarm_id": alarm_id, "priority": "medium"},
    )


def hour_with_a_flood() -> list[Event]:
    """One hour: 12 different alarms in the first 10 minutes, then one at 25 and one at 55."""
    burst = [alarm(i * 0.8, f"a/m{i}/temp:h") for i in range(12)]
    return [*burst, alarm(25, "a/m1/vib:hh"), alarm(55, "a/m1/vib:hh")]


def test_alarms_are_counted_per_ten_minute_window() -> None:
    figures = flood_figures(hour_with_a_flood(), start_ns=0, end_ns=HOUR)
    assert figures.counts == (12, 0, 1, 0, 0, 1)
    assert figures.total == 14


def test_a_window_with_more_than_ten_alarms_is_a_flood() -> None:
    figures = flood_figures(hour_with_a_flood(), start_ns=0, end_ns=HOUR)
    assert (figures.flood_windows, figures.flood_share) == (1, 1 / 6)
    assert (figures.peak, figures.peak_start_ns) == (12, 0)


def test_averages_are_per_window_hour_and_day_of_the_period() -> None:
    figures = flood_figures(hour_with_a_flood(), start_ns=0, end_ns=HOUR)
    assert (figures.per_window, figures.per_hour, figures.per_day) == (14 / 6, 14.0, 336.0)


def test_only_activations_count_not_acknowledgements_or_clears() -> None:
    events = [alarm(1), alarm(2, kind="alarm.acknowledged"), alarm(3, kind="alarm.cleared")]
    assert flood_figures(events, start_ns=0, end_ns=HOUR).total == 1


def test_the_most_frequent_alarms_and_their_share_are_listed() -> None:
    figures = flood_figures(hour_with_a_flood(), start_ns=0, end_ns=HOUR)
    assert figures.top[0] == ("a/m1/vib:hh", 2)
    assert len(figures.top) == 10
    assert figures.top_share == 11 / 14


def test_an_alarm_annunciated_three_times_within_a_minute_chatters() -> None:
    events = [alarm(10.0), alarm(10.3), alarm(10.6), alarm(30, "a/m2/temp:h")]
    assert flood_figures(events).chattering == ("a/m1/temp:h",)


def test_without_a_period_the_windows_span_the_alarms_on_clock_aligned_edges() -> None:
    figures = flood_figures([alarm(13), alarm(47)])
    assert (figures.start_ns, figures.end_ns) == (10 * MIN, 50 * MIN)
    assert figures.counts == (1, 0, 0, 1)


def test_no_alarms_give_zero_figures() -> None:
    figures = flood_figures([], start_ns=0, end_ns=HOUR)
    assert (figures.total, figures.peak, figures.flood_share, figures.counts) == (
        0,
        0,
        0.0,
        (0,) * 6,
    )


def test_the_benchmarks_compare_each_figure_with_its_isa_18_2_target() -> None:
    figures = flood_figures(hour_with_a_flood(), start_ns=0, end_ns=HOUR)
    met = {b.name: b.met for b in figures.benchmarks()}
    assert met == {
        "alarms per day": False,
        "alarms per hour": False,
        "alarms per 10 minutes": False,
        "share of 10-minute windows in flood": False,
        "most alarms in 10 minutes": False,
        "share of the 10 most frequent alarms": False,
        "chattering alarms": True,
    }


def test_a_quiet_day_meets_the_rate_and_flood_benchmarks() -> None:
    # With few alarms, ten of them are always a large share: that figure needs a month.
    events = [alarm(i * 97, f"a/m{i}/temp:h") for i in range(14)]
    figures = flood_figures(events, start_ns=0, end_ns=24 * HOUR)
    assert [b.name for b in figures.benchmarks() if not b.met] == [
        "share of the 10 most frequent alarms"
    ]
