"""The benchmark's report: a markdown block for ``docs/benchmarks.md``."""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib.metadata import version

from bench.twin.measure import Result

TARGET_SPEEDUP = 10_000.0
MIB = 2**20


def _memory_gib() -> float:
    with open("/proc/meminfo") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal"))
    return kib / 2**20


def machine() -> str:
    """Cores, memory and the versions that matter."""
    versions = ", ".join(f"{p} {version(p)}" for p in ("numpy", "scipy", "simpy", "duckdb"))
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}),"
        f" {_memory_gib():.1f} GiB memory, {platform.system()} {platform.machine()};"
        f" Python {platform.python_version()}, {versions}"
    )


def _plant(r: Result) -> str:
    return "default (1 line)" if r.config.lines == 1 else f"{r.config.lines} x default line"


def _span(seconds: float) -> str:
    return f"{seconds / 86_400:g} d" if seconds >= 86_400 else f"{seconds / 3600:g} h"


def _row(r: Result) -> str:
    met = "**met**" if r.speedup >= TARGET_SPEEDUP else "**missed**"
    stored = f"{r.file_bytes / MIB:,.0f} MiB" if r.config.historian else ""
    return (
        f"| {_plant(r)} | {r.machines} | {'DuckDB' if r.config.historian else 'none'}"
        f" | {_span(r.simulated_s)} | {r.wall_s:,.2f} | {r.cpu_s:,.2f}"
        f" | **{r.speedup:,.0f} x**"
        f" | {r.wall_s / (r.simulated_s / 86_400):,.2f} | {r.rows / 1e6:,.1f} M"
        f" | {r.rows_per_s / 1e6:,.2f} M | {r.events:,} | {stored}"
        f" | {r.peak_rss_bytes / MIB:,.0f} | {met} |"
    )


def markdown(
    results: list[Result], command: str, seed: int, load: tuple[float, float], fresh: bool = True
) -> str:
    """The report, headed ``## bench/twin``; ``load``: the 1-minute load average before and
    after the runs (other work on the machine slows them)."""
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    chunk = results[0].chunk_s
    lines = [
        "## bench/twin",
        "",
        f"- Date: {date}",
        f"- Machine: {machine()}; 1-minute load average {load[0]:.2f} before the runs,"
        f" {load[1]:.2f} after",
        f"- Command: `{command}`",
        "- Workload: the default plant (one line of 9 machines) and a plant ten times larger"
        " (the default line copied ten times into the same area, one `Twin` per line, all"
        " advanced side by side in one process: 90 machines), each without and with a DuckDB"
        f" historian (one file, exclusive mode). Twins advance {chunk:g} s of simulated time"
        f" per step (seed {seed}, line i seed {seed} + i), starting on a working day with three"
        " shifts and breaks. With a historian, every step's samples, text samples and events"
        " are appended, and the final flush and close are timed. Building the twins is not"
        " timed. "
        + (
            "Each configuration runs in its own fresh process, one after the other."
            if fresh
            else "All configurations run in this one process, one after the other."
        ),
        "- CPU: process CPU time (all threads) over the timed span; well below the wall"
        " time when other work shared the cores, above it where DuckDB used several threads.",
        "- Speedup: simulated seconds per wall-clock second. Target (the issue): a simulated"
        f" plant day at least {TARGET_SPEEDUP:,.0f} times faster than real time in-process,"
        " i.e. a plant day in at most 8.64 s.",
        "",
        "| plant | machines | historian | simulated | wall (s) | CPU (s) | speedup"
        " | wall s per day | rows | rows/s | events | file | peak RSS (MiB) | >= 10,000 x |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *(_row(r) for r in results),
    ]
    return "\n".join(lines)
