"""Fault: the broker restarts mid-stream; the host recovers by itself and the gap shows."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from shopfloor.connect.base import ConnectorState
from shopfloor.connect.deadletter import MemoryDeadLetters
from shopfloor.connect.sparkplug import SparkplugHost
from shopfloor.connect.sparkplug.mapping import state_topic
from shopfloor.model.connector_spec import BackoffSpec
from shopfloor.model.quality import StatusCode
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.faces.sparkplug import SparkplugEdgeFace

from .broker import Collector, PrivateBroker, eventually, unique

TAG = "acme/stuttgart/fabrication/line1/press1/power"
FAST = BackoffSpec(initial=0.1, max=0.5, jitter=0)


async def real_time(twin: Twin, face: SparkplugEdgeFace) -> None:
    """Advance the twin with the wall clock, so sample times and the host's clock agree."""
    while True:
        await asyncio.sleep(0.1)
        await face.publish(twin.advance_to(time.time_ns()))


async def test_a_broker_restart_shows_as_bad_samples_and_the_host_recovers_without_help(
    tmp_path: Path, collector: Collector, letters: MemoryDeadLetters
) -> None:
    broker = PrivateBroker(tmp_path)
    broker.start()
    twin = Twin.from_plant(default_plant(), seed=5, start_ns=time.time_ns())
    face = SparkplugEdgeFace(twin, broker=broker.url, host_id=unique("host"), backoff=FAST)
    await face.start()
    spec = face.connector_spec("twin").model_copy(update={"backoff": FAST})
    host = SparkplugHost(spec, collector.bus, dead_letters=letters)
    driver = asyncio.create_task(real_time(twin, face))
    try:
        await host.start()
        await eventually(lambda: len(collector.of(TAG)) >= 2, what="data before the fault")
        broker.stop()
        await eventually(lambda: host.state is not ConnectorState.CONNECTED, what="the loss")
        await asyncio.sleep(1.0)  # the outage: the edge node cannot send
        broker.start()
        await host.wait_for(ConnectorState.CONNECTED, 10)
        await face.wait_connected(10)
        lost = len(collector.of(TAG))
        await eventually(lambda: len(collector.of(TAG)) >= lost + 2, 10, "data after recovery")
    finally:
        driver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await driver
        await host.stop()
        await face.stop()
        broker.stop()
    timeline = sorted(collector.of(TAG))
    statuses = [s for _, _, s in timeline]
    gap = statuses.index(StatusCode.BAD_NO_COMMUNICATION)
    assert 0 < gap < len(statuses) - 1
    assert set(statuses[:gap]) == {0}
    assert 0 in statuses[gap + 1 :]
    assert host.counters.reconnects >= 1
    assert face.dropped > 0
    assert state_topic(spec.host_id).endswith(spec.host_id)
