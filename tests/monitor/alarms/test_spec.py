"""Specification of the plant file's alarms: section and its error messages."""

from __future__ import annotations

import doctest
from typing import Any

import pytest
from pydantic import ValidationError

import shopfloor.monitor.alarms
import shopfloor.monitor.alarms.definition
import shopfloor.monitor.alarms.engine
import shopfloor.monitor.alarms.flood
import shopfloor.monitor.alarms.service
from shopfloor.model.spec_alarms import AlarmPriority, AlarmsSpec, LimitLevel
from shopfloor.model.states import MachineState
from tests.monitor.alarms.support import spec

TEMP_TAGS = "acme/+/+/+/+/temperature"


def problem(**section: Any) -> str:
    """The message of the first problem pydantic reports for ``section``."""
    with pytest.raises(ValidationError) as caught:
        AlarmsSpec.model_validate(section)
    return str(caught.value.errors()[0]["msg"])


def test_a_limit_level_may_be_a_number_or_a_mapping_with_priority_and_message() -> None:
    limits = spec(limits=[{"tags": TEMP_TAGS, "h": 85, "hh": {"value": 95, "priority": 1}}])
    levels = limits.limits[0].levels()
    assert (levels[LimitLevel.H].value, levels[LimitLevel.HH].priority) == (
        85.0,
        AlarmPriority.URGENT,
    )


def test_priorities_are_names_or_ranks_one_to_four() -> None:
    assert [AlarmPriority.parse(p) for p in ("urgent", "High", 3, 4)] == [
        AlarmPriority.URGENT,
        AlarmPriority.HIGH,
        AlarmPriority.MEDIUM,
        AlarmPriority.LOW,
    ]


def test_delays_are_durations_with_units() -> None:
    entry = spec(limits=[{"tags": TEMP_TAGS, "h": 85, "on_delay": "5s", "off_delay": "1m"}])
    assert (entry.limits[0].on_delay, entry.limits[0].off_delay) == (5.0, 60.0)


def test_limits_must_be_ordered_from_high_high_down_to_low_low() -> None:
    message = problem(limits=[{"tags": TEMP_TAGS, "hh": 80, "h": 85}])
    assert "limits must be ordered hh > h > l > ll: hh (80) must be greater than h (85)" in message


def test_a_limit_entry_needs_a_level() -> None:
    assert "at least one of hh, h, l, ll" in problem(limits=[{"tags": TEMP_TAGS}])


def test_a_negative_deadband_is_refused() -> None:
    message = problem(limits=[{"tags": TEMP_TAGS, "h": 85, "deadband": -1}])
    assert "greater than or equal to 0" in message


def test_a_negative_delay_is_refused() -> None:
    assert "not negative" in problem(limits=[{"tags": TEMP_TAGS, "h": 85, "on_delay": -5}])


def test_an_unknown_priority_is_refused_with_the_choices() -> None:
    message = problem(limits=[{"tags": TEMP_TAGS, "h": 85, "priority": "critical"}])
    assert "urgent, high, medium, low (or 1-4)" in message


def test_a_malformed_tag_pattern_is_refused() -> None:
    assert "'#' may only be the last" in problem(limits=[{"tags": "acme/#/temp", "h": 1}])


def test_a_message_with_an_unknown_placeholder_is_refused_with_the_known_ones() -> None:
    message = problem(limits=[{"tags": TEMP_TAGS, "h": 85, "message": "{machien} hot"}])
    assert "unknown placeholder {machien}" in message
    assert "{machine}" in message


def test_unknown_keys_are_refused() -> None:
    assert problem(limits=[{"tags": TEMP_TAGS, "h": 85, "dead_band": 1}]).startswith("Extra")


def test_a_discrete_alarm_names_machine_states_booleans_or_numbers() -> None:
    found = spec(
        discrete=[
            {"name": "fault", "tags": "a/+/state", "equals": "fault"},
            {"name": "e_stop", "tags": "a/+/e_stop", "equals": True},
            {"name": "mode", "tags": "a/+/mode", "not_equals": [1, 2]},
        ]
    )
    assert [d.codes() for d in found.discrete] == [(7.0,), (1.0,), (1.0, 2.0)]


def test_a_discrete_value_that_is_no_state_is_refused_with_the_states() -> None:
    message = problem(discrete=[{"name": "x", "tags": "a/+/state", "equals": "broken"}])
    assert "'broken' is neither a number, true/false nor a machine state" in message


def test_a_discrete_alarm_needs_exactly_one_of_equals_and_not_equals() -> None:
    message = problem(discrete=[{"name": "x", "tags": "a/+/s", "equals": 1, "not_equals": 2}])
    assert "exactly one of equals, not_equals" in message


def test_a_discrete_alarm_may_not_take_a_limit_levels_name() -> None:
    assert "reserved" in problem(discrete=[{"name": "hh", "tags": "a/+/s", "equals": 1}])


def test_suppression_defaults_to_the_state_tag_in_planned_stop() -> None:
    gate = spec().suppression
    assert gate is not None
    assert (gate.tag, gate.states) == ("state", (MachineState.PLANNED_STOP,))


def test_suppression_states_are_machine_states() -> None:
    assert "machine state must be one of" in problem(suppression={"states": ["lunch"]})


def test_shelving_is_limited_to_eight_hours_unless_the_file_says_otherwise() -> None:
    assert (spec().max_shelve, spec(max_shelve="12h").max_shelve) == (28800.0, 43200.0)


def test_the_module_examples_run() -> None:
    modules = (
        shopfloor.monitor.alarms,
        shopfloor.monitor.alarms.definition,
        shopfloor.monitor.alarms.engine,
        shopfloor.monitor.alarms.flood,
        shopfloor.monitor.alarms.service,
    )
    for module in modules:
        assert doctest.testmod(module).failed == 0
