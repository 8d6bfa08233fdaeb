"""Sparkplug B ingest benchmark: metrics/s into the historian against the broker's ceiling.

Run from the project root (a broker must listen at ``--broker``)::

    python -m bench.ingest.run              # 100 and 10 metrics per message, 3 rounds of 10 s
    python -m bench.ingest.run --quick      # a smoke run: one round of 1 s each

Each round starts a publisher process (``bench.ingest.publisher``) that floods DDATA at
QoS 0 and a counting subscriber process (``bench.ingest.counter``), and runs the pipeline
under test in this process (see ``bench.ingest.pipeline``). The report is a markdown
block for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from bench.ingest import report
from bench.ingest.pipeline import Config, Result, measure

DEFAULT_BROKER = os.environ.get("SHOPFLOOR_MQTT_URL", "mqtt://127.0.0.1:1883")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.ingest.run", description=__doc__)
    p.add_argument("--broker", default=DEFAULT_BROKER)
    p.add_argument("--metrics", type=int, nargs="+", default=[100, 10])
    p.add_argument("--devices", type=int, default=4)
    p.add_argument("--seconds", type=float, default=10.0, help="flooding time per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out-dir", type=Path, help="keep the historian files here")
    p.add_argument("--quick", action="store_true", help="one round of 1 s per setting")
    return p


async def _rounds(args: argparse.Namespace, directory: Path) -> list[list[Result]]:
    groups = []
    for metrics in args.metrics:
        config = Config(metrics, args.devices, args.seconds)
        results = []
        for i in range(args.rounds):
            r = await measure(config, args.broker, directory)
            print(
                f"{metrics} metrics/message, round {i + 1}: published"
                f" {r.published_metrics_per_s / 1e6:.2f} M/s, ceiling"
                f" {r.ceiling_metrics_per_s / 1e6:.2f} M/s, into the historian"
                f" {r.stored_metrics_per_s / 1e6:.3f} M/s, ratio {r.ratio:.2f}",
                flush=True,
            )
            results.append(r)
        groups.append(results)
    return groups


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 1.0, 1
    if args.seconds <= 0 or args.rounds < 1 or args.devices < 1 or min(args.metrics) < 1:
        print("--seconds, --rounds, --devices and --metrics must be positive", file=sys.stderr)
        return 2
    directory = args.out_dir or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    directory.mkdir(parents=True, exist_ok=True)
    command = shlex.join(
        ["python", "-m", "bench.ingest.run", *(argv if argv is not None else sys.argv[1:])]
    )
    try:
        groups = asyncio.run(_rounds(args, directory))
    finally:
        if args.out_dir is None:
            shutil.rmtree(directory, ignore_errors=True)
    print()
    print(report.markdown(groups, command, args.broker))
    return 0


if __name__ == "__main__":
    sys.exit(main())
