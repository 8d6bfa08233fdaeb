"""Anomaly detector speed: samples (or rows) scored per second on one core.

Run from the project root::

    python -m bench.anomaly_speed              # 2 M samples per detector, 10,000 per batch
    python -m bench.anomaly_speed --quick      # a smoke run

Measured side by side with a baseline: the plain numpy expression ``abs(x - m) / s`` over the same
batches, the least work any per-sample score can do. Each detector is fitted on a day of
one-minute data first (not timed); then batches are scored in stream order. ``score_one``
(one row per call, the convenience API) is timed on 20,000 rows. BLAS threads are limited to
one, so the figures are per core.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402  (the thread limits must be set before numpy loads)
import platform  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import numpy as np  # noqa: E402

from shopfloor.monitor.anomaly import (  # noqa: E402
    ContextDetector,
    Detector,
    EwmaDetector,
    PcaDetector,
)
from shopfloor.monitor.anomaly.base import FloatArray  # noqa: E402

SIGNALS = 8  # per machine, for the multivariate detector


def signal(n: int, seed: int) -> FloatArray:
    """A noisy daily wave at one sample a minute with rare spikes."""
    rng = np.random.default_rng(seed)
    x = 10 + np.sin(2 * np.pi * np.arange(n) / 1440) + rng.normal(scale=0.2, size=n)
    x[rng.integers(0, n, size=n // 5000)] += 5
    return np.asarray(x)


def machine(n: int, seed: int) -> FloatArray:
    """SIGNALS correlated signals of one machine."""
    rng = np.random.default_rng(seed)
    load = np.sin(np.arange(n) / 300)[:, None]
    mix = rng.normal(size=(1, SIGNALS))
    return np.asarray(load * mix + rng.normal(scale=0.1, size=(n, SIGNALS)))


def per_second(work: Callable[[], object], items: int) -> float:
    """Items per second of ``work``, best of three runs (the machine is shared)."""
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return items / best


def batched(make: Callable[[], Detector], data: FloatArray, history: int, batch: int) -> float:
    """Rows per second of score_many over ``data`` after fitting on its first rows.

    The detector is fitted once; each timed run restores the fitted state first (cheap, and
    timed with it) so that every run scores the same stream.
    """
    detector = make().fit(data[:history])
    fitted = detector.save_state()

    def work() -> None:
        detector.restore(fitted)
        for start in range(history, len(data), batch):
            detector.score_many(data[start : start + batch])

    return per_second(work, len(data) - history)


def single(make: Callable[[], Detector], data: FloatArray, history: int, rows: int) -> float:
    """Rows per second of score_one, one call per row."""
    detector = make().fit(data[:history])
    tail = data[history : history + rows]
    return per_second(lambda: [detector.score_one(row) for row in tail], len(tail))


def baseline(data: FloatArray, batch: int) -> float:
    """Samples per second of the bare ``abs(x - m) / s`` over the same batches."""

    def work() -> None:
        for start in range(0, len(data), batch):
            chunk = data[start : start + batch]
            np.abs(chunk - 10.0) / 0.2

    return per_second(work, len(data))


def measure(n: int, batch: int) -> list[tuple[str, float, float, str]]:
    """(what, batched per second, score_one per second, unit) for each detector."""
    day = 1440
    x, m = signal(n + day, 1), machine(n // 4 + day, 2)
    rows = min(20_000, n)
    return [
        ("baseline: abs(x - m) / s", baseline(x, batch), float("nan"), "samples"),
        ("EwmaDetector (live)", batched(EwmaDetector, x, day, batch),
         single(EwmaDetector, x, day, rows), "samples"),
        ("ContextDetector (NAB configuration)", batched(ContextDetector, x, day, batch),
         single(ContextDetector, x, day, rows), "samples"),
        (f"PcaDetector ({SIGNALS} signals)", batched(PcaDetector, m, day, batch),
         single(PcaDetector, m, day, rows), "rows"),
    ]  # fmt: skip


def report(results: list[tuple[str, float, float, str]], n: int, batch: int, cmd: str) -> str:
    """The markdown block for docs/benchmarks.md."""
    load = os.getloadavg()[0]
    lines = [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; command `{cmd}`",
        f"- Machine: {os.cpu_count()} cores (one used), {platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}; load (1 min) {load:.1f}",
        f"- {n:,} samples per univariate detector ({n // 4:,} rows of {SIGNALS} signals for "
        f"PCA), {batch:,} per score_many call; best of three",
        "",
        "| detector | score_many, per s | x baseline | score_one, per s |",
        "|---|---:|---:|---:|",
    ]
    base = results[0][1]
    for what, many, one, unit in results:
        one_text = "" if np.isnan(one) else f"{one:,.0f} {unit}"
        lines.append(f"| {what} | {many:,.0f} {unit} | {many / base:.3f} | {one_text} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.anomaly_speed", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 samples")
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args(argv)
    n = 100_000 if args.quick else 2_000_000
    command = shlex.join(["python", "-m", "bench.anomaly_speed", *(argv or sys.argv[1:])])
    print(report(measure(n, args.batch), n, args.batch, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
