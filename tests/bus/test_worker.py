"""BusWorker: the life cycle the live analytics share."""

from __future__ import annotations

from shopfloor.bus import MemoryBus, Message
from shopfloor.bus.worker import BusWorker
from shopfloor.model.batch import SampleBatch
from shopfloor.model.event import Event

PATH = "acme/s1/line1/press/temp"


class Counter(BusWorker[Event]):
    """Publishes one event per sample batch, saying how many samples it held."""

    name = "counter"

    def __init__(self, bus: MemoryBus) -> None:
        super().__init__(bus)
        self.calls: list[str] = []

    def _restore(self) -> None:
        self.calls.append("restore")

    def _save(self) -> None:
        self.calls.append("save")

    def _take(self, message: Message) -> Event | None:
        if not isinstance(message, SampleBatch):
            return None  # its own events come back too and are ignored
        self.calls.append("take")
        return Event.new(time_ns=0, asset="acme", kind="count", payload={"n": len(message)})

    async def _send(self, item: Event) -> None:
        await self.bus.publish((item,))

    def _size(self, item: Event) -> int:
        return 1


async def test_every_batch_is_taken_and_published_before_stop_returns() -> None:
    bus = MemoryBus()
    seen = bus.subscribe("#")
    worker = Counter(bus)

    async with worker:
        await bus.publish(SampleBatch.of(PATH, [1, 2, 3], [1.0, 2.0, 3.0]))
        await bus.publish(SampleBatch.of(PATH, [4], [4.0]))

    assert worker.published == 2
    assert worker.calls == ["restore", "take", "take", "save"]
    received = []
    while (message := seen.get_nowait()) is not None:
        received.append(message)
    counts = [e.payload["n"] for m in received if isinstance(m, tuple) for e in m]
    assert counts == [3, 1]


async def test_events_the_closed_bus_refuses_are_counted_as_lost() -> None:
    bus = MemoryBus()
    worker = Counter(bus)
    await worker.start()
    await bus.publish(SampleBatch.of(PATH, [1], [1.0]))
    await bus.close()

    await worker.stop()

    assert worker.published + worker.lost == 1
    assert worker.calls[-1] == "save"
