"""Alarm benchmark: samples per second through the alarm engine for a day of the default twin.

Run from the project root::

    python -m bench.alarms                  # one simulated day in 10-minute batches
    python -m bench.alarms --chunk 86400    # the whole day as one batch
    python -m bench.alarms --hours 1        # a smoke run

The twin of the default plant (nine machines) produces the samples; only the engine's
``process`` calls are timed, not the twin. The alarms are :data:`ALARMS`: vibration and
temperature limits with deadbands and delays on every machine, the oven's own band, motor
current and a fault alarm on each machine's state, so every machine has six or more alarms
and planned stops (breaks) suppress them. The report is a markdown block.
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from shopfloor.model.clock import NS_PER_S
from shopfloor.model.event import Event
from shopfloor.model.spec_alarms import AlarmsSpec
from shopfloor.monitor.alarms import AlarmEngine, flood_figures
from shopfloor.sim import Twin, default_plant

# 2026-11-26 09:00 in Berlin: a working day with three shifts and three breaks.
START_NS = 1_795_680_000 * NS_PER_S
LINE = "acme/stuttgart/fabrication/line1"

ALARMS: dict[str, Any] = {
    "limits": [
        {
            "tags": f"{LINE}/+/vibration_rms",
            "h": 4.5,  # ISO 10816 zones for medium machines
            "hh": {"value": 7.1, "priority": "urgent"},
            "deadband": 0.3,
            "on_delay": "10s",
        },
        {
            "tags": f"{LINE}/+/temperature",
            "h": 60,
            "hh": 75,
            "deadband": 1,
            "on_delay": "30s",
            "off_delay": "1m",
        },
        {
            "tags": f"{LINE}/oven1/temperature",
            "hh": 215,
            "h": 200,
            "l": 165,
            "ll": 150,
            "deadband": 2,
            "on_delay": "1m",
        },
        {"tags": f"{LINE}/+/motor_current", "h": 80, "hh": 100, "deadband": 2, "on_delay": "5s"},
    ],
    "discrete": [
        {"name": "fault", "tags": f"{LINE}/+/state", "equals": "unplanned_stop", "priority": 2}
    ],
}


@dataclass(frozen=True)
class Result:
    """What one run measured."""

    hours: float
    chunk_s: float
    alarms: int
    samples: int
    alarmed_samples: int
    events: list[Event]
    engine_s: float

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.engine_s

    @property
    def alarmed_per_s(self) -> float:
        return self.alarmed_samples / self.engine_s


def measure(hours: float, chunk_s: float, seed: int) -> Result:
    """Advance the default twin ``hours`` in ``chunk_s`` steps, timing only the engine."""
    twin = Twin.from_plant(default_plant(), seed=seed, start_ns=START_NS)
    paths = [t.path for t in twin.tree.tags()]
    engine = AlarmEngine(AlarmsSpec.model_validate(ALARMS), paths)
    alarmed = {d.tag for d in engine.definitions()}
    steps = max(1, round(hours * 3600 / chunk_s))
    samples = alarmed_samples = 0
    engine_s = 0.0
    events: list[Event] = []
    for _ in range(steps):
        batch = twin.advance(chunk_s).samples
        hit = np.fromiter((p in alarmed for p in batch.paths), bool, len(batch.paths))
        samples += len(batch)
        alarmed_samples += int(np.count_nonzero(hit[batch.tag])) if len(batch) else 0
        began = time.perf_counter()
        events += engine.process(batch, twin.now_ns)
        engine_s += time.perf_counter() - began
    return Result(
        hours, chunk_s, len(engine.definitions()), samples, alarmed_samples, events, engine_s
    )


def report(result: Result, command: str) -> str:
    """The figures as a markdown block."""
    kinds: dict[str, int] = {}
    for event in result.events:
        kinds[event.kind] = kinds.get(event.kind, 0) + 1
    flood = flood_figures(result.events)
    lines = [
        f"`{command}` on {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}",
        "",
        f"- simulated: {result.hours:g} h of the default twin in {result.chunk_s:g} s batches",
        f"- alarms: {result.alarms}",
        f"- samples: {result.samples:,} ({result.alarmed_samples:,} on tags with alarms)",
        f"- engine time: {result.engine_s:.3f} s",
        f"- throughput: {result.samples_per_s:,.0f} samples/s "
        f"({result.alarmed_per_s:,.0f} samples/s on tags with alarms)",
        f"- events: {len(result.events)} "
        + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
        f"- alarms per hour: {flood.per_hour:.1f}, peak per 10 minutes: {flood.peak}",
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.alarms", description=__doc__)
    p.add_argument("--hours", type=float, default=24.0, help="simulated hours")
    p.add_argument("--chunk", type=float, default=600.0, help="simulated seconds per batch")
    p.add_argument("--seed", type=int, default=1)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.hours <= 0 or args.chunk <= 0:
        print("--hours and --chunk must be positive", file=sys.stderr)
        return 2
    result = measure(args.hours, args.chunk, args.seed)
    command = shlex.join(["python", "-m", "bench.alarms", *(argv or sys.argv[1:])])
    print(report(result, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
