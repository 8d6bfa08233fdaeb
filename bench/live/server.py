"""The benchmark's server process: the default plant at real time, the API, and a probe.

Run as ``python -m bench.live.server --state-dir DIR`` (the benchmark starts it). It is what
``shopfloor demo`` serves, composed the same way: the default plant's twin at speed 1 from
now (no catch-up) on the in-process bus, the DuckDB historian recording everything, the live
monitor, alarms, and the web stack with the dashboard and ``/api/live``.

One tag is the probe: the twin's own samples of ``PROBE`` are left out, and in their place
the probe publishes one sample every ``1 / --probe-hz`` seconds whose value is its sequence
number and whose source and receive stamps are the wall clock (``time.time_ns()``) at the
moment it enters the bus. A client that sees the sample knows when it entered the bus; the
probe goes through the same bus, hub and queues as the twin's messages, behind them. The
stamps are written to ``DIR/probe.jsonl`` on exit, for a client (the browser) that sees only
the value.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import signal
import sys
import time
from contextlib import suppress
from pathlib import Path

from shopfloor.bus.memory import MemoryBus
from shopfloor.cli.oee import line_of
from shopfloor.historian import AsyncHistorian, open_historian
from shopfloor.model.batch import SampleBatch
from shopfloor.monitor.live import LiveMonitor
from shopfloor.runtime.recorder import Recorder
from shopfloor.runtime.server import WebOptions, WebStack
from shopfloor.runtime.twin_runner import TwinClock, run_twin
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.twin import TwinOutput, ideal_cycle_times

LINE = "acme/stuttgart/fabrication/line1"
PROBE = f"{LINE}/press1/temperature"
DISPLAY = ("temperature", "vibration_rms", "power")


def without_probe(out: TwinOutput) -> SampleBatch:
    """The twin's samples less its own samples of the probe tag."""
    samples = out.samples
    if PROBE not in samples.paths:
        return samples
    keep = samples.tag != samples.paths.index(PROBE)
    return samples if keep.all() else samples.take(keep)


class Probe:
    """Publishes numbered samples of ``PROBE`` stamped with the wall clock as they enter."""

    def __init__(self, bus: MemoryBus, hz: float) -> None:
        self.bus = bus
        self.period_s = 1.0 / hz
        self.stamps: list[tuple[int, int]] = []

    async def run(self, stop: asyncio.Event) -> None:
        seq = 0
        next_at = time.monotonic()
        while not stop.is_set():
            seq += 1
            now_ns = time.time_ns()
            batch = SampleBatch.of(PROBE, [now_ns], [float(seq)], receive_ns=[now_ns])
            self.stamps.append((seq, now_ns))
            await self.bus.publish(batch)
            next_at += self.period_s
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.monotonic()))

    def save(self, path: Path) -> None:
        lines = (json.dumps({"seq": seq, "ns": ns}) for seq, ns in self.stamps)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def serve(state_dir: Path, port: int, probe_hz: float, seed: int) -> None:
    """Run the plant, the API and the probe until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    plant = default_plant()
    # Simulated time starts at the wall clock's now, so at speed 1 a sample's stamp is the
    # wall time its tick ended (the runner advances to the present every tick).
    twin = Twin.from_plant(plant, seed=seed, start_ns=time.time_ns())
    bus = MemoryBus()
    historian = AsyncHistorian(open_historian(str(state_dir / "h.duckdb"), mode="shared"))
    recorder = Recorder(bus, historian)
    monitor = LiveMonitor(bus, [m.path for m in twin.machines], display=DISPLAY)
    web = WebStack(
        plant,
        twin.tree,
        bus=bus,
        historian=historian,
        monitor=monitor,
        ideal_cycle_s=ideal_cycle_times(plant),
        line_of=line_of(plant),
        options=WebOptions("127.0.0.1", port, str(state_dir)),
        alarm_clock=TwinClock(twin, 1.0),
    )
    probe = Probe(bus, probe_hz)

    async def emit(out: TwinOutput) -> None:
        for message in (without_probe(out), out.texts):
            if len(message):
                await bus.publish(message)
        if out.events:
            await bus.publish(out.events)

    recording = asyncio.create_task(recorder.run())
    await web.start()
    # Starting the web stack took a while (the admin's password hash): bring the twin to the
    # present, so that at speed 1 its samples are stamped with the time they are made.
    await emit(twin.advance_to(time.time_ns()))
    print(f"dashboard and API: {web.url}", file=sys.stderr, flush=True)
    try:
        await asyncio.gather(
            run_twin(twin, emit, speed=1.0, stop=stop, tick_s=0.25), probe.run(stop)
        )
    finally:
        await web.stop()
        recorder.close()
        await recording
        await historian.close()
        probe.save(state_dir / "probe.jsonl")
        # Keep the monitor referenced until the end: it subscribes to the bus.
        monitor.drain()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live.server", description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--probe-hz", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="write cProfile statistics here on exit")
    args = parser.parse_args(argv)
    if args.profile is None:
        asyncio.run(serve(args.state_dir, args.port, args.probe_hz, args.seed))
        return 0
    profiler = cProfile.Profile()
    profiler.runcall(asyncio.run, serve(args.state_dir, args.port, args.probe_hz, args.seed))
    profiler.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
