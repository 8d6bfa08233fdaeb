"""NAB benchmark: run a detector over the 58 NAB series and score it as NAB does.

Run from the project root::

    python -m bench.nab.run                        # the context detector (NAB configuration)
    python -m bench.nab.run --detector ewma        # the live detector, for comparison
    python -m bench.nab.run --out /tmp/nab-results # where the result CSVs go

Each series is streamed as a live signal would be: the detector is fitted on the
probationary period (the first 15 %, at most 750 rows, which NAB does not score) and then
scores the remaining rows in one-day batches, each row from the past alone. Results are
written in NAB's layout, ``<out>/<detector>/<category>/<detector>_<file>.csv`` with
timestamp, value, anomaly_score and label (probationary rows score 0), and scored twice per
profile:

- with the threshold NAB's optimiser picks per profile from the scores (its usual report);
- with our automatic threshold's 0/1 flags (a false-alarm budget over the data seen so far,
  refined after each day's batch; no labels).

Result files are evaluation output, never committed: the default is a temporary folder.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from shopfloor.monitor.anomaly import ContextDetector, Detector, EwmaDetector
from shopfloor.monitor.anomaly.base import FloatArray, rows_per_day
from shopfloor.monitor.anomaly.nab_score import PROFILE_NAMES, NabCorpus, NabSeries
from shopfloor.monitor.anomaly.scoring import ThresholdResult, probation_rows

NAB = Path(__file__).resolve().parents[2] / "../shared/datasets/nab"
DETECTORS: dict[str, Callable[[], Detector]] = {
    "context": ContextDetector,
    "ewma": EwmaDetector,
}


@dataclass(frozen=True)
class Run:
    """Per-row scores and flags of one detector over the corpus, and the time they took."""

    scores: dict[str, FloatArray]
    flags: dict[str, FloatArray]
    seconds: float
    rows: int


def run_series(make: Callable[[], Detector], series: NabSeries) -> tuple[FloatArray, FloatArray]:
    """Scores and 0/1 flags for one series, fitted on its probationary period.

    The rest streams in batches of one day, as a live signal would arrive; each batch is
    flagged with the threshold it was scored against (refined from the batches before it).
    """
    probation = probation_rows(len(series.values))
    times = series.times.astype("datetime64[ns]").astype(np.int64)
    detector = make().fit(series.values[:probation], times[:probation])
    per_day = max(int(rows_per_day(times[:probation], 1440.0)), 1)
    scores, flags = np.zeros(len(series.values)), np.zeros(len(series.values))
    for start in range(probation, len(scores), per_day):
        rows = slice(start, start + per_day)
        scores[rows] = detector.score_many(series.values[rows], times[rows])
        flags[rows] = scores[rows] >= detector.threshold
    return scores, flags


def run_corpus(make: Callable[[], Detector], corpus: NabCorpus) -> Run:
    """Stream every series through a fresh detector, timing the fit and scoring only."""
    scores, flags = {}, {}
    start = time.perf_counter()
    for series in corpus:
        scores[series.name], flags[series.name] = run_series(make, series)
    seconds = time.perf_counter() - start
    return Run(scores, flags, seconds, sum(len(s.values) for s in corpus))


def write_results(out: Path, detector: str, corpus: NabCorpus, run: Run) -> None:
    """Result CSVs in NAB's layout."""
    for series in corpus:
        category, file = series.name.split("/")
        folder = out / detector / category
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{detector}_{file}").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["timestamp", "value", "anomaly_score", "label"])
            stamps = np.datetime_as_string(series.times, unit="s")
            rows = zip(stamps, series.values, run.scores[series.name], series.labels, strict=True)
            for stamp, value, score, label in rows:
                writer.writerow(
                    [str(stamp).replace("T", " "), repr(float(value)), repr(float(score)), label]
                )


def table(nab: dict[str, ThresholdResult], ours: dict[str, ThresholdResult]) -> list[str]:
    """Markdown rows: per profile, NAB's threshold and our flags."""
    lines = [
        "| profile | NAB threshold | score | windows found | FP rows | our flags: score "
        "| windows found | FP rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in PROFILE_NAMES:
        a, b = nab[name], ours[name]
        lines.append(
            f"| {name} | {a.threshold:.4f} | {a.normalised:.2f} | {a.detected_windows} "
            f"| {a.false_positives} | {b.normalised:.2f} | {b.detected_windows} "
            f"| {b.false_positives} |"
        )
    return lines


def report(detector: str, corpus: NabCorpus, run: Run, command: str, out: Path) -> str:
    """The markdown block for docs/benchmarks.md."""
    nab, ours = corpus.score(run.scores), corpus.score_flags(run.flags)
    windows = sum(len(s.windows) for s in corpus)
    lines = [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}",
        f"- Command: `{command}`",
        f"- Detector: `{detector}`; {len(corpus.series)} series, {run.rows:,} rows, "
        f"{windows} windows; results in `{out}`",
        f"- Fit and scoring time: {run.seconds:.2f} s ({run.rows / run.seconds:,.0f} samples/s)",
        "",
        *table(nab, ours),
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.nab.run", description=__doc__)
    p.add_argument("--detector", choices=sorted(DETECTORS), default="context")
    p.add_argument("--data", type=Path, default=NAB, help="the NAB folder")
    p.add_argument("--out", type=Path, default=None, help="results folder (default: temporary)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run, write, score and print the report."""
    args = _parser().parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="shopfloor-nab-"))
    corpus = NabCorpus.load(args.data)
    run = run_corpus(DETECTORS[args.detector], corpus)
    write_results(out, args.detector, corpus, run)
    command = shlex.join(["python", "-m", "bench.nab.run", *(argv or sys.argv[1:])])
    print(report(args.detector, corpus, run, command, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
