"""One measurement: publisher and counter processes beside the pipeline under test.

The pipeline runs in this process: :class:`~shopfloor.connect.sparkplug.SparkplugHost` ->
:class:`~shopfloor.bus.MemoryBus` -> :class:`~shopfloor.runtime.recorder.Recorder` ->
:class:`~shopfloor.historian.DuckDBHistorian` (exclusive mode). The counter subscribes to
the same DDATA in its own process and only counts. The publisher floods for the set time;
afterwards the host drains what the broker still holds for it, the recorder writes the
rest, and the historian is asked how many samples it holds: that count, over the time from
the first data the host received to the last write, is the pipeline's rate.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.ingest.publisher import BASE_MS
from shopfloor.bus import MemoryBus
from shopfloor.connect.base import ConnectorState
from shopfloor.connect.deadletter import MemoryDeadLetters
from shopfloor.connect.sparkplug import SparkplugHost
from shopfloor.historian.aio import AsyncHistorian
from shopfloor.historian.base import Aggregate
from shopfloor.historian.duckdb import DuckDBHistorian
from shopfloor.model.spec_mqtt import SparkplugConnectorSpec
from shopfloor.runtime.recorder import Recorder


@dataclass(frozen=True)
class Config:
    """One workload: metrics per DDATA message, devices, seconds of flooding."""

    metrics: int
    devices: int
    seconds: float


@dataclass(frozen=True)
class Result:
    """What one run measured."""

    config: Config
    sent: int
    publish_s: float
    counted: int
    count_s: float
    stored: int
    store_s: float
    host_messages: int
    seq_gaps: int
    rebirths: int

    @property
    def published_metrics_per_s(self) -> float:
        return self.sent * self.config.metrics / self.publish_s

    @property
    def ceiling_metrics_per_s(self) -> float:
        return self.counted * self.config.metrics / self.count_s

    @property
    def stored_metrics_per_s(self) -> float:
        return self.stored / self.store_s

    @property
    def ratio(self) -> float:
        return self.stored_metrics_per_s / self.ceiling_metrics_per_s


class _Progress:
    """When the host last handed samples on, polled every few milliseconds."""

    def __init__(self, host: SparkplugHost) -> None:
        self.host = host
        self.baseline = host.counters.samples
        self.first = 0.0
        self.last = 0.0
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        seen = self.baseline
        while True:
            await asyncio.sleep(0.005)
            now, samples = time.time(), self.host.counters.samples
            if samples > seen:
                self.first = self.first or now
                self.last, seen = now, samples

    async def idle(self, seconds: float) -> None:
        """Wait until the host has handed nothing on for ``seconds``."""
        while not self.last or time.time() - self.last < seconds:
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        self._task.cancel()


async def _child(module: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, stdout=asyncio.subprocess.PIPE
    )


async def _result(process: asyncio.subprocess.Process) -> dict[str, Any]:
    out, _ = await process.communicate()
    data: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return data


def _spec(broker: str, group: str) -> SparkplugConnectorSpec:
    return SparkplugConnectorSpec.model_validate(
        {
            "name": "bench",
            "type": "sparkplug",
            "broker": broker,
            "host_id": f"bench-{group}",
            "groups": [group],
            "mapping": {"prefix": "bench"},
        }
    )


async def measure(config: Config, broker: str, directory: Path) -> Result:
    """Run publisher, counter and pipeline once; return what each achieved."""
    group = f"bench{uuid.uuid4().hex[:8]}"
    historian = AsyncHistorian(DuckDBHistorian(directory / f"{group}.duckdb", mode="exclusive"))
    bus = MemoryBus()
    recorder = Recorder(bus, historian)
    recording = asyncio.create_task(recorder.run())
    host = SparkplugHost(_spec(broker, group), bus, dead_letters=MemoryDeadLetters())
    await host.start()
    await host.wait_for(ConnectorState.CONNECTED, 10)
    counter = await _child(
        "bench.ingest.counter", "--broker", broker, "--topic", f"spBv1.0/{group}/DDATA/#"
    )
    assert counter.stdout is not None
    await counter.stdout.readline()  # "ready"
    progress = _Progress(host)
    publisher = await _child(
        "bench.ingest.publisher",
        *("--broker", broker, "--group", group),
        *("--metrics", str(config.metrics), "--devices", str(config.devices)),
        *("--seconds", str(config.seconds)),
    )
    published, counted = await _result(publisher), await _result(counter)
    await progress.idle(0.5)
    progress.stop()
    drained = time.time()
    await host.stop()
    recorder.close()
    await recording
    written = time.time()
    stored = await _stored(historian, config)
    await historian.close()
    return Result(
        config=config,
        sent=int(published["sent"]),
        publish_s=published["end"] - published["start"],
        counted=int(counted["count"]),
        count_s=max(counted["last"] - counted["first"], 1e-9),
        stored=stored,
        # From the flood's start to the host's last sample, plus writing what was left.
        store_s=(progress.last - published["start"]) + (written - drained),
        host_messages=host.counters.messages,
        seq_gaps=host.stats.seq_gaps,
        rebirths=host.stats.rebirth_requests,
    )


async def _stored(historian: AsyncHistorian, config: Config) -> int:
    """Samples of the DDATA in the historian (the births' values lie before ``BASE_MS``)."""
    start = BASE_MS * 1_000_000
    end = start + 10**9 * 10**6
    counts = await historian.downsample("bench/#", start, end, end - start, [Aggregate.COUNT])
    return int(counts.columns[Aggregate.COUNT].sum())
