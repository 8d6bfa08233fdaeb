"""The contract every Bus implementation passes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from shopfloor.bus import Bus, MemoryBus, Overflow
from shopfloor.model.batch import SampleBatch, TextBatch, concat
from shopfloor.model.errors import BusClosedError
from shopfloor.model.event import Event

BUSES: dict[str, Callable[[], Bus]] = {"memory": MemoryBus}


@pytest.fixture(params=sorted(BUSES))
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    instance = BUSES[request.param]()
    yield instance
    await instance.close()


def two_tags() -> SampleBatch:
    a = SampleBatch.of("acme/s1/line1/press/temp", [1, 2], [20.0, 21.0])
    b = SampleBatch.of("acme/s1/line2/cnc/temp", [1, 2], [30.0, 31.0])
    return concat([a, b])


async def test_a_subscriber_receives_only_the_samples_its_pattern_selects(bus: Bus) -> None:
    sub = bus.subscribe("acme/s1/line1/#")
    await bus.publish(two_tags())
    got = await sub.get()
    assert isinstance(got, SampleBatch)
    assert set(got.path_of()) == {"acme/s1/line1/press/temp"}
    assert list(got.value) == [20.0, 21.0]


async def test_plus_matches_one_segment_in_a_subscription(bus: Bus) -> None:
    sub = bus.subscribe("acme/s1/+/+/temp")
    await bus.publish(two_tags())
    got = await sub.get()
    assert len(got) == 4


async def test_a_message_that_matches_nothing_is_not_delivered(bus: Bus) -> None:
    sub = bus.subscribe("other/#")
    await bus.publish(two_tags())
    assert sub.get_nowait() is None


async def test_several_patterns_select_the_union(bus: Bus) -> None:
    sub = bus.subscribe(["acme/s1/line1/#", "acme/s1/line2/cnc/temp"])
    await bus.publish(two_tags())
    got = await sub.get()
    assert len(got) == 4


async def test_events_are_selected_by_asset_path(bus: Bus) -> None:
    sub = bus.subscribe("acme/s1/line1/#")
    events = (
        Event.new(time_ns=1, asset="acme/s1/line1/press", kind="state.change"),
        Event.new(time_ns=1, asset="acme/s1/line2/cnc", kind="state.change"),
    )
    await bus.publish(events)
    got = await sub.get()
    assert isinstance(got, tuple)
    assert [e.asset for e in got] == ["acme/s1/line1/press"]


async def test_text_batches_travel_like_numeric_ones(bus: Bus) -> None:
    sub = bus.subscribe("#")
    await bus.publish(TextBatch.of("acme/s1/line1/press/recipe", [5], ["R-17"]))
    got = await sub.get()
    assert isinstance(got, TextBatch)
    assert list(got.value) == ["R-17"]


async def test_a_blocking_subscriber_holds_back_the_publisher_until_it_reads(bus: Bus) -> None:
    sub = bus.subscribe("#", capacity=4, overflow=Overflow.BLOCK)
    await bus.publish(two_tags())
    second = asyncio.create_task(bus.publish(two_tags()))
    await asyncio.sleep(0.01)
    assert not second.done()
    await sub.get()
    await asyncio.wait_for(second, 1.0)
    assert sub.stats.blocked_publishes >= 1
    assert len(await sub.get()) == 4


async def test_a_dropping_subscriber_keeps_the_newest_and_counts_the_rest(bus: Bus) -> None:
    sub = bus.subscribe("#", capacity=2, overflow=Overflow.DROP_OLDEST)
    for i in range(3):
        await bus.publish(SampleBatch.of("a/b", [i, i + 10], [float(i), float(i)]))
    kept = await sub.get()
    assert list(kept.source_ns) == [2, 12]
    assert sub.stats.dropped_messages == 2
    assert sub.stats.dropped_samples == 4


async def test_every_subscriber_gets_every_matching_message(bus: Bus) -> None:
    subs = [bus.subscribe("#") for _ in range(3)]
    await bus.publish(two_tags())
    sizes = [len(await s.get()) for s in subs]
    assert sizes == [4, 4, 4]


async def test_a_closed_subscription_drains_then_ends_iteration(bus: Bus) -> None:
    sub = bus.subscribe("#")
    await bus.publish(two_tags())
    sub.close()
    received = [len(m) async for m in sub]
    assert received == [4]


async def test_publishing_on_a_closed_bus_is_an_error(bus: Bus) -> None:
    await bus.close()
    with pytest.raises(BusClosedError):
        await bus.publish(two_tags())


async def test_a_slow_consumer_sees_all_samples_in_order_under_backpressure(bus: Bus) -> None:
    sub = bus.subscribe("#", capacity=10)

    async def produce() -> None:
        for i in range(200):
            await bus.publish(SampleBatch.of("a/b", [i], [float(i)]))
        await bus.close()

    producer = asyncio.create_task(produce())
    seen = [int(m.source_ns[0]) async for m in sub if isinstance(m, SampleBatch)]
    await producer
    assert seen == list(range(200))
