"""Historian benchmark: append throughput and trend-query latency, against plain DuckDB.

Run from the project root::

    python -m bench.historian.run                 # the full run: 100 million points
    python -m bench.historian.run --quick         # a smoke-sized run, a few seconds

A plant of ``--tags`` tags at 1 Hz for ``--seconds`` seconds is appended in time order
across tags, ``tags * batch-seconds`` points per append call, first through
:class:`~shopfloor.historian.DuckDBHistorian`, then (in a separate process, after the first
has finished) into a plain DuckDB table with the same columns. Each side then runs the same
``--queries`` trend queries: one tag's 24 h downsampled to 1,000 buckets (mean). The report
is a markdown block for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import math
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from bench.historian import report
from bench.historian.cli import in_child, workload
from bench.historian.phases import historian_side, plain_side
from shopfloor.historian.duckdb import DEFAULT_FLUSH_ROWS

QUICK = {"tags": 100, "seconds": 3_000, "batch_seconds": 10, "queries": 10}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.historian.run", description=__doc__)
    p.add_argument("--tags", type=int, default=1_000)
    p.add_argument("--seconds", type=int, default=100_000)
    p.add_argument("--batch-seconds", type=int, default=10, help="seconds of data per append")
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--flush-rows", type=int, default=DEFAULT_FLUSH_ROWS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-dir", type=Path, help="keep the files here (default: a temp dir)")
    p.add_argument("--quick", action="store_true", help="a small smoke run")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    work = workload(args, QUICK)
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="bench-historian-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.duckdb*"):
        old.unlink()
    command = shlex.join(["python", "-m", "bench.historian.run", *sys.argv[1:]])
    try:
        print(f"{work.points:,} points, {work.points_per_append:,} per append", flush=True)
        ours = in_child(historian_side, work, out_dir / "historian.duckdb", args.flush_rows)
        print(f"historian done in {ours.phase_s:.1f} s", flush=True)
        plain = in_child(plain_side, work, out_dir / "plain.duckdb")
        print(f"plain DuckDB done in {plain.phase_s:.1f} s\n", flush=True)
    finally:
        if args.out_dir is None:
            shutil.rmtree(out_dir, ignore_errors=True)
    if not all(map(math.isclose, ours.first_means, plain.first_means)):
        print("the two sides answered the first query differently", file=sys.stderr)
        return 1
    print(report.markdown(work, ours, plain, command, args.flush_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
