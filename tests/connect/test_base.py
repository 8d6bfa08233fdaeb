"""The connector life cycle shared by every protocol, with a scripted fake link."""

from __future__ import annotations

import asyncio
import random

import numpy as np

from shopfloor.bus import MemoryBus
from shopfloor.connect import (
    Backoff,
    Connector,
    ConnectorState,
    EventDeadLetters,
    MemoryDeadLetters,
)
from shopfloor.model.batch import SampleBatch
from shopfloor.model.clock import SimClock
from shopfloor.model.connector_spec import BackoffSpec
from shopfloor.model.quality import StatusCode


class ScriptedLink(Connector):
    """Connects, delivers one batch, then fails, as often as the script says."""

    type = "scripted"

    def __init__(self, bus: MemoryBus, clock: SimClock, failures: int, **kw: object) -> None:
        super().__init__(
            "fake",
            bus,
            clock=clock,
            rng=random.Random(1),
            backoff=BackoffSpec(initial=1, max=8, jitter=0),
            **kw,
        )  # type: ignore[arg-type]
        self.failures = failures
        self.sessions = 0
        self.hold = asyncio.Event()

    async def session(self) -> None:
        self.sessions += 1
        self.connected()
        await self.publish(SampleBatch.of("acme/dev/temp", [self.clock.now_ns()], [20.0]))
        if self.sessions <= self.failures:
            raise ConnectionResetError("link dropped")
        await self.hold.wait()


async def settle(clock: SimClock, seconds: float = 0) -> None:
    for _ in range(20):
        await asyncio.sleep(0)
    if seconds:
        clock.advance(seconds)
        for _ in range(20):
            await asyncio.sleep(0)


def test_backoff_grows_exponentially_to_its_cap_and_resets() -> None:
    backoff = Backoff(BackoffSpec(initial=0.5, max=4, multiplier=2, jitter=0))
    assert [backoff.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.reset()
    assert backoff.next() == 0.5


def test_backoff_jitter_stays_within_its_band() -> None:
    backoff = Backoff(BackoffSpec(initial=10, max=10, jitter=0.2), random.Random(3))
    delays = [backoff.next() for _ in range(200)]
    assert min(delays) >= 8.0
    assert max(delays) <= 12.0
    assert len(set(delays)) > 100


async def test_a_lost_link_is_retried_with_backoff_and_marked_bad() -> None:
    clock, bus = SimClock(start_ns=0), MemoryBus()
    sub = bus.subscribe("#")
    link = ScriptedLink(bus, clock, failures=2)
    await link.start()
    await settle(clock)
    assert link.state is ConnectorState.BACKING_OFF
    await settle(clock, 1.0)  # first delay: 1 s
    await settle(clock, 2.0)  # second delay: 2 s
    assert link.state is ConnectorState.CONNECTED
    assert link.sessions == 3
    assert link.counters.reconnects == 2
    got = []
    while (m := sub.get_nowait()) is not None:
        got.append(m)
    statuses = [int(b.status[0]) for b in got if isinstance(b, SampleBatch)]
    assert statuses == [0, StatusCode.BAD_NO_COMMUNICATION, 0, StatusCode.BAD_NO_COMMUNICATION, 0]
    assert np.isnan([b.value[0] for b in got if isinstance(b, SampleBatch)][1])
    assert link.last_error is None
    await link.stop()
    assert link.state is ConnectorState.STOPPED


async def test_stopping_marks_the_tags_not_connected() -> None:
    clock, bus = SimClock(start_ns=0), MemoryBus()
    sub = bus.subscribe("#")
    link = ScriptedLink(bus, clock, failures=0)
    await link.start()
    await settle(clock)
    await link.stop()
    batches = [sub.get_nowait(), sub.get_nowait()]
    assert [int(b.status[0]) for b in batches if isinstance(b, SampleBatch)] == [
        0,
        StatusCode.BAD_NOT_CONNECTED,
    ]


async def test_the_last_error_says_what_happened_while_backing_off() -> None:
    clock, bus = SimClock(start_ns=0), MemoryBus()
    link = ScriptedLink(bus, clock, failures=5)
    await link.start()
    await settle(clock)
    assert link.status().last_error == "ConnectionResetError: link dropped"
    assert link.status().state is ConnectorState.BACKING_OFF
    await link.stop()


async def test_rejected_messages_are_counted_and_kept_as_dead_letters_and_events() -> None:
    clock, bus = SimClock(start_ns=5), MemoryBus()
    events = bus.subscribe("connectors/#")
    letters = EventDeadLetters(bus, "connectors/fake")
    link = ScriptedLink(bus, clock, failures=0, dead_letters=letters)
    await link.reject("not protobuf", "spBv1.0/g/DDATA/n/d", b"\x00\xff")
    assert link.counters.rejects == 1
    assert [d.reason for d in letters.recent("fake")] == ["not protobuf"]
    [event] = await events.get()  # type: ignore[misc]
    assert event.kind == "connector.reject"
    assert event.payload["payload_b64"] == "AP8="
    assert event.payload["source"] == "spBv1.0/g/DDATA/n/d"


async def test_memory_dead_letters_keep_the_newest() -> None:
    store = MemoryDeadLetters(capacity=2)
    link = ScriptedLink(MemoryBus(), SimClock(), failures=0, dead_letters=store)
    for reason in ("a", "b", "c"):
        await link.reject(reason, "src", b"")
    assert [d.reason for d in store.recent()] == ["b", "c"]
    assert store.total == 3
