from __future__ import annotations

import asyncio

import pytest

from shopfloor.model.clock import NS_PER_S, SimClock, WallClock
from shopfloor.model.event import Event, Severity
from shopfloor.model.quality import Quality, StatusCode, parse_quality, quality_of, status_name
from shopfloor.model.states import MachineState


def test_status_code_severity_bits_give_quality() -> None:
    assert quality_of(StatusCode.GOOD) is Quality.GOOD
    assert quality_of(StatusCode.UNCERTAIN_SUB_NORMAL) is Quality.UNCERTAIN
    assert quality_of(StatusCode.BAD_NO_COMMUNICATION) is Quality.BAD
    assert quality_of(0xC0000000) is Quality.BAD


def test_status_names_are_readable_and_unknown_codes_print_as_hex() -> None:
    assert status_name(StatusCode.BAD_NOT_CONNECTED) == "BadNotConnected"
    assert status_name(0x80AB0000) == "0x80AB0000"


def test_quality_parses_from_its_label() -> None:
    assert parse_quality("Uncertain") is Quality.UNCERTAIN
    with pytest.raises(ValueError, match="good, uncertain or bad"):
        parse_quality("ok")


def test_events_round_trip_through_dicts() -> None:
    e = Event.new(
        time_ns=5,
        asset="acme/s/l/m",
        kind="alarm.active",
        severity=Severity.HIGH,
        payload={"limit": "HH", "value": 93.5},
        actor="user:alice",
    )
    back = Event.from_dict(e.to_dict())
    assert back == e
    assert back.family == "alarm"


def test_event_kinds_must_be_dotted_lower_case() -> None:
    with pytest.raises(ValueError, match="dotted"):
        Event.new(time_ns=0, asset="a", kind="Alarm Active")


def test_machine_states_have_stable_codes_and_aliases() -> None:
    assert [MachineState.from_code(s.code) for s in MachineState] == list(MachineState)
    assert MachineState.parse("fault") is MachineState.UNPLANNED_STOP
    assert MachineState.parse("Planned Stop") is MachineState.PLANNED_STOP
    with pytest.raises(ValueError, match="must be one of"):
        MachineState.parse("sleeping")


async def test_sim_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = SimClock(start_ns=0)
    woke: list[str] = []

    async def nap(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    tasks = [asyncio.create_task(nap("late", 5)), asyncio.create_task(nap("early", 1))]
    await asyncio.sleep(0)
    clock.advance(2)
    await asyncio.sleep(0)
    assert woke == ["early"]
    clock.advance(3)
    await asyncio.gather(*tasks)
    assert woke == ["early", "late"]
    assert clock.now_ns() == 5 * NS_PER_S


def test_sim_clock_cannot_go_backwards() -> None:
    clock = SimClock(start_ns=10)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(5)


async def test_wall_clock_moves_forward() -> None:
    clock = WallClock()
    before = clock.now_ns()
    await clock.sleep(0.001)
    assert clock.now_ns() > before
