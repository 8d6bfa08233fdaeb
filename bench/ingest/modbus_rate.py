"""Modbus ingest rate: samples per second the poller delivers into a MemoryBus.

Run from the project root::

    python -m bench.ingest.modbus_rate               # 10 s per map
    python -m bench.ingest.modbus_rate --seconds 30
    python -m bench.ingest.modbus_rate --quick       # 1 s per map: a smoke run

A pymodbus server with ``--registers`` holding registers (default 1,000) runs in its own
process, as a device would; the poller in this process polls it as fast as it can (a poll
interval of 1 microsecond) and a subscriber drains the bus. Two maps cover the same
registers: every register as a uint16 tag, and every pair as a float32 tag (half the
samples, the same requests). The report is a markdown block for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from typing import Any

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from bench.machine import measured_on
from shopfloor.bus import MemoryBus, MemorySubscription
from shopfloor.connect.modbus.poller import ModbusPoller
from shopfloor.model.spec_modbus import ModbusConnectorSpec, RegisterType


@dataclass(frozen=True)
class Result:
    """One measured map."""

    map_name: str
    tags: int
    registers: int
    requests_per_poll: int
    seconds: float
    polls: int
    samples: int

    @property
    def samples_per_s(self) -> float:
        """Samples that reached the subscriber, per second."""
        return self.samples / self.seconds

    @property
    def polls_per_s(self) -> float:
        """Complete polls (every request once) per second."""
        return self.polls / self.seconds


def serve(registers: int, ports: Queue[int]) -> None:
    """The device: a server with ``registers`` holding registers, until terminated."""

    async def run() -> None:
        values = [i % 65536 for i in range(registers)]
        device = SimDevice(id=1, simdata=[SimData(0, values=values, datatype=DataType.REGISTERS)])
        server = ModbusTcpServer(device, address=("127.0.0.1", 0))
        await server.serve_forever(background=True)
        listener: Any = server.transport
        ports.put(int(listener.sockets[0].getsockname()[1]))
        await asyncio.Event().wait()

    asyncio.run(run())


def spec(port: int, registers: int, value_type: RegisterType) -> ModbusConnectorSpec:
    """A map of every register (uint16) or every pair (float32), polled flat out."""
    width = 2 if value_type == "float32" else 1
    entries = [
        {"tag": f"r{address}", "address": address, "type": value_type}
        for address in range(0, registers - width + 1, width)
    ]
    return ModbusConnectorSpec.model_validate(
        {
            "name": "bench",
            "type": "modbus",
            "host": "127.0.0.1",
            "port": port,
            "asset": "bench/device",
            "poll_interval": 1e-6,
            "registers": entries,
        }
    )


async def _drain(sub: MemorySubscription, counted: list[int]) -> None:
    async for message in sub:
        counted[0] += len(message)


async def measure(port: int, registers: int, value_type: RegisterType, seconds: float) -> Result:
    """Poll for ``seconds`` and count what reached the subscriber."""
    bus = MemoryBus()
    counted = [0]
    drain = asyncio.create_task(_drain(bus.subscribe("#"), counted))
    poller = ModbusPoller(spec(port, registers, value_type), bus)
    await poller.start()
    await asyncio.sleep(0.5)  # connected and warm
    samples, polls, began = counted[0], poller.polls, time.perf_counter()
    await asyncio.sleep(seconds)
    samples, polls = counted[0] - samples, poller.polls - polls
    elapsed = time.perf_counter() - began
    await poller.stop()
    await bus.close()
    await drain
    return Result(
        f"{len(poller.map.points):,} x {value_type}",
        len(poller.map.points),
        registers,
        len(poller.requests),
        elapsed,
        polls,
        samples,
    )


def report(results: list[Result], command: str) -> str:
    """A markdown block with the machine and one row per map."""
    lines = [
        "### Modbus ingest rate",
        "",
        measured_on(command, ("pymodbus", "numpy")) + " Server in its own process on"
        " localhost; the poller polls as fast as it can.",
        "",
        "| map | registers | requests per poll | polls/s | samples/s |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.map_name} | {r.registers:,} | {r.requests_per_poll} | {r.polls_per_s:,.0f}"
        f" | {r.samples_per_s:,.0f} |"
        for r in results
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ingest.modbus_rate", description=__doc__)
    p.add_argument("--registers", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=10.0, help="measured time per map")
    p.add_argument("--quick", action="store_true", help="1 s per map: a smoke run")
    args = p.parse_args(argv)
    seconds = 1.0 if args.quick else args.seconds
    context = multiprocessing.get_context("spawn")
    ports: Queue[int] = context.Queue()
    device = context.Process(target=serve, args=(args.registers, ports), daemon=True)
    device.start()
    try:
        port = ports.get(timeout=30)
        results = [
            asyncio.run(measure(port, args.registers, value_type, seconds))
            for value_type in ("uint16", "float32")
        ]
    finally:
        device.terminate()
        device.join()
    command = "python -m bench.ingest.modbus_rate" + (" --quick" if args.quick else "")
    print(report(results, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
