"""Health and RUL on the twin: learnt on some seeds' lives, judged live on others.

Run from the project root::

    python -m bench.rul_twin                     # judge the built-in models on seeds 1, 2, 3
    python -m bench.rul_twin train --out DIR     # learn models from seeds 11-16 (the built-in)
    python -m bench.rul_twin --models DIR --seeds 4,5 --weeks 6
    python -m bench.rul_twin --quick             # a smoke run: one simulated day

Judging runs each seed's twin onto an in-process bus with the live health service on it
(the plant's ``maintenance:`` settings, by default the built-in models, which were learnt on
seeds 11-16: never on a judged seed). Against the twin's true failure times it reports:

- the RUL error (MAE, RMSE, bias) and interval coverage over the ``health`` estimates in the
  last 48 simulated hours before each wear failure, in the life that failure ends;
- ``maintenance.warning`` events: the share of wear failures with a warning earlier in their
  life and the lead time from the first, and the warnings not followed by a wear failure of
  their machine within the horizon (a warning whose horizon reaches past the end of the run
  is *open*). The same figures for the other ``warn_on`` rule are derived from the stored
  estimates, as that rule would have warned.
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
from typing import Any

import numpy as np

from bench.anomaly_twin.run import START, twin_for
from bench.anomaly_twin.score import DAY_NS, Failure, Judgement, judge
from bench.rul_twin import lives as lifelib
from bench.rul_twin import report
from shopfloor.bus.memory import MemoryBus
from shopfloor.maintenance.health import load_health
from shopfloor.maintenance.live import (
    BUILTIN_HEALTH,
    BUILTIN_RUL,
    HEALTH,
    WARNING,
    HealthEngine,
    HealthService,
    load_models,
)
from shopfloor.maintenance.rul import load_model
from shopfloor.model.durations import parse_duration
from shopfloor.model.event import Event
from shopfloor.model.plant import Plant
from shopfloor.model.spec_maintenance import MaintenanceSpec
from shopfloor.model.times import parse_time
from shopfloor.runtime.twin_runner import run_twin, to_bus
from shopfloor.sim import default_plant

TRAIN_SEEDS = "11,12,13,14,15,16"
LAST_H = 48.0


@dataclass
class Judged:
    """One seed's health events, warnings and failures."""

    seed: int
    machines: list[str]
    start_ns: int
    end_ns: int
    failures: list[Failure]
    estimates: list[Event] = field(default_factory=list)
    warnings: dict[str, list[int]] = field(default_factory=dict)
    wall_s: float = 0.0


async def judge_seed(
    plant: Plant, spec: MaintenanceSpec, models: Path | None, seed: int, days: float, start: int
) -> Judged:
    """Run one seed through the bus and the live health service; gather its events."""
    twin = twin_for(plant, seed, start, 1.0)
    machines = [m.path for m in twin.machines]
    if models is None:
        rul, health = load_models(spec)
    else:
        rul, health = load_model(models / BUILTIN_RUL), load_health(models / BUILTIN_HEALTH)
    bus = MemoryBus()
    service = HealthService(HealthEngine(spec, machines, rul, health), bus)
    outputs = bus.subscribe(machines, capacity=10_000_000)
    result = Judged(seed, machines, start, start + round(days * DAY_NS), [])
    wall = time.perf_counter()
    await service.start()
    await run_twin(twin, to_bus(bus), speed=None, duration_s=days * 86_400, chunk_s=300)
    await service.stop()
    outputs.close()
    result.wall_s = time.perf_counter() - wall
    while (message := outputs.get_nowait()) is not None:
        for event in message if isinstance(message, tuple) else ():
            if event.kind == HEALTH:
                result.estimates.append(event)
            elif event.kind == WARNING:
                result.warnings.setdefault(event.asset, []).append(event.time_ns)
    result.failures = [
        Failure(f.machine, start + round(f.t * 1e9), f.kind) for f in twin.truth.failures
    ]
    return result


def _life_start(run: Judged, failure: Failure) -> int:
    """When the life that ``failure`` ends began: the machine's previous wear failure."""
    before = [
        g.time_ns
        for g in run.failures
        if g.machine == failure.machine and g.kind == "wear" and g.time_ns < failure.time_ns
    ]
    return max(before, default=run.start_ns)


def errors_near_failure(runs: list[Judged]) -> dict[str, Any]:
    """RUL errors and coverage of the estimates in the last 48 h before each wear failure,
    in the life that failure ends."""
    errors, covered = [], 0
    for run in runs:
        for f in (f for f in run.failures if f.kind == "wear"):
            began = _life_start(run, f)
            for e in run.estimates:
                left_h = (f.time_ns - e.time_ns) / 3600e9
                mine = e.asset == f.machine and int(e.payload["since_ns"]) >= began
                if mine and 0 <= left_h < LAST_H:
                    errors.append(float(e.payload["rul_h"]) - left_h)
                    lower, upper = e.payload["lower_h"], e.payload["upper_h"]
                    low = -np.inf if lower is None else float(lower)
                    high = np.inf if upper is None else float(upper)
                    covered += int(low <= left_h <= high)
    values = np.asarray(errors)
    counted = len(errors)
    return {
        "estimates": counted,
        "mae_h": float(np.mean(np.abs(values))) if counted else None,
        "rmse_h": float(np.sqrt(np.mean(values**2))) if counted else None,
        "bias_h": float(np.mean(values)) if counted else None,
        "coverage": covered / counted if counted else None,
    }


def warnings_by_rule(run: Judged, rule: str, horizon_h: float) -> dict[str, list[int]]:
    """The warnings ``rule`` (``lower`` or ``rul``) would give, from the stored estimates:
    the first estimate of each approach below the horizon (re-armed past 1.5 times it)."""
    key = "lower_h" if rule == "lower" else "rul_h"
    out: dict[str, list[int]] = {}
    armed: dict[tuple[str, int], bool] = {}
    for e in sorted(run.estimates, key=lambda e: e.time_ns):
        life = (e.asset, int(e.payload["since_ns"]))
        value = e.payload[key]
        measure = np.inf if value is None else float(value)
        if armed.get(life, True) and measure < horizon_h:
            armed[life] = False
            out.setdefault(e.asset, []).append(e.time_ns)
        elif measure > 1.5 * horizon_h:
            armed[life] = True
    return out


def judge_warnings(
    runs: list[Judged], warnings: list[dict[str, list[int]]], horizon_ns: int
) -> Judgement:
    """Pooled: wear failures with a warning earlier in their life (lead from the first),
    and warnings not followed by a wear failure of their machine within the horizon."""
    pooled = Judgement()
    for run, found in zip(runs, warnings, strict=True):
        strict = judge(
            found,
            run.failures,
            machines=run.machines,
            start_ns=run.start_ns,
            end_ns=run.end_ns,
            window_ns=horizon_ns,
            kinds=frozenset({"wear"}),
        )
        strict.warned, strict.leads_s = 0, []
        for f in (f for f in run.failures if f.kind == "wear"):
            began = _life_start(run, f)
            inside = [w for w in found.get(f.machine, ()) if began <= w < f.time_ns]
            if inside:
                strict.warned += 1
                strict.leads_s.append((f.time_ns - min(inside)) / 1e9)
        pooled.add(strict)
    return pooled


def train(args: argparse.Namespace) -> int:
    """Learn the models from the training seeds' lives and write them to ``--out``."""
    plant = default_plant()
    seeds = [int(s) for s in args.seeds.split(",")]
    start = parse_time(args.start, now_ns=0, what="--start")
    wall = time.perf_counter()
    found = lifelib.collect(plant, seeds, 7 * args.weeks, start, 1.0)
    table = lifelib.table_of(found)
    rul, health = lifelib.learn(found)
    args.out.mkdir(parents=True, exist_ok=True)
    rul.save(args.out / BUILTIN_RUL)
    health.save(args.out / BUILTIN_HEALTH)
    print(
        f"learnt from {len(found.lives)} lives ({len(table.units)} hourly rows) of seeds "
        f"{args.seeds}, {args.weeks:g} weeks each, in {time.perf_counter() - wall:.0f} s; "
        f"written to {args.out}"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.rul_twin", description=__doc__)
    p.add_argument("command", nargs="?", choices=["judge", "train"], default="judge")
    p.add_argument("--seeds", help="judged seeds (default 1,2,3) or training seeds (11-16)")
    p.add_argument("--weeks", type=float, help="simulated weeks per seed (4; train: 5)")
    p.add_argument("--start", default=START, help="simulated start time")
    p.add_argument("--models", type=Path, help="folder with twin-rul.json, twin-health.json")
    p.add_argument("--horizon", help="override the warning horizon (e.g. 3d)")
    p.add_argument("--out", type=Path, default=Path("bench/out/rul_twin"), help="train: here")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--quick", action="store_true", help="a smoke run: one day of seed 1")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        args.seeds, args.weeks = args.seeds or TRAIN_SEEDS, args.weeks or 5.0
        return train(args)
    args.seeds, args.weeks = args.seeds or "1,2,3", args.weeks or 4.0
    if args.quick:
        args.seeds, args.weeks = "1", 1 / 7
    plant = default_plant()
    spec = plant.maintenance
    if args.horizon:
        spec = spec.model_copy(update={"horizon": parse_duration(args.horizon)})
    start = parse_time(args.start, now_ns=0, what="--start")
    load_before = os.getloadavg()[0]
    runs = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        run = asyncio.run(judge_seed(plant, spec, args.models, seed, 7 * args.weeks, start))
        wear = sum(f.kind == "wear" for f in run.failures)
        print(
            f"seed {seed}: {7 * args.weeks:g} d in {run.wall_s:.0f} s, {wear} wear failures, "
            f"{len(run.estimates)} estimates, {sum(map(len, run.warnings.values()))} warnings",
            flush=True,
        )
        runs.append(run)
    horizon_ns = round(spec.horizon * 1e9)
    rules = {
        f"{spec.warn_on} (live)": [r.warnings for r in runs],
        **{
            rule: [warnings_by_rule(r, rule, spec.horizon / 3600) for r in runs]
            for rule in ("lower", "rul")
            if rule != spec.warn_on
        },
    }
    judged = {name: judge_warnings(runs, found, horizon_ns) for name, found in rules.items()}
    twice = {name: judge_warnings(runs, found, 2 * horizon_ns) for name, found in rules.items()}
    near = errors_near_failure(runs)
    command = shlex.join(["python", "-m", "bench.rul_twin", *(argv or sys.argv[1:])])
    load = (load_before, os.getloadavg()[0])
    print()
    print(report.markdown(near, judged, twice, runs, spec, command, load))
    if args.json is not None:
        document = {
            "near_failure": near,
            "warnings": {name: j.to_dict() for name, j in judged.items()},
            "warnings_twice_the_horizon": {name: j.to_dict() for name, j in twice.items()},
            "settings": spec.model_dump(mode="json"),
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0
