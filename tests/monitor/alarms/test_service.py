"""Specification of the alarm service on an in-process bus with simulated time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from shopfloor.bus import MemoryBus, Subscription
from shopfloor.model.clock import SimClock
from shopfloor.model.event import Event
from shopfloor.monitor.alarms import AlarmService
from tests.monitor.alarms.support import MACHINE, TEMP, TEMP_H, S, samples, temperature_engine


@pytest.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    instance = MemoryBus()
    yield instance
    await instance.close()


async def next_events(sub: Subscription) -> list[Event]:
    """The next event message on ``sub`` (its batches are skipped)."""
    while True:
        message = await asyncio.wait_for(sub.get(), timeout=5)
        if isinstance(message, tuple):
            return list(message)


async def settle() -> None:
    """Let the service's tasks run until they wait again."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_the_service_publishes_the_alarm_events_of_the_batches_it_receives(
    bus: MemoryBus,
) -> None:
    watch = bus.subscribe(f"{MACHINE}/#")
    async with AlarmService(temperature_engine(), bus, SimClock(start_ns=0)):
        await bus.publish(samples(TEMP, [(0, 70), (10, 90)]))
        [event] = await next_events(watch)
    assert (event.kind, event.payload["alarm_id"], event.time_ns) == (
        "alarm.active",
        TEMP_H,
        10 * S,
    )


async def test_an_on_delay_fires_when_the_clock_moves_on_without_new_samples(
    bus: MemoryBus,
) -> None:
    clock = SimClock(start_ns=10 * S)
    watch = bus.subscribe(f"{MACHINE}/#")
    async with AlarmService(temperature_engine(h=80, on_delay="30s"), bus, clock):
        await bus.publish(samples(TEMP, [(10, 90)]))
        await settle()
        clock.advance(40)
        [event] = await next_events(watch)
    assert (event.kind, event.time_ns) == ("alarm.active", 40 * S)


async def test_operator_actions_through_the_service_are_published_with_the_user(
    bus: MemoryBus,
) -> None:
    clock = SimClock(start_ns=10 * S)
    watch = bus.subscribe(f"{MACHINE}/#")
    async with AlarmService(temperature_engine(), bus, clock) as service:
        await bus.publish(samples(TEMP, [(10, 90)]))
        await next_events(watch)
        clock.advance(5)
        await service.acknowledge(TEMP_H, "alice", "on it")
        [event] = await next_events(watch)
    assert (event.kind, event.actor, event.time_ns, event.payload["comment"]) == (
        "alarm.acknowledged",
        "user:alice",
        15 * S,
        "on it",
    )


async def test_a_shelving_expires_on_the_services_clock(bus: MemoryBus) -> None:
    clock = SimClock(start_ns=10 * S)
    watch = bus.subscribe(f"{MACHINE}/#")
    async with AlarmService(temperature_engine(), bus, clock) as service:
        await bus.publish(samples(TEMP, [(10, 90)]))
        await next_events(watch)
        await service.shelve(TEMP_H, "alice", 60, "")
        await next_events(watch)
        clock.advance(61)
        events = await next_events(watch)
    assert [(e.kind, e.time_ns) for e in events] == [
        ("alarm.unshelved", 70 * S),
        ("alarm.active", 70 * S),
    ]


async def test_a_stopped_service_no_longer_follows_the_bus(bus: MemoryBus) -> None:
    service = AlarmService(temperature_engine(), bus, SimClock(start_ns=10 * S))
    await service.start()
    await service.stop()
    await bus.publish(samples(TEMP, [(10, 90)]))
    await settle()
    assert service.published == 0
    assert service.engine.active() == []
