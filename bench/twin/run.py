"""Twin benchmark: simulated time per wall-clock second, without and with a historian.

Run from the project root::

    python -m bench.twin.run              # one simulated day per configuration
    python -m bench.twin.run --days 3     # longer
    python -m bench.twin.run --quick      # a smoke run: one simulated hour, in this process

Four configurations: the default plant and a plant ten times larger (ten copies of the
default line, one twin each, advanced side by side in one process), each without and with
a DuckDB historian that stores every sample, text sample and event. Each runs in its own
fresh process (``--quick`` runs them in this one, to stay quick). The report is a markdown
block for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from bench.twin import report
from bench.twin.measure import Config, Result, measure

CONFIGS = [Config(1, False), Config(1, True), Config(10, False), Config(10, True)]
QUICK_DAYS = 1 / 24


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.twin.run", description=__doc__)
    p.add_argument("--days", type=float, default=1.0, help="simulated days per configuration")
    p.add_argument("--chunk", type=float, default=600.0, help="simulated seconds per step")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out-dir", type=Path, help="keep the historian files here")
    p.add_argument("--quick", action="store_true", help="one simulated hour: a smoke run")
    return p


def _in_child(config: Config, days: float, chunk_s: float, seed: int, directory: Path) -> Result:
    """Measure in a fresh process: nothing cached or allocated by another configuration."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        result: Result = pool.submit(measure, config, days, chunk_s, seed, directory).result()
    return result


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    days = QUICK_DAYS if args.quick else args.days
    if days <= 0 or args.chunk <= 0:
        print("--days and --chunk must be positive", file=sys.stderr)
        return 2
    directory = args.out_dir or Path(tempfile.mkdtemp(prefix="bench-twin-"))
    directory.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["python", "-m", "bench.twin.run", *sys.argv[1:]])
    results = []
    load_before = os.getloadavg()[0]
    try:
        for config in CONFIGS:
            run = measure if args.quick else _in_child
            result = run(config, days, args.chunk, args.seed, directory)
            print(
                f"{config.name}: {result.simulated_s:g} s simulated in {result.wall_s:.2f} s,"
                f" {result.speedup:,.0f} x",
                flush=True,
            )
            results.append(result)
    finally:
        if args.out_dir is None:
            shutil.rmtree(directory, ignore_errors=True)
    print()
    load = (load_before, os.getloadavg()[0])
    print(report.markdown(results, command, args.seed, load, fresh=not args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
