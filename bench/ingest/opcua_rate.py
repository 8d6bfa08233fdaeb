"""OPC UA ingest rate: samples per second the connector delivers into a MemoryBus.

Run from the project root::

    python -m bench.ingest.opcua_rate                # 10 s per security setting
    python -m bench.ingest.opcua_rate --seconds 30
    python -m bench.ingest.opcua_rate --quick        # 2 s each: a smoke run

An OPC UA server (the twin's :class:`~shopfloor.sim.faces.opcua.AssetServer`) with
``--variables`` Double variables (default 1,000) runs in its own process, as a device would,
and rewrites every variable with a new value and source timestamp as fast as it can. The
connector in this process subscribes to all of them (by browsing), with a 100 ms publishing
interval and a queue of 100 values per variable on the server, and a subscriber drains the
bus. Twice: without security and with Basic256Sha256 SignAndEncrypt. The report is a
markdown block for ``docs/benchmarks.md``; "server writes/s" says how many values the server
produced, so the two columns together show whether the client kept up.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

import numpy as np

from bench.machine import measured_on
from shopfloor.bus import MemoryBus, MemorySubscription
from shopfloor.connect.base import ConnectorState
from shopfloor.connect.opcua.client import OpcUaConnector
from shopfloor.model.assets import Asset, AssetLevel, AssetTree, Tag
from shopfloor.model.batch import SampleBatch
from shopfloor.model.spec_opcua import OpcUaConnectorSpec, OpcUaSecuritySpec
from shopfloor.sim.faces.opcua import AssetServer

TAGS_PER_MACHINE = 100
LINE = "bench/site/area/line"


@dataclass(frozen=True)
class Received:
    """What reached the bus while measuring, and the client process's CPU time for it."""

    samples: int
    batches: int
    seconds: float
    cpu_seconds: float


@dataclass(frozen=True)
class Result:
    """One measured security setting."""

    security: str
    variables: int
    server_writes: int
    received: Received

    @property
    def samples_per_s(self) -> float:
        return self.received.samples / self.received.seconds

    @property
    def server_writes_per_s(self) -> float:
        return self.server_writes / self.received.seconds

    @property
    def samples_per_batch(self) -> float:
        r = self.received
        return r.samples / r.batches if r.batches else 0.0

    @property
    def client_us_per_sample(self) -> float:
        """CPU time of the client process per delivered sample (asyncua decoding included)."""
        r = self.received
        return 1e6 * r.cpu_seconds / r.samples if r.samples else 0.0


def tree(variables: int) -> AssetTree:
    """A line of machines with ``TAGS_PER_MACHINE`` float tags each."""
    machines = tuple(
        Asset(
            f"m{m}",
            AssetLevel.MACHINE,
            tags=tuple(
                Tag(f"t{t:03d}")
                for t in range(min(TAGS_PER_MACHINE, variables - m * TAGS_PER_MACHINE))
            ),
        )
        for m in range(-(-variables // TAGS_PER_MACHINE))
    )
    line = Asset("line", AssetLevel.LINE, children=machines)
    area = Asset("area", AssetLevel.AREA, children=(line,))
    site = Asset("site", AssetLevel.SITE, children=(area,))
    return AssetTree(Asset("bench", AssetLevel.ENTERPRISE, children=(site,)))


def serve(variables: int, secure: bool, out: Queue[Any], measuring: Event, stop: Event) -> None:
    """The device: rewrite every variable flat out; report writes made while measuring."""

    async def run() -> None:
        server = AssetServer(tree(variables), allow_unsecured=True)
        await server.start()
        spec = server.connector_spec("bench", LINE)
        if not secure:
            spec = spec.model_copy(
                update={"security": OpcUaSecuritySpec(policy="None", mode="None")}
            )
        out.put(spec.model_dump(mode="json"))
        paths = tuple(t.path for t in server.tree.tags())
        counted = 0
        k = 0
        while not stop.is_set():
            k += 1
            now = time.time_ns()
            batch = SampleBatch(
                paths=paths,
                tag=np.arange(len(paths), dtype=np.int32),
                source_ns=np.full(len(paths), now, np.int64),
                receive_ns=np.full(len(paths), now, np.int64),
                status=np.zeros(len(paths), np.uint32),
                value=np.full(len(paths), float(k)),
            )
            written = await server.write(batch)
            if measuring.is_set():
                counted += written
            await asyncio.sleep(0)  # let the server answer publish requests
        out.put(counted)
        await server.stop()

    asyncio.run(run())


async def _drain(sub: MemorySubscription, counted: list[int]) -> None:
    async for message in sub:
        counted[0] += len(message)
        counted[1] += 1


async def measure(spec: OpcUaConnectorSpec, seconds: float, measuring: Event) -> Received:
    """Receive for ``seconds`` after a warm-up; samples and batches that reached the bus."""
    bus = MemoryBus()
    counted = [0, 0]
    drain = asyncio.create_task(_drain(bus.subscribe("#"), counted))
    connector = OpcUaConnector(spec, bus)
    await connector.start()
    await connector.wait_for(ConnectorState.CONNECTED, 60)
    await asyncio.sleep(1.0)  # initial values in, steady state
    samples, batches = counted[0], counted[1]
    began, cpu = time.perf_counter(), time.process_time()
    measuring.set()
    await asyncio.sleep(seconds)
    measuring.clear()
    received = Received(
        counted[0] - samples,
        counted[1] - batches,
        time.perf_counter() - began,
        time.process_time() - cpu,
    )
    await connector.stop()
    await bus.close()
    await drain
    return received


def run_one(variables: int, secure: bool, seconds: float) -> Result:
    """One server process, one measurement."""
    context = multiprocessing.get_context("spawn")
    out: Queue[Any] = context.Queue()
    measuring, stop = context.Event(), context.Event()
    device = context.Process(target=serve, args=(variables, secure, out, measuring, stop))
    device.start()
    try:
        spec = OpcUaConnectorSpec.model_validate(out.get(timeout=120))
        spec = spec.model_copy(
            update={"publishing_interval_ms": 100, "sampling_interval_ms": 0, "queue_size": 100}
        )
        received = asyncio.run(measure(spec, seconds, measuring))
        stop.set()
        writes = int(out.get(timeout=60))
    finally:
        device.join(timeout=30)
        if device.is_alive():
            device.terminate()
            device.join()
    name = "Basic256Sha256 SignAndEncrypt" if secure else "None"
    return Result(name, variables, writes, received)


def report(results: list[Result], command: str) -> str:
    """A markdown block with the machine and one row per security setting."""
    lines = [
        "### OPC UA ingest rate",
        "",
        measured_on(command, ("asyncua", "numpy")) + " Server in its own process on"
        " localhost, rewriting every variable as fast as it can; one subscription, 100 ms"
        " publishing interval.",
        "",
        "| security | variables | server writes/s | samples/s delivered | samples per batch"
        " | client CPU per sample | client ceiling (1 core) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.security} | {r.variables:,} | {r.server_writes_per_s:,.0f}"
        f" | {r.samples_per_s:,.0f} | {r.samples_per_batch:,.0f}"
        f" | {r.client_us_per_sample:.1f} µs | {1e6 / max(r.client_us_per_sample, 1e-9):,.0f}/s |"
        for r in results
    ]
    lines += [
        "",
        "The server, not the client, sets the pace here: the client delivers what the server"
        " writes. The ceiling is one core divided by the client's CPU time per sample.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ingest.opcua_rate", description=__doc__)
    p.add_argument("--variables", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=10.0, help="measured time per setting")
    p.add_argument("--quick", action="store_true", help="2 s per setting: a smoke run")
    args = p.parse_args(argv)
    seconds = 2.0 if args.quick else args.seconds
    results = [run_one(args.variables, secure, seconds) for secure in (False, True)]
    command = "python -m bench.ingest.opcua_rate" + (" --quick" if args.quick else "")
    print(report(results, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
