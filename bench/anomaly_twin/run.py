"""Anomaly warnings on the twin: plant weeks through twin -> bus -> live anomaly service.

Run from the project root::

    python -m bench.anomaly_twin                   # 4 weeks x seeds 1, 2, 3
    python -m bench.anomaly_twin --weeks 6 --seeds 1,2,3,4,5 --window 5d
    python -m bench.anomaly_twin --quick           # a smoke run: half a day, wear 20 x faster

For each seed the default plant's twin runs as fast as it can onto an in-process bus, where
the live anomaly service (with the plant's ``anomaly:`` settings, by default the built-in
ones) trains on the first day and then scores every row. Its *warnings* are the moments a
machine's derived anomaly tag reaches alarm level (2), which is what raises the ISA-18.2
alarm; its *notices* are the ``anomaly.start`` events (any sustained anomaly). Both are
judged against the twin's ground truth (``score.py``). The report is a markdown block for
``docs/benchmarks.md`` and, with ``--json``, a JSON file.

The defaults (severity 4, sustain 50 % of 5 minutes, training 1 day) were tuned on seeds
101-103; the reported seeds are others.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.anomaly_twin import report
from bench.anomaly_twin.score import DAY_NS, Failure, Judgement, judge
from shopfloor.bus.memory import MemoryBus
from shopfloor.model.batch import SampleBatch
from shopfloor.model.durations import parse_duration
from shopfloor.model.event import Event
from shopfloor.model.plant import Plant
from shopfloor.model.spec_anomaly import AnomalyAlarmSpec, AnomalySpec
from shopfloor.model.times import parse_time
from shopfloor.monitor.anomaly.live import AnomalyEngine, AnomalyService
from shopfloor.runtime.twin_runner import run_twin, to_bus
from shopfloor.sim import Twin, default_plant

START = "2026-01-05T00:00:00Z"
WEAR = frozenset({"wear"})


@dataclass
class SeedRun:
    """What one seed's run produced: warnings, notices and the truth to judge them by."""

    seed: int
    machines: list[str]
    start_ns: int
    end_ns: int
    failures: list[Failure]
    warnings: dict[str, list[int]] = field(default_factory=dict)
    notices: dict[str, list[int]] = field(default_factory=dict)
    events: int = 0
    samples: int = 0
    wall_s: float = 0.0


def twin_for(plant: Plant, seed: int, start_ns: int, wear_acceleration: float) -> Twin:
    """The plant's twin, with its wear accelerated when asked."""
    assert plant.sim is not None
    sim = plant.sim.model_copy(update={"wear_acceleration": wear_acceleration})
    return Twin(plant, sim, calendar=plant.calendar, seed=seed, start_ns=start_ns)


async def run_seed(
    plant: Plant, spec: AnomalySpec, seed: int, days: float, start_ns: int, wear: float
) -> SeedRun:
    """Run one seed through the bus and the live service; collect what it reported."""
    twin = twin_for(plant, seed, start_ns, wear)
    machines = [m.path for m in twin.machines]
    bus = MemoryBus()
    service = AnomalyService(AnomalyEngine(spec, machines), bus)
    watched = [f"{m}/{spec.tag}" for m in machines] + machines
    outputs = bus.subscribe(watched, capacity=10_000_000)
    run = SeedRun(seed, machines, start_ns, start_ns + round(days * DAY_NS), [])
    wall = time.perf_counter()
    await service.start()
    stats = await run_twin(twin, to_bus(bus), speed=None, duration_s=days * 86_400, chunk_s=300)
    await service.stop()
    outputs.close()
    run.wall_s = time.perf_counter() - wall
    run.samples = stats.samples
    levels: dict[str, float] = {}
    while (message := outputs.get_nowait()) is not None:
        _collect(run, message, levels, spec.tag)
    run.failures = [
        Failure(f.machine, start_ns + round(f.t * 1e9), f.kind) for f in twin.truth.failures
    ]
    return run


def _collect(
    run: SeedRun, message: SampleBatch | object, levels: dict[str, float], tag: str
) -> None:
    if isinstance(message, SampleBatch):
        for index, path in enumerate(message.paths):
            machine = path.rpartition("/")[0]
            rows = np.flatnonzero(message.tag == index)
            for t, value in zip(message.source_ns[rows], message.value[rows], strict=True):
                if value >= 2 > levels.get(machine, 0.0):
                    run.warnings.setdefault(machine, []).append(int(t))
                levels[machine] = float(value)
    elif isinstance(message, tuple):
        for event in message:
            if isinstance(event, Event) and event.family == "anomaly":
                run.events += 1
                if event.kind == "anomaly.start":
                    run.notices.setdefault(event.asset, []).append(event.time_ns)


def judge_runs(
    runs: list[SeedRun], window_ns: int, training_ns: int
) -> dict[str, dict[str, Judgement]]:
    """Pooled judgements: warnings and notices, against all failures and wear failures."""
    out: dict[str, dict[str, Judgement]] = {}
    for name in ("warnings", "notices"):
        for against, kinds in (("all", None), ("wear", WEAR)):
            pooled = Judgement()
            for run in runs:
                pooled.add(
                    judge(
                        getattr(run, name),
                        run.failures,
                        machines=run.machines,
                        start_ns=run.start_ns + training_ns,
                        end_ns=run.end_ns,
                        window_ns=window_ns,
                        kinds=kinds,
                    )
                )
            out.setdefault(name, {})[against] = pooled
    return out


def spec_of(args: argparse.Namespace, plant: Plant) -> AnomalySpec:
    """The plant's anomaly settings with the command line's overrides."""
    spec = plant.anomaly
    changes: dict[str, object] = {}
    if args.severity is not None:
        alarm = spec.defaults.alarm or AnomalyAlarmSpec()
        changes["alarm"] = alarm.model_copy(update={"severity": args.severity})
    if args.training is not None:
        changes["training"] = args.training
    if args.ewma:
        changes["detectors"] = [{"name": "pca"}, {"name": "ewma", "half_life": args.ewma}]
    if args.share is not None or args.sustain is not None:
        sustain = spec.defaults.sustain
        changes["sustain"] = {
            "window": args.sustain or sustain.window,
            "share": args.share or sustain.share,
        }
    defaults = {**spec.defaults.model_dump(), **changes}
    return AnomalySpec.model_validate({**spec.model_dump(), "defaults": defaults})


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.anomaly_twin", description=__doc__)
    p.add_argument("--weeks", type=float, default=4.0, help="simulated weeks per seed")
    p.add_argument("--seeds", default="1,2,3", help="comma-separated twin seeds")
    p.add_argument("--window", default="7d", help="how long before a failure a warning counts")
    p.add_argument("--wear-acceleration", type=float, default=1.0, help="divides wear lives")
    p.add_argument("--start", default=START, help="simulated start time")
    p.add_argument("--severity", type=float, help="override the alarm severity")
    p.add_argument("--training", type=float, help="override the training span (seconds)")
    p.add_argument("--sustain", type=float, help="override the sustain window (seconds)")
    p.add_argument("--share", type=float, help="override the sustain share")
    p.add_argument("--ewma", type=float, help="add per-signal EWMA with this half-life (rows)")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: half a simulated day of one seed, wear 20 x faster, 4 h training",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.quick:
        args.seeds, args.weeks, args.wear_acceleration = "1", 0.5 / 7, 20.0
        args.training = args.training or 4 * 3600.0
    plant = default_plant()
    spec = spec_of(args, plant)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    days = 7.0 * args.weeks
    window_ns = round(parse_duration(args.window) * 1e9)
    start_ns = parse_time(args.start, now_ns=0, what="--start")
    training_ns = round(spec.defaults.training * 1e9)
    load_before = os.getloadavg()[0]
    runs = []
    for seed in seeds:
        run = asyncio.run(run_seed(plant, spec, seed, days, start_ns, args.wear_acceleration))
        print(
            f"seed {seed}: {days:g} d in {run.wall_s:.1f} s, {len(run.failures)} failures "
            f"({sum(f.kind == 'wear' for f in run.failures)} wear), "
            f"{sum(map(len, run.warnings.values()))} warnings, {run.events} anomaly events",
            flush=True,
        )
        runs.append(run)
    judged = judge_runs(runs, window_ns, training_ns)
    command = shlex.join(["python", "-m", "bench.anomaly_twin", *(argv or sys.argv[1:])])
    load = (load_before, os.getloadavg()[0])
    print()
    print(report.markdown(judged, runs, spec, command, args, load))
    if args.json is not None:
        document = report.document(judged, runs, spec, args)
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0
