"""The audit trail: events on the bus, chained so that tampering shows."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopfloor.bus.memory import MemoryBus, MemorySubscription
from shopfloor.model.clock import SimClock
from shopfloor.model.errors import BusClosedError
from shopfloor.model.event import Event
from shopfloor.security import (
    AuditAction,
    AuditTrail,
    ChainHead,
    MemorySecurityDB,
    Principal,
    Role,
    SecurityDB,
    chain_order,
    event_hash,
    verify_chain,
)
from shopfloor.security.records import GENESIS_HASH

ALICE = Principal("alice", Role.ENGINEER)
PRESS = "acme/plant1/body/line2/press3"


@pytest.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    instance = MemoryBus()
    yield instance
    await instance.close()


@pytest.fixture
def trail(bus: MemoryBus, db: SecurityDB, clock: SimClock) -> AuditTrail:
    return AuditTrail(bus, db.chain, clock=clock, root_asset="acme")


async def three_events(trail: AuditTrail) -> list[Event]:
    return [
        await trail.record(AuditAction.LOGIN, actor=ALICE, details={"client": "10.0.0.7"}),
        await trail.config_changed(
            ALICE, asset=PRESS, setting="alarm.temp.high", before=85.0, after=90.5
        ),
        await trail.record(AuditAction.LOGOUT, actor=ALICE),
    ]


def with_payload(event: Event, **changes: object) -> Event:
    return dataclasses.replace(event, payload={**event.payload, **changes})


def drain(sub: MemorySubscription) -> list[Event]:
    events: list[Event] = []
    while (message := sub.get_nowait()) is not None:
        assert isinstance(message, tuple)
        events.extend(message)
    return events


async def test_a_write_is_published_as_an_audit_event(
    bus: MemoryBus, trail: AuditTrail, clock: SimClock
) -> None:
    sub = bus.subscribe("#")
    event = await trail.alarm_acknowledged(ALICE, asset=PRESS, alarm="temp_high", comment="ok")
    assert drain(sub) == [event]
    assert (event.kind, event.actor, event.asset) == (
        "audit.alarm_acknowledged",
        "user:alice",
        PRESS,
    )
    assert event.time_ns == clock.now_ns()
    assert event.payload["alarm"] == "temp_high"


async def test_an_event_without_an_asset_goes_on_the_enterprise_root(trail: AuditTrail) -> None:
    event = await trail.record(AuditAction.LOGIN, actor=ALICE)
    assert event.asset == "acme"


async def test_the_chain_of_recorded_events_verifies(trail: AuditTrail) -> None:
    events = await three_events(trail)
    assert verify_chain(events, head=trail.head())
    assert [e.payload["seq"] for e in events] == [1, 2, 3]
    assert events[0].payload["prev"] == GENESIS_HASH
    assert events[1].payload["prev"] == events[0].payload["hash"]


async def test_each_event_carries_the_hash_of_itself(trail: AuditTrail) -> None:
    event = await trail.record(AuditAction.LOGIN, actor=ALICE)
    assert event.payload["hash"] == event_hash(event)


async def test_a_changed_event_is_found(trail: AuditTrail) -> None:
    events = await three_events(trail)
    events[1] = with_payload(events[1], after=999.0)
    check = verify_chain(events)
    assert not check
    assert check.first_break == 1
    assert "changed" in check.reason


async def test_a_changed_actor_is_found(trail: AuditTrail) -> None:
    events = await three_events(trail)
    events[2] = dataclasses.replace(events[2], actor="user:mallory")
    assert verify_chain(events).first_break == 2


async def test_a_removed_event_is_found(trail: AuditTrail) -> None:
    events = await three_events(trail)
    del events[1]
    assert verify_chain(events).first_break == 1


async def test_swapped_events_are_found(trail: AuditTrail) -> None:
    events = await three_events(trail)
    events[1], events[2] = events[2], events[1]
    assert verify_chain(events).first_break == 1


async def test_events_cut_off_the_end_are_found_against_the_head(trail: AuditTrail) -> None:
    events = await three_events(trail)
    check = verify_chain(events[:2], head=trail.head())
    assert (check.ok, check.first_break) == (False, 2)


async def test_a_window_in_the_middle_of_the_chain_verifies(trail: AuditTrail) -> None:
    events = await three_events(trail)
    assert verify_chain(events[1:], prev=None)


async def test_the_chain_survives_a_round_trip_through_json(trail: AuditTrail) -> None:
    events = await three_events(trail)
    stored = [Event.from_dict(json.loads(json.dumps(e.to_dict()))) for e in events]
    assert verify_chain(stored)


async def test_an_integral_float_read_back_as_an_integer_still_verifies(
    trail: AuditTrail,
) -> None:
    event = await trail.config_changed(ALICE, asset=PRESS, setting="limit", before=1e16, after=2.0)
    read_back = with_payload(event, before=10**16, after=2)
    assert verify_chain([read_back])


async def test_the_chain_continues_after_a_restart(
    bus: MemoryBus, db: SecurityDB, clock: SimClock
) -> None:
    first = await AuditTrail(bus, db.chain, clock=clock, root_asset="acme").record(
        AuditAction.LOGIN, actor=ALICE
    )
    second = await AuditTrail(bus, db.chain, clock=clock, root_asset="acme").record(
        AuditAction.LOGOUT, actor=ALICE
    )
    assert verify_chain([first, second])


async def test_a_failed_publish_does_not_move_the_chain(bus: MemoryBus, trail: AuditTrail) -> None:
    await bus.close()
    with pytest.raises(BusClosedError):
        await trail.record(AuditAction.LOGIN, actor=ALICE)
    assert trail.head() == ChainHead()


async def test_details_holding_a_password_are_refused(trail: AuditTrail) -> None:
    with pytest.raises(ValueError, match="must not carry secrets"):
        await trail.record(AuditAction.USER_CREATED, actor=ALICE, details={"password": "x"})


async def test_a_token_nested_in_the_details_is_refused(trail: AuditTrail) -> None:
    with pytest.raises(ValueError, match="must not carry secrets"):
        await trail.record(AuditAction.LOGIN, actor=ALICE, details={"session": [{"Token": "x"}]})


async def test_details_may_not_set_the_chain_keys(trail: AuditTrail) -> None:
    with pytest.raises(ValueError, match="chain keys"):
        await trail.record(AuditAction.LOGIN, actor=ALICE, details={"prev": GENESIS_HASH})


async def test_chain_order_sorts_audit_events_and_leaves_the_rest(trail: AuditTrail) -> None:
    events = await three_events(trail)
    other = Event.new(time_ns=0, asset=PRESS, kind="alarm.active")
    assert chain_order([events[2], other, events[0], events[1]]) == events


@settings(max_examples=25, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=2),
    value=st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none()),
)
def test_any_changed_detail_is_found_at_its_event(index: int, value: object) -> None:
    events = list(chained_events())
    events[index] = with_payload(events[index], note=value)
    assert verify_chain(events).first_break == index


@functools.cache
def chained_events() -> tuple[Event, ...]:
    """Three chained events, built once for all examples."""

    async def build() -> tuple[Event, ...]:
        bus = MemoryBus()
        trail = AuditTrail(bus, MemorySecurityDB().chain, clock=SimClock(), root_asset="acme")
        events = await three_events(trail)
        await bus.close()
        return tuple(events)

    return asyncio.run(build())
