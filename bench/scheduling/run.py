"""Scheduling benchmark: job shop (ft, la, abz, orb) and flexible job shop (mk) instances
against the best known makespans in ``bounds.json``.

Run from the project root::

    python -m bench.scheduling                                   # everything (~35 min)
    python -m bench.scheduling --families la --json /tmp/la.json
    python -m bench.scheduling --instances la01,mk01 --time-limit 1

Each instance is solved in the same run, one after the other, by

- ``ours``: :func:`shopfloor.plan.solve` (warm start, tight horizon, tuned CP-SAT);
- ``plain``: the straightforward CP-SAT model of :mod:`bench.scheduling.reference`;
- ``rule``: the best of the dispatching rules SPT, EDD, MWKR and ATC;

with the same time limit (10 s for job shop families, 30 s for mk, or ``--time-limit``) and
worker count. Every plan from ours and the rules is checked by the independent checker. The
gap is ``(makespan - best upper bound) / best upper bound``. The machine is shared, so the
one-minute load average is recorded before each instance and reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.scheduling.reference import solve_reference
from shopfloor.plan import (
    Problem,
    SolveOptions,
    best_rule_plan,
    check_plan,
    read_fjs,
    read_jsp,
    solve,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
FAMILIES = ("ft", "la", "abz", "orb", "mk")
TIME_LIMITS = {"ft": 10.0, "la": 10.0, "abz": 10.0, "orb": 10.0, "mk": 30.0}
METHODS = ("ours", "plain", "rule")


@dataclass(frozen=True, slots=True)
class Result:
    """One method on one instance."""

    instance: str
    family: str
    method: str
    makespan: int | None
    best_known: int
    gap_percent: float | None
    seconds: float
    status: str
    load: float


def family_of(name: str) -> str:
    """The family of an instance name: its leading letters (``la21`` -> ``la``)."""
    return name.rstrip("0123456789")


def instances(data: Path) -> list[tuple[str, Path]]:
    """Every benchmark instance, job shop first, each family in name order."""
    found = [(p.stem, p) for folder in ("jssp", "fjsp") for p in (data / folder).glob("*.txt")]
    order = {family: i for i, family in enumerate(FAMILIES)}
    return sorted(found, key=lambda item: (order.get(family_of(item[0]), 99), item[0]))


def best_known(data: Path) -> dict[str, int]:
    """The best known upper bound of each instance."""
    bounds: dict[str, int] = {}
    for folder in ("jssp", "fjsp"):
        for name, entry in json.loads((data / folder / "bounds.json").read_text()).items():
            bounds[name] = int(entry["upper_bound"])
    return bounds


def _load() -> float:
    return os.getloadavg()[0]


@dataclass(frozen=True, slots=True)
class _Run:
    method: str
    makespan: int | None
    seconds: float
    status: str
    load: float


def _result(name: str, best: int, run: _Run) -> Result:
    gap = None if run.makespan is None else 100.0 * (run.makespan - best) / best
    return Result(
        name,
        family_of(name),
        run.method,
        run.makespan,
        best,
        gap,
        run.seconds,
        run.status,
        run.load,
    )


def run_instance(
    name: str, problem: Problem, best: int, limit: float, workers: int
) -> list[Result]:
    """The three methods on one instance; exits if a plan fails the checker."""
    load = _load()
    began = time.perf_counter()
    rule = best_rule_plan(problem)
    _checked(check_plan(rule), name, "rule")
    rule_run = _Run(
        "rule", rule.objectives.makespan, time.perf_counter() - began, rule.solver.method, load
    )
    load = _load()
    plan = solve(problem, SolveOptions(time_limit=limit, workers=workers))
    _checked(check_plan(plan), name, "ours")
    ours = _Run("ours", plan.objectives.makespan, plan.solver.seconds, plan.solver.status, load)
    load = _load()
    plain = solve_reference(problem, limit, workers)
    plain_run = _Run("plain", plain.makespan, plain.seconds, plain.status, load)
    return [_result(name, best, run) for run in (rule_run, ours, plain_run)]


def _checked(violations: object, name: str, method: str) -> None:
    if violations:
        raise SystemExit(f"{name}: the {method} plan is infeasible: {violations}")


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def summarise(results: Sequence[Result]) -> list[dict[str, object]]:
    """Per family and method: instances, mean and worst gap, mean seconds, mean load."""
    rows = []
    families = [f for f in FAMILIES if any(r.family == f for r in results)]
    for family in families:
        for method in METHODS:
            mine = [r for r in results if r.family == family and r.method == method]
            gaps = [r.gap_percent for r in mine if r.gap_percent is not None]
            worst = max(mine, key=lambda r: r.gap_percent if r.gap_percent is not None else 1e9)
            rows.append(
                {
                    "family": family,
                    "method": method,
                    "instances": len(mine),
                    "solved": len(gaps),
                    "mean_gap_percent": _mean(gaps),
                    "worst_gap_percent": max(gaps) if gaps else float("nan"),
                    "worst_instance": worst.instance,
                    "mean_seconds": _mean([r.seconds for r in mine]),
                    "mean_load": _mean([r.load for r in mine]),
                }
            )
    return rows


def markdown(rows: Sequence[dict[str, object]], header: dict[str, object]) -> str:
    """The summary as a markdown section for ``docs/benchmarks.md``."""
    lines = [
        "## bench/scheduling",
        "",
        f"Run {header['started']} on {header['machine']}, OR-Tools {header['ortools']}, "
        f"{header['workers']} workers, time limit per instance: {header['limits']}. "
        f"Load average (1 min) before the run {header['load_before']}, after "
        f"{header['load_after']}; the machine's 2 cores are shared.",
        "",
        "| family | method | instances | mean gap | worst gap (instance) | mean time | mean load |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['family']} | {row['method']} | {row['solved']}/{row['instances']} "
            f"| {row['mean_gap_percent']:.2f} % | {row['worst_gap_percent']:.2f} % "
            f"({row['worst_instance']}) | {row['mean_seconds']:.1f} s | {row['mean_load']:.1f} |"
        )
    lines += ["", f"Command: `{header['command']}`"]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.scheduling",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--instances", default="", help="comma-separated names, e.g. la01,mk01")
    p.add_argument("--families", default="", help="comma-separated: ft,la,abz,orb,mk")
    p.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds per instance and method (default: 10, mk 30)",
    )
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--json", type=Path, default=None, help="write every result here")
    p.add_argument("--markdown", type=Path, default=None, help="write the table here")
    return p


def _selected(args: argparse.Namespace) -> list[tuple[str, Path]]:
    chosen = instances(args.data)
    if args.instances:
        names = set(args.instances.split(","))
        unknown = names - {name for name, _ in chosen}
        if unknown:
            raise SystemExit(f"unknown instances: {', '.join(sorted(unknown))}")
        chosen = [(n, p) for n, p in chosen if n in names]
    if args.families:
        families = set(args.families.split(","))
        chosen = [(n, p) for n, p in chosen if family_of(n) in families]
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; prints the markdown section, optionally writes JSON."""
    args = _parser().parse_args(argv)
    chosen = _selected(args)
    bounds = best_known(args.data)
    header: dict[str, object] = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cores",
        "ortools": version("ortools"),
        "workers": args.workers,
        "limits": f"{args.time_limit:g} s" if args.time_limit else "10 s (mk: 30 s)",
        "load_before": f"{_load():.2f}",
        "command": shlex.join(["python", "-m", "bench.scheduling", *(argv or sys.argv[1:])]),
    }
    results: list[Result] = []
    for name, path in chosen:
        problem = read_fjs(path) if path.parent.name == "fjsp" else read_jsp(path)
        limit = args.time_limit or TIME_LIMITS[family_of(name)]
        found = run_instance(name, problem, bounds[name], limit, args.workers)
        results += found
        shown = ", ".join(f"{r.method} {r.makespan}" for r in found)
        print(
            f"{name} (best {bounds[name]}): {shown}, load {found[0].load:.1f}",
            file=sys.stderr,
            flush=True,
        )
    header["load_after"] = f"{_load():.2f}"
    rows = summarise(results)
    report = markdown(rows, header)
    print(report)
    if args.markdown is not None:
        args.markdown.write_text(report + "\n", encoding="utf-8")
    if args.json is not None:
        document = {"header": header, "summary": rows, "results": [asdict(r) for r in results]}
        args.json.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return 0
