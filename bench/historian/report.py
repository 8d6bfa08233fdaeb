"""The benchmark's report: a markdown block for ``docs/benchmarks.md``."""

from __future__ import annotations

import datetime as dt
import os
import platform

import duckdb
import numpy as np

from bench.historian.phases import WARM_UP_QUERIES, Side
from bench.historian.workload import BUCKETS, Workload

MIN_POINTS_PER_S = 2_000_000
MIN_APPEND_RATIO = 0.8
MAX_P95_MS = 25.0
MAX_QUERY_RATIO = 1.3
GIB = 2**30


def _memory_gib() -> float:
    with open("/proc/meminfo") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal"))
    return kib / 2**20


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, {_memory_gib():.1f} GiB memory, {platform.system()}"
        f" {platform.machine()}; Python {platform.python_version()}, DuckDB"
        f" {duckdb.__version__}, numpy {np.__version__}"
    )


def load() -> str:
    """The 1-minute load average: above the core count, other work shared the CPUs."""
    return f"{os.getloadavg()[0]:.1f}"


def _yes(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _rows(ours: Side, plain: Side) -> list[str]:
    append_ratio = ours.points_per_s / plain.points_per_s
    p50_ratio = ours.percentile_ms(50) / plain.percentile_ms(50)
    p95_ratio = ours.percentile_ms(95) / plain.percentile_ms(95)
    append_ok = ours.points_per_s >= MIN_POINTS_PER_S and append_ratio >= MIN_APPEND_RATIO
    query_ok = ours.percentile_ms(95) <= MAX_P95_MS and p95_ratio <= MAX_QUERY_RATIO
    return [
        "| | shopfloor DuckDBHistorian | plain DuckDB (ceiling) | ratio | target | |",
        "|---|---:|---:|---:|---|---|",
        f"| append, points/s | {ours.points_per_s / 1e6:.2f} M | {plain.points_per_s / 1e6:.2f} M"
        f" | {append_ratio:.2f} | >= 2 M/s and >= 0.8 x plain | {_yes(append_ok)} |",
        f"| append time (s) | {ours.append_s:.1f} | {plain.append_s:.1f} | | | |",
        f"| query p50 (ms) | {ours.percentile_ms(50):.1f} | {plain.percentile_ms(50):.1f}"
        f" | {p50_ratio:.2f} | | |",
        f"| query p95 (ms) | {ours.percentile_ms(95):.1f} | {plain.percentile_ms(95):.1f}"
        f" | {p95_ratio:.2f} | <= 25 ms and <= 1.3 x plain | {_yes(query_ok)} |",
        f"| file size (GiB) | {ours.file_bytes / GIB:.2f} | {plain.file_bytes / GIB:.2f} | | | |",
        f"| peak RSS (GiB) | {ours.peak_rss_bytes / GIB:.2f}"
        f" | {plain.peak_rss_bytes / GIB:.2f} | | | |",
    ]


def markdown(work: Workload, ours: Side, plain: Side, command: str, flush_rows: int) -> str:
    """The report, headed ``## bench/historian``."""
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## bench/historian",
        "",
        f"- Date: {date}",
        f"- Machine: {machine()}",
        f"- Load average (1 min) before each side, historian / plain: {ours.load_before}"
        f" / {plain.load_before}; after the run: {load()} (the machine is shared; a load"
        " above the core count means other work competed for the CPUs)",
        f"- Command: `{command}`",
        f"- Workload: {work.tags:,} tags at 1 Hz for {work.batches * work.batch_seconds:,} s"
        f" = {work.points:,} points, appended in time order across tags,"
        f" {work.points_per_append:,} points per append call (tags x batch-seconds);"
        f" historian flush_rows = {flush_rows:,}. Append time counts the append calls and"
        " the final flush and checkpoint (historian: `close()`; plain: `CHECKPOINT`), not"
        " the data generation.",
        f"- Query: one tag's {work.window_s:,} s trend downsampled to {BUCKETS:,} buckets"
        f" (mean), {work.queries} queries at random tags and starts (the same for both"
        f" sides, after {WARM_UP_QUERIES} warm-up queries); the plain side runs the same SQL"
        " text as the historian, on a table of the same name and columns.",
        "- The sides run one after the other, each in its own process.",
        "",
        *_rows(ours, plain),
    ]
    return "\n".join(lines)
