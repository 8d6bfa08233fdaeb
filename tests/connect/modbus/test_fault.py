"""Fault: the Modbus device gone for 30 s, in real time.

The connector has to recover without help, and the gap has to show as bad quality in the
data, not as silence. This test takes about 35 s of wall-clock time on purpose.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np

from shopfloor.bus import MemoryBus, MemorySubscription
from shopfloor.connect import ConnectorState
from shopfloor.connect.modbus.poller import ModbusPoller
from shopfloor.connect.modbus.registers import compile_map
from shopfloor.model.batch import SampleBatch
from shopfloor.model.connector_spec import BackoffSpec
from shopfloor.model.quality import Quality, StatusCode, qualities
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.faces.modbus import ModbusServerFace

from .servers import next_batch

GAP_S = 30.0
START_NS = 1_767_225_600 * 10**9


def all_good(paths: set[str]) -> Callable[[SampleBatch], bool]:
    def check(batch: SampleBatch) -> bool:
        good = {
            batch.paths[t]
            for t, q in zip(batch.tag, qualities(batch.status), strict=True)
            if q == Quality.GOOD
        }
        return paths <= good

    return check


async def collect(sub: MemorySubscription, into: list[SampleBatch]) -> None:
    async for message in sub:
        if isinstance(message, SampleBatch):
            into.append(message)


def last_quality_and_bad_paths(
    batches: list[SampleBatch], since_ns: int
) -> tuple[dict[str, Quality], set[str]]:
    """Each path's last quality after ``since_ns``, and the paths with a bad sample."""
    last: dict[str, tuple[int, Quality]] = {}
    bad: set[str] = set()
    for batch in batches:
        for tag, t, q in zip(batch.tag, batch.receive_ns, qualities(batch.status), strict=True):
            path = batch.paths[tag]
            if t < since_ns:
                continue
            if q == Quality.BAD:
                bad.add(path)
            if t >= last.get(path, (-1, Quality.GOOD))[0]:
                last[path] = (int(t), Quality(int(q)))
    return {path: q for path, (_, q) in last.items()}, bad


async def test_the_device_gone_for_30_s_shows_as_bad_quality_and_recovers_without_help() -> None:
    twin = Twin.from_plant(default_plant(), seed=5, start_ns=START_NS)
    face = ModbusServerFace(twin, poll_interval=0.2)
    await face.start()
    await face.publish(twin.advance(600))
    spec = face.connector_spec("twin-modbus").model_copy(
        update={"timeout": 1.0, "backoff": BackoffSpec(initial=0.5, max=4.0)}
    )
    paths = set(compile_map(spec).paths)
    bus = MemoryBus()
    batches: list[SampleBatch] = []
    collector = asyncio.create_task(collect(bus.subscribe("#"), batches))
    waiter = bus.subscribe("#")
    poller = ModbusPoller(spec, bus)
    await poller.start()
    try:
        await next_batch(waiter, all_good(paths))

        gone_ns = time.time_ns()
        await face.stop()
        await asyncio.sleep(GAP_S)
        state_in_gap = poller.state
        last, bad = last_quality_and_bad_paths(batches, gone_ns)

        await face.publish(twin.advance(600))
        await face.start()
        back_ns = time.time_ns()
        recovered = await next_batch(waiter, all_good(paths), timeout=15)
    finally:
        await poller.stop()
        await face.stop()
        await bus.close()
        await collector

    assert bad == paths, "every tag shows the gap as bad"
    gap_codes = {
        int(status)
        for b in batches
        for status, t in zip(b.status, b.receive_ns, strict=True)
        if gone_ns <= t < back_ns and status
    }
    assert StatusCode.BAD_NO_COMMUNICATION in gap_codes
    assert set(last.values()) == {Quality.BAD}, "and stays bad until the device is back"
    assert state_in_gap in (ConnectorState.BACKING_OFF, ConnectorState.CONNECTING)
    assert poller.counters.reconnects >= 1
    assert int(np.min(recovered.receive_ns)) >= back_ns
    assert recovered.receive_ns.min() - back_ns < 10 * 10**9, "back within the longest backoff"
