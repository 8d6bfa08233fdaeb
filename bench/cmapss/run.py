"""C-MAPSS benchmark: remaining useful life on FD001-FD004, against published results.

Run from the project root::

    python -m bench.cmapss.run                          # all four subsets, five seeds
    python -m bench.cmapss.run --subsets FD001 --seeds 1 --quick

FD001 and FD003 are scored on their test sets (RMSE, NASA score, 90 % interval coverage);
FD002 and FD004, which ship no test truth, on training engines held out by unit and cut as the
test engines are (see :mod:`bench.cmapss.protocol`), and their test predictions, from a model
trained on every training engine, are written to ``--predictions`` (``docs/cmapss``).
The report is a markdown block for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shlex
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import lightgbm as lgb
import numpy as np

from bench.cmapss.protocol import MAX_LEFT, WITH_TRUTH, Score, test, timed_fit, validate
from shopfloor.maintenance import RulSettings, RunTable, read_cmapss

SUBSETS = ("FD001", "FD002", "FD003", "FD004")
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "cmapss"
# Published RMSE (NASA score) from docs/BENCHMARKS.md: deep CNN and the best (STAR).
CNN = {"FD001": (12.61, 274), "FD002": (22.36, None), "FD003": (12.64, 284), "FD004": (23.31, None)}
BEST = {"FD001": (10.61, 169), "FD002": (13.47, 784), "FD003": (10.71, 202), "FD004": (15.87, 1449)}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.cmapss.run", description=__doc__)
    p.add_argument("--subsets", default=",".join(SUBSETS), help="comma-separated, e.g. FD001")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--predictions", type=Path, default=Path("docs/cmapss"))
    p.add_argument("--quick", action="store_true", help="few trees: a smoke run")
    return p


def settings_for(seed: int, quick: bool) -> RulSettings:
    """The model settings the benchmark uses (chosen on held-out training engines)."""
    rounds = 60 if quick else RulSettings().rounds
    return RulSettings(seed=seed, rounds=rounds, calibrate_within=MAX_LEFT)


def run_subset(args: argparse.Namespace, subset: str) -> list[Score]:
    """Every seed's score on one subset; writes test predictions where there is no truth."""
    train = read_cmapss(args.data / f"train_{subset}.txt.gz")
    scores = []
    for seed in range(args.seeds):
        settings = settings_for(seed, args.quick)
        if subset in WITH_TRUTH:
            scores.append(test(args.data, subset, train, settings))
        else:
            scores.append(validate(subset, train, settings)[0])
        print(f"{subset} seed {seed}: {scores[-1]}", file=sys.stderr, flush=True)
    if subset not in WITH_TRUTH:
        write_predictions(args, subset, train)
    return scores


def write_predictions(args: argparse.Namespace, subset: str, train: RunTable) -> None:
    """Train on every training engine (seed 0) and write the test set's predictions."""
    model, _ = timed_fit(train, settings_for(0, args.quick))
    prediction = model.predict(read_cmapss(args.data / f"test_{subset}.txt.gz"))
    args.predictions.mkdir(parents=True, exist_ok=True)
    with (args.predictions / f"{subset}_test_predictions.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["unit", "rul", "lower", "upper"])
        for row in zip(
            prediction.units, prediction.rul, prediction.lower, prediction.upper, strict=True
        ):
            out.writerow([int(row[0]), *(f"{v:.2f}" for v in row[1:])])


def _spread(values: list[float], digits: int) -> str:
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def _published(table: Mapping[str, tuple[float, int | None]], subset: str) -> str:
    rmse, nasa = table[subset]
    return f"{rmse:.2f}" + (f" ({nasa})" if nasa is not None else "")


def row(subset: str, scores: list[Score]) -> str:
    """One markdown table row: ours (mean ± std over seeds) beside the published figures."""
    on = scores[0].on
    ok = np.mean([s.rmse for s in scores]) <= CNN[subset][0]
    return (
        f"| {subset} | {on} | {_spread([s.rmse for s in scores], 2)} "
        f"| {_spread([s.nasa for s in scores], 0)} "
        f"| {_spread([100 * s.coverage for s in scores], 1)} % "
        f"| {np.mean([s.width for s in scores]):.0f} "
        f"| {np.mean([s.train_s for s in scores]):.0f} "
        f"| {_published(CNN, subset)} | {_published(BEST, subset)} | {'yes' if ok else 'no'} |"
    )


def markdown(results: dict[str, list[Score]], command: str, seeds: int) -> str:
    """The report for ``docs/benchmarks.md``."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"- Date: {now}",
        f"- Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}; "
        f"Python {platform.python_version()}, LightGBM {lgb.__version__}, numpy {np.__version__}"
        f"; load average (1 min) after the run: {os.getloadavg()[0]:.1f}",
        f"- Command: `{command}`",
        f"- {seeds} seeds; mean ± standard deviation over seeds. "
        "Interval: 90 % cross-conformal (five folds of training engines).",
        "",
        "| subset | scored on | RMSE | NASA score | 90 % interval coverage | mean width "
        "| train s | deep CNN RMSE (NASA) | best published (STAR) | RMSE <= CNN |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    lines += [row(subset, scores) for subset, scores in results.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    args = _parser().parse_args(argv)
    subsets = [s.strip().upper() for s in args.subsets.split(",") if s.strip()]
    unknown = sorted(set(subsets) - set(SUBSETS))
    if unknown:
        print(f"error: unknown subsets {', '.join(unknown)}", file=sys.stderr)
        return 2
    began = time.perf_counter()
    results = {subset: run_subset(args, subset) for subset in subsets}
    command = shlex.join(["python", "-m", "bench.cmapss.run", *(argv or sys.argv[1:])])
    print(markdown(results, command, args.seeds))
    print(f"\n(total {time.perf_counter() - began:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
