"""Specification of saving and restoring alarm state across a restart."""

from __future__ import annotations

import json

import pytest

from shopfloor.model.event import Event
from shopfloor.monitor.alarms import AlarmEngine, AlarmState, AlarmStateError
from tests.monitor.alarms.support import (
    PLANNED_STOP,
    STATE,
    TEMP,
    TEMP_H,
    S,
    samples,
    spec,
    story,
    temperature_engine,
)


def restarted(engine: AlarmEngine, **entry: object) -> AlarmEngine:
    """A new engine of the same section that took back ``engine``'s state through JSON."""
    saved = json.loads(json.dumps(engine.save_state(), allow_nan=False))
    fresh = temperature_engine(**entry)
    assert fresh.restore_state(saved) == []
    return fresh


def test_a_restart_keeps_an_acknowledgement() -> None:
    engine = temperature_engine()
    engine.process(samples(TEMP, [(0, 70), (10, 90)]), 10 * S)
    engine.acknowledge(TEMP_H, "alice", "", 20 * S)
    again = restarted(engine)
    assert again.get(TEMP_H) == engine.get(TEMP_H)
    assert story(again.process(samples(TEMP, [(30, 70)]), 30 * S)) == [
        (30, "alarm.cleared", "normal")
    ]


def test_a_restart_keeps_shelving_and_its_expiry() -> None:
    engine = temperature_engine()
    engine.process(samples(TEMP, [(10, 90)]), 10 * S)
    engine.shelve(TEMP_H, "alice", 60, "", 20 * S)
    again = restarted(engine)
    assert again.get(TEMP_H).state is AlarmState.SHELVED
    assert story(again.tick(80 * S)) == [
        (80, "alarm.unshelved", "normal"),
        (80, "alarm.active", "unacknowledged_active"),
    ]


def test_a_restart_keeps_a_pending_on_delay() -> None:
    engine = temperature_engine(h=80, on_delay="10s")
    engine.process(samples(TEMP, [(10, 90)]), 12 * S)
    again = restarted(engine, h=80, on_delay="10s")
    assert story(again.tick(25 * S)) == [(20, "alarm.active", "unacknowledged_active")]


def test_a_restart_keeps_suppression() -> None:
    engine = temperature_engine()
    engine.process(samples(TEMP, [(10, 90)]), 10 * S)
    engine.process(samples(STATE, [(20, PLANNED_STOP)]), 20 * S)
    again = restarted(engine)
    assert again.get(TEMP_H).state is AlarmState.SUPPRESSED


def test_after_a_restart_a_replayed_batch_raises_nothing_twice() -> None:
    engine = temperature_engine()
    batch = samples(TEMP, [(0, 70), (10, 90)])
    engine.process(batch, 10 * S)
    assert restarted(engine).process(batch, 11 * S) == []


def test_event_ids_continue_after_a_restart_without_repeating() -> None:
    engine = temperature_engine()
    before = engine.process(samples(TEMP, [(10, 90), (20, 70)]), 20 * S)
    after = restarted(engine).process(samples(TEMP, [(30, 90)]), 30 * S)
    events: list[Event] = [*before, *after]
    assert len({e.id for e in events}) == 3


def test_saved_alarms_that_the_plant_file_no_longer_defines_are_skipped() -> None:
    engine = temperature_engine(h=80, hh=95)
    engine.process(samples(TEMP, [(10, 99)]), 10 * S)
    fewer = AlarmEngine(spec(limits=[{"tags": TEMP, "h": 80}]), [TEMP])
    assert fewer.restore_state(engine.save_state()) == [f"{TEMP}:hh"]
    assert fewer.get(TEMP_H).state is AlarmState.UNACK_ACTIVE


def test_saved_state_of_another_version_is_refused() -> None:
    with pytest.raises(AlarmStateError, match="version 1, not 7"):
        temperature_engine().restore_state({"version": 7})


def test_malformed_saved_state_is_refused_with_the_place_of_the_problem() -> None:
    bad = {"version": 1, "alarms": {TEMP_H: {"tag": TEMP, "acked": "perhaps"}}}
    with pytest.raises(AlarmStateError, match=r"alarms\..*:h\.acked"):
        temperature_engine().restore_state(bad)
