"""Specification of the ISA-18.2 life cycle: activation, acknowledgement, return to normal,
shelving and suppression, and what each transition records."""

from __future__ import annotations

import pytest

from shopfloor.model.event import Severity
from shopfloor.monitor.alarms import (
    AlarmEngine,
    AlarmError,
    AlarmState,
    AlarmTransitionError,
    UnknownAlarmError,
)
from tests.monitor.alarms.support import (
    MACHINE,
    PLANNED_STOP,
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


def active_engine() -> AlarmEngine:
    """A press whose temperature went above its high limit (80) at 10 s."""
    engine = temperature_engine()
    engine.process(samples(TEMP, [(0, 70), (10, 85)]), 10 * S)
    return engine


def test_a_value_above_the_high_limit_makes_the_alarm_unacknowledged_active() -> None:
    engine = temperature_engine()
    events = engine.process(samples(TEMP, [(0, 70), (10, 85)]), 10 * S)
    assert story(events) == [(10, "alarm.active", "unacknowledged_active")]
    assert engine.get(TEMP_H).state is AlarmState.UNACK_ACTIVE


def test_active_then_acknowledged_then_cleared_returns_to_normal() -> None:
    engine = active_engine()
    acked = engine.acknowledge(TEMP_H, "alice", "checking the cooler", 20 * S)
    cleared = engine.process(samples(TEMP, [(30, 75)]), 30 * S)
    assert story(acked + cleared) == [
        (20, "alarm.acknowledged", "acknowledged_active"),
        (30, "alarm.cleared", "normal"),
    ]
    assert engine.get(TEMP_H).state is AlarmState.NORMAL


def test_an_alarm_that_clears_unacknowledged_waits_in_rtn_unack_until_acknowledged() -> None:
    engine = active_engine()
    cleared = engine.process(samples(TEMP, [(30, 75)]), 30 * S)
    assert engine.get(TEMP_H).state is AlarmState.RTN_UNACK
    acked = engine.acknowledge(TEMP_H, "bob", "", 40 * S)
    assert story(cleared + acked) == [
        (30, "alarm.cleared", "unacknowledged_rtn"),
        (40, "alarm.acknowledged", "normal"),
    ]
    assert engine.get(TEMP_H).state is AlarmState.NORMAL


def test_a_condition_that_returns_during_rtn_unack_makes_the_alarm_active_again() -> None:
    engine = active_engine()
    events = engine.process(samples(TEMP, [(30, 75), (40, 90)]), 40 * S)
    assert story(events) == [
        (30, "alarm.cleared", "unacknowledged_rtn"),
        (40, "alarm.active", "unacknowledged_active"),
    ]


def test_acknowledging_records_who_when_and_why_in_the_event() -> None:
    engine = active_engine()
    [event] = engine.acknowledge(TEMP_H, "alice", "cooling fan replaced", 20 * S)
    assert event.actor == "user:alice"
    assert event.time_ns == 20 * S
    assert event.payload["comment"] == "cooling fan replaced"
    assert event.payload["alarm_id"] == TEMP_H
    assert event.payload["previous_state"] == "unacknowledged_active"


def test_an_alarm_event_names_the_machine_tag_level_limit_value_and_priority() -> None:
    [event] = temperature_engine().process(samples(TEMP, [(10, 85.5)]), 10 * S)
    assert event.asset == MACHINE
    assert event.actor == "system"
    assert event.severity is Severity.MEDIUM
    assert {k: event.payload[k] for k in ("tag", "level", "limit", "value", "priority")} == {
        "tag": TEMP,
        "level": "h",
        "limit": 80.0,
        "value": 85.5,
        "priority": "medium",
    }
    assert event.payload["message"] == "press1 temperature high (> 80)"


def test_the_severity_follows_the_priority() -> None:
    engine = temperature_engine(h={"value": 80, "priority": "urgent"})
    [event] = engine.process(samples(TEMP, [(10, 85)]), 10 * S)
    assert event.severity is Severity.CRITICAL


def test_the_same_input_gives_the_same_event_ids() -> None:
    first = temperature_engine().process(samples(TEMP, [(0, 70), (10, 85)]), 10 * S)
    again = temperature_engine().process(samples(TEMP, [(0, 70), (10, 85)]), 10 * S)
    assert [e.id for e in first] == [e.id for e in again]


# -- disallowed actions ------------------------------------------------------------------------


def test_acknowledging_a_normal_alarm_raises() -> None:
    with pytest.raises(AlarmTransitionError, match="is normal"):
        temperature_engine().acknowledge(TEMP_H, "alice", "", 5 * S)


def test_acknowledging_twice_raises() -> None:
    engine = active_engine()
    engine.acknowledge(TEMP_H, "alice", "", 20 * S)
    with pytest.raises(AlarmTransitionError, match="acknowledged_active"):
        engine.acknowledge(TEMP_H, "alice", "", 21 * S)


def test_an_unknown_alarm_id_raises() -> None:
    with pytest.raises(UnknownAlarmError, match="no alarm 'acme/nowhere:h'"):
        temperature_engine().acknowledge("acme/nowhere:h", "alice", "", 0)


def test_unshelving_an_alarm_that_is_not_shelved_raises() -> None:
    with pytest.raises(AlarmTransitionError, match="only a shelved alarm"):
        active_engine().unshelve(TEMP_H, "alice", "", 20 * S)


def test_shelving_a_shelved_alarm_raises() -> None:
    engine = active_engine()
    engine.shelve(TEMP_H, "alice", 600, "", 20 * S)
    with pytest.raises(AlarmTransitionError, match="is shelved"):
        engine.shelve(TEMP_H, "alice", 600, "", 21 * S)


def test_shelving_longer_than_the_section_allows_raises() -> None:
    with pytest.raises(AlarmError, match="at most 28800 s"):
        active_engine().shelve(TEMP_H, "alice", 9 * 3600, "", 20 * S)


def test_an_operator_action_without_a_user_name_raises() -> None:
    with pytest.raises(AlarmError, match="user name"):
        active_engine().acknowledge(TEMP_H, " ", "", 20 * S)


def test_a_refused_action_changes_nothing() -> None:
    engine = active_engine()
    with pytest.raises(AlarmError):
        engine.acknowledge(TEMP_H, "", "", 20 * S)
    assert engine.get(TEMP_H).state is AlarmState.UNACK_ACTIVE


# -- shelving ----------------------------------------------------------------------------------


def test_shelving_hides_an_alarm_until_expiry_which_brings_it_back_if_still_active() -> None:
    engine = active_engine()
    shelved = engine.shelve(TEMP_H, "alice", 60, "sensor being replaced", 20 * S)
    quiet = engine.process(samples(TEMP, [(30, 90), (70, 91)]), 70 * S)
    back = engine.tick(80 * S)
    assert quiet == []
    assert story(shelved + back) == [
        (20, "alarm.shelved", "shelved"),
        (80, "alarm.unshelved", "normal"),
        (80, "alarm.active", "unacknowledged_active"),
    ]
    assert back[0].actor == "system"
    assert back[0].payload["reason"] == "expired"


def test_a_shelved_alarm_whose_condition_cleared_meanwhile_returns_to_normal() -> None:
    engine = active_engine()
    engine.shelve(TEMP_H, "alice", 60, "", 20 * S)
    engine.process(samples(TEMP, [(30, 60)]), 30 * S)
    assert story(engine.tick(90 * S)) == [(80, "alarm.unshelved", "normal")]
    assert engine.get(TEMP_H).state is AlarmState.NORMAL


def test_a_shelving_event_records_the_user_the_duration_and_the_expiry() -> None:
    [event] = active_engine().shelve(TEMP_H, "alice", 600, "known fault", 20 * S)
    assert event.actor == "user:alice"
    assert event.payload["duration_s"] == 600
    assert event.payload["until_ns"] == 620 * S
    assert event.payload["comment"] == "known fault"


def test_an_operator_may_unshelve_before_expiry() -> None:
    engine = active_engine()
    engine.shelve(TEMP_H, "alice", 600, "", 20 * S)
    events = engine.unshelve(TEMP_H, "bob", "fixed", 30 * S)
    assert story(events) == [
        (30, "alarm.unshelved", "normal"),
        (30, "alarm.active", "unacknowledged_active"),
    ]
    assert events[0].actor == "user:bob"


def test_a_shelved_alarm_is_not_in_the_alarm_list() -> None:
    engine = active_engine()
    engine.shelve(TEMP_H, "alice", 600, "", 20 * S)
    assert engine.active() == []
    assert engine.get(TEMP_H).shelved_by == "alice"


def test_an_unacknowledged_return_to_normal_stays_in_the_alarm_list_until_acknowledged() -> None:
    engine = active_engine()
    engine.process(samples(TEMP, [(30, 75)]), 30 * S)
    listed = [(a.id, a.state) for a in engine.active()]
    engine.acknowledge(TEMP_H, "alice", "", 40 * S)
    assert listed == [(TEMP_H, AlarmState.RTN_UNACK)]
    assert engine.active() == []


def test_the_alarm_list_puts_the_most_urgent_first() -> None:
    engine = temperature_engine(h=80, hh={"value": 95, "priority": "urgent"})
    engine.process(samples(TEMP, [(10, 85), (20, 99)]), 20 * S)
    assert [a.level for a in engine.active()] == ["hh", "h"]


# -- suppression -------------------------------------------------------------------------------


def test_an_active_alarm_is_suppressed_while_its_machine_is_in_planned_stop() -> None:
    engine = active_engine()
    events = engine.process(samples(STATE, [(20, PLANNED_STOP)]), 20 * S)
    assert story(events) == [(20, "alarm.suppressed", "suppressed")]
    assert engine.active() == []


def test_leaving_planned_stop_brings_back_an_alarm_whose_condition_holds() -> None:
    engine = active_engine()
    engine.process(samples(STATE, [(20, PLANNED_STOP)]), 20 * S)
    events = engine.process(samples(STATE, [(60, RUNNING)]), 60 * S)
    assert story(events) == [
        (60, "alarm.unsuppressed", "normal"),
        (60, "alarm.active", "unacknowledged_active"),
    ]


def test_a_condition_that_comes_and_goes_during_planned_stop_raises_nothing() -> None:
    engine = temperature_engine()
    batch = both(
        samples(STATE, [(0, RUNNING), (10, PLANNED_STOP), (60, RUNNING)]),
        samples(TEMP, [(0, 70), (20, 90), (40, 70), (70, 72)]),
    )
    assert story(engine.process(batch, 70 * S)) == [
        (10, "alarm.suppressed", "suppressed"),
        (60, "alarm.unsuppressed", "normal"),
    ]


def test_an_alarm_that_starts_with_a_planned_stop_is_suppressed_from_the_start() -> None:
    engine = temperature_engine()
    batch = both(samples(STATE, [(10, PLANNED_STOP)]), samples(TEMP, [(10, 90)]))
    assert story(engine.process(batch, 10 * S)) == [(10, "alarm.suppressed", "suppressed")]


def test_an_entry_with_suppress_false_alarms_also_in_planned_stop() -> None:
    engine = temperature_engine(h=80, suppress=False)
    batch = both(samples(STATE, [(0, PLANNED_STOP)]), samples(TEMP, [(10, 90)]))
    assert story(engine.process(batch, 10 * S)) == [(10, "alarm.active", "unacknowledged_active")]


def test_without_a_suppression_setting_planned_stop_changes_nothing() -> None:
    engine = AlarmEngine(spec(limits=[{"tags": TEMP, "h": 80}], suppression=None), [TEMP])
    batch = both(samples(STATE, [(0, PLANNED_STOP)]), samples(TEMP, [(10, 90)]))
    assert story(engine.process(batch, 10 * S)) == [(10, "alarm.active", "unacknowledged_active")]


def test_a_suppressed_alarm_cannot_be_acknowledged_or_shelved() -> None:
    engine = active_engine()
    engine.process(samples(STATE, [(20, PLANNED_STOP)]), 20 * S)
    with pytest.raises(AlarmTransitionError, match="is suppressed"):
        engine.acknowledge(TEMP_H, "alice", "", 30 * S)
    with pytest.raises(AlarmTransitionError, match="is suppressed"):
        engine.shelve(TEMP_H, "alice", 60, "", 30 * S)


def test_a_shelved_alarm_of_a_machine_in_planned_stop_comes_off_the_shelf_suppressed() -> None:
    engine = active_engine()
    engine.shelve(TEMP_H, "alice", 60, "", 20 * S)
    assert engine.process(samples(STATE, [(30, PLANNED_STOP)]), 30 * S) == []
    assert story(engine.tick(80 * S)) == [(80, "alarm.unshelved", "suppressed")]
