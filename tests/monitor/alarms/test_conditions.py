"""Specification of alarm conditions: limits with deadband, delays, sample quality,
late samples and discrete alarms on machine states and booleans."""

from __future__ import annotations

from collections.abc import Sequence

from shopfloor.model.event import Event
from shopfloor.model.quality import StatusCode
from shopfloor.monitor.alarms import AlarmEngine, AlarmState
from tests.monitor.alarms.support import (
    FAULT,
    MACHINE,
    RUNNING,
    STATE,
    TEMP,
    TEMP_H,
    S,
    both,
    samples,
    spec,
    story,
    temperature_engine,
)


def levels(events: Sequence[Event]) -> list[tuple[float, str, str]]:
    """(seconds, kind, level) of each event."""
    return [(e.time_ns / S, e.kind, e.payload["level"]) for e in events]


# -- limits and deadband -----------------------------------------------------------------------


def test_four_limits_with_a_deadband_activate_beyond_and_clear_back_past_the_deadband() -> None:
    engine = temperature_engine(hh=95, h=85, l=20, ll=10, deadband=2)
    series = [
        (0, 50),
        (1, 86),  # h
        (2, 96),  # hh
        (3, 94),  # inside hh's deadband (93-95): hh holds
        (4, 92.5),  # hh clears at 93 or below
        (5, 84),  # inside h's deadband: h holds
        (6, 83),  # h clears
        (7, 19),  # l
        (8, 9),  # ll
        (9, 11),  # inside ll's deadband (10-12): ll holds
        (10, 12),  # ll clears at 12 or above
        (11, 21),  # inside l's deadband: l holds
        (12, 22),  # l clears
    ]
    assert levels(engine.process(samples(TEMP, series), 12 * S)) == [
        (1, "alarm.active", "h"),
        (2, "alarm.active", "hh"),
        (4, "alarm.cleared", "hh"),
        (6, "alarm.cleared", "h"),
        (7, "alarm.active", "l"),
        (8, "alarm.active", "ll"),
        (10, "alarm.cleared", "ll"),
        (12, "alarm.cleared", "l"),
    ]


def test_a_value_exactly_at_the_limit_does_not_alarm() -> None:
    engine = temperature_engine(h=80, l=20)
    assert engine.process(samples(TEMP, [(0, 80), (1, 20)]), 1 * S) == []


def test_without_deadband_an_alarm_clears_as_soon_as_the_value_is_back_at_the_limit() -> None:
    engine = temperature_engine(h=80)
    events = engine.process(samples(TEMP, [(0, 81), (1, 80)]), 1 * S)
    assert levels(events) == [(0, "alarm.active", "h"), (1, "alarm.cleared", "h")]


def test_noise_around_the_limit_inside_the_deadband_raises_one_alarm_not_many() -> None:
    engine = temperature_engine(h=80, deadband=1.5)
    noisy = [(t, 80.4 if t % 2 else 79.6) for t in range(20)]
    assert levels(engine.process(samples(TEMP, noisy), 20 * S)) == [(1, "alarm.active", "h")]


def test_a_limit_alarm_holds_across_batches() -> None:
    engine = temperature_engine(h=80, deadband=5)
    first = engine.process(samples(TEMP, [(0, 90)]), 0)
    second = engine.process(samples(TEMP, [(1, 77), (2, 74)]), 2 * S)
    assert levels(first + second) == [(0, "alarm.active", "h"), (2, "alarm.cleared", "h")]


# -- delays ------------------------------------------------------------------------------------


def test_with_an_on_delay_a_short_spike_does_not_alarm() -> None:
    engine = temperature_engine(h=80, on_delay="5s")
    spike = [(0, 70), (10, 90), (13, 91), (14, 70)]
    assert engine.process(samples(TEMP, spike), 20 * S) == []


def test_with_an_on_delay_a_lasting_excursion_alarms_when_the_delay_has_run() -> None:
    engine = temperature_engine(h=80, on_delay="5s")
    [event] = engine.process(samples(TEMP, [(0, 70), (10, 90), (12, 95), (16, 96)]), 16 * S)
    # The value of an event is the tag's value at its time: here the sample at 12 s.
    assert (event.time_ns, event.kind, event.payload["value"]) == (15 * S, "alarm.active", 95)


def test_an_on_delay_fires_on_a_tick_when_no_new_samples_arrive() -> None:
    engine = temperature_engine(h=80, on_delay="5s")
    assert engine.process(samples(TEMP, [(10, 90)]), 11 * S) == []
    assert engine.tick(14 * S) == []
    assert story(engine.tick(20 * S)) == [(15, "alarm.active", "unacknowledged_active")]


def test_with_an_off_delay_a_short_dip_does_not_clear_the_alarm() -> None:
    engine = temperature_engine(h=80, off_delay="30s")
    events = engine.process(samples(TEMP, [(0, 90), (10, 70), (20, 90), (60, 91)]), 60 * S)
    assert levels(events) == [(0, "alarm.active", "h")]


def test_with_an_off_delay_the_alarm_clears_once_the_value_stayed_normal_long_enough() -> None:
    engine = temperature_engine(h=80, off_delay="30s")
    events = engine.process(samples(TEMP, [(0, 90), (10, 70), (25, 71)]), 25 * S)
    later = engine.tick(45 * S)
    assert levels(events + later) == [(0, "alarm.active", "h"), (40, "alarm.cleared", "h")]


def test_next_timer_says_when_a_pending_delay_falls_due() -> None:
    engine = temperature_engine(h=80, on_delay="5s")
    engine.process(samples(TEMP, [(10, 90)]), 10 * S)
    assert engine.next_timer_ns() == 15 * S


# -- quality and order -------------------------------------------------------------------------


def test_bad_quality_samples_neither_raise_an_alarm() -> None:
    engine = temperature_engine(h=80)
    bad = samples(TEMP, [(10, 500)], StatusCode.BAD_SENSOR_FAILURE)
    assert engine.process(bad, 10 * S) == []


def test_bad_quality_samples_nor_clear_one() -> None:
    engine = temperature_engine(h=80)
    engine.process(samples(TEMP, [(0, 90)]), 0)
    bad = samples(TEMP, [(10, 0)], StatusCode.BAD_NOT_CONNECTED)
    assert engine.process(bad, 10 * S) == []
    assert engine.get(TEMP_H).active


def test_nan_values_are_skipped_like_bad_ones() -> None:
    engine = fault_engine(equals=None, not_equals="running")
    events = engine.process(samples(STATE, [(0, RUNNING), (5, float("nan"))]), 5 * S)
    assert events == []


def test_uncertain_samples_count() -> None:
    engine = temperature_engine(h=80)
    uncertain = samples(TEMP, [(10, 90)], StatusCode.UNCERTAIN_LAST_USABLE_VALUE)
    assert levels(engine.process(uncertain, 10 * S)) == [(10, "alarm.active", "h")]


def test_samples_of_a_batch_are_evaluated_in_time_order() -> None:
    engine = temperature_engine(h=80)
    events = engine.process(samples(TEMP, [(20, 70), (0, 70), (10, 90)]), 20 * S)
    assert levels(events) == [(10, "alarm.active", "h"), (20, "alarm.cleared", "h")]


def test_a_sample_older_than_the_last_evaluated_one_is_skipped() -> None:
    engine = temperature_engine(h=80)
    engine.process(samples(TEMP, [(10, 70)]), 10 * S)
    assert engine.process(samples(TEMP, [(5, 90)]), 11 * S) == []


# -- discrete alarms ---------------------------------------------------------------------------


def fault_engine(**entry: object) -> AlarmEngine:
    found = {"name": "fault", "tags": "acme/+/+/+/+/state", "equals": "unplanned_stop", **entry}
    return AlarmEngine(spec(discrete=[found]), [STATE])


def test_a_discrete_alarm_on_the_machine_state_is_active_while_the_machine_is_down() -> None:
    engine = fault_engine(priority="high")
    events = engine.process(samples(STATE, [(0, RUNNING), (10, FAULT), (70, RUNNING)]), 70 * S)
    assert story(events) == [
        (10, "alarm.active", "unacknowledged_active"),
        (70, "alarm.cleared", "unacknowledged_rtn"),
    ]
    assert events[0].payload["alarm_id"] == f"{STATE}:fault"
    assert events[0].payload["message"] == "press1 fault (state == unplanned_stop)"


def test_a_discrete_alarm_with_an_on_delay_ignores_a_short_fault() -> None:
    engine = fault_engine(on_delay="1m")
    events = engine.process(samples(STATE, [(0, FAULT), (30, RUNNING), (200, RUNNING)]), 200 * S)
    assert events == []


def test_a_boolean_tag_alarms_while_true() -> None:
    estop = f"{MACHINE}/e_stop"
    entry = {"name": "e_stop", "tags": estop, "equals": True, "priority": "urgent"}
    engine = AlarmEngine(spec(discrete=[entry]), [estop])
    events = engine.process(samples(estop, [(0, 0.0), (5, 1.0), (9, 0.0)]), 9 * S)
    assert [(e.time_ns / S, e.kind) for e in events] == [(5, "alarm.active"), (9, "alarm.cleared")]


def test_not_equals_alarms_while_the_tag_is_none_of_the_values() -> None:
    engine = fault_engine(equals=None, not_equals=["running", "idle"])
    events = engine.process(samples(STATE, [(0, RUNNING), (5, FAULT)]), 5 * S)
    assert story(events) == [(5, "alarm.active", "unacknowledged_active")]
    assert events[0].payload["condition"] == "not in (running, idle)"


# -- which alarms a tag has --------------------------------------------------------------------


def test_a_later_entry_overrides_an_earlier_one_for_the_tags_it_selects() -> None:
    general = {"tags": "acme/+/+/+/+/temperature", "h": 80, "hh": 95}
    oven = {"tags": "acme/+/+/+/oven1/temperature", "h": 180}
    oven_temp = "acme/stuttgart/fabrication/line1/oven1/temperature"
    engine = AlarmEngine(spec(limits=[general, oven]), [TEMP, oven_temp])
    assert [a.id for a in engine.alarms()] == [
        f"{oven_temp}:h",
        f"{TEMP}:h",
        f"{TEMP}:hh",
    ]


def test_a_tag_first_seen_in_a_batch_gets_its_alarms_then() -> None:
    engine = AlarmEngine(spec(limits=[{"tags": "acme/+/+/+/+/temperature", "h": 80}]))
    events = engine.process(samples(TEMP, [(0, 90)]), 0)
    assert [e.payload["alarm_id"] for e in events] == [TEMP_H]
    assert engine.get(TEMP_H).state is AlarmState.UNACK_ACTIVE


def test_entries_that_select_no_known_tag_are_reported() -> None:
    typo = {"tags": "acme/+/+/+/+/temprature", "h": 80}
    engine = AlarmEngine(spec(limits=[{"tags": TEMP, "h": 80}, typo]), [TEMP])
    assert engine.unused_entries() == ["limits[1] (acme/+/+/+/+/temprature)"]


def test_a_batch_of_many_tags_evaluates_each_tag_in_its_own_time_order() -> None:
    other = "acme/stuttgart/fabrication/line1/press2/temperature"
    engine = AlarmEngine(spec(limits=[{"tags": "acme/+/+/+/+/temperature", "h": 80}]))
    batch = both(samples(TEMP, [(0, 90), (2, 70)]), samples(other, [(1, 95)]))
    assert [(e.time_ns / S, e.payload["tag"]) for e in engine.process(batch, 2 * S)] == [
        (0, TEMP),
        (1, other),
        (2, TEMP),
    ]
