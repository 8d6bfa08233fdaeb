"""The benchmark's report: a markdown block for ``docs/benchmarks.md``."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
from importlib.metadata import version

from bench.ingest.pipeline import Result

MIN_METRICS_PER_S = 200_000
MIN_RATIO = 0.7
TARGET_METRICS = 100  # the targets are for scans of 100 metrics; 10 is reported beside


def _memory_gib() -> float:
    with open("/proc/meminfo") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal"))
    return kib / 2**20


def _mosquitto() -> str:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    try:
        out = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=5).stdout
    except OSError:
        return "Mosquitto (version unknown)"
    return out.splitlines()[0].replace("mosquitto version", "Mosquitto").strip() if out else "?"


def machine() -> str:
    """Cores, memory and the versions that matter."""
    versions = ", ".join(f"{p} {version(p)}" for p in ("numpy", "duckdb", "protobuf"))
    return (
        f"{os.cpu_count()} cores, {_memory_gib():.1f} GiB memory, {platform.system()}"
        f" {platform.machine()}; Python {platform.python_version()}, {versions}; {_mosquitto()}"
    )


def median_run(results: list[Result]) -> Result:
    """The round with the median ratio (the middle one, not an average of rounds)."""
    ordered = sorted(results, key=lambda r: r.ratio)
    return ordered[(len(ordered) - 1) // 2]


def _m(value: float) -> str:
    return f"{value / 1e6:.2f} M" if value >= 1e6 else f"{value / 1e3:,.0f} k"


def _row(results: list[Result]) -> str:
    r = median_run(results)
    ratios = [x.ratio for x in results]
    spread = f" ({min(ratios):.2f}-{max(ratios):.2f})" if len(results) > 1 else ""
    if r.config.metrics == TARGET_METRICS:
        met = r.stored_metrics_per_s >= MIN_METRICS_PER_S and r.ratio >= MIN_RATIO
        target = f">= 200 k/s and >= 0.7 | {'**met**' if met else '**missed**'}"
    else:
        target = "(reported only) |"
    received = r.host_messages / r.counted if r.counted else 0.0
    return (
        f"| {r.config.metrics} | {_m(r.published_metrics_per_s)} | {_m(r.ceiling_metrics_per_s)}"
        f" | {_m(r.stored_metrics_per_s)} | {r.ratio:.2f}{spread} | {received:.0%}"
        f" | {r.seq_gaps} / {r.rebirths} | {target} |"
    )


def markdown(groups: list[list[Result]], command: str, broker: str) -> str:
    """The report block: one row per metrics-per-message setting, its median round."""
    first = groups[0][0].config
    lines = [
        "## bench/ingest",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}; 1-minute load average {os.getloadavg()[0]:.1f} at the"
        " end (other work on the machine takes CPU from every process of the run)",
        f"- Command: `{command}`",
        f"- Broker: {broker}; QoS 0.",
        f"- Workload: one edge node with {first.devices} devices, Sparkplug B DDATA of N Double"
        " metrics per message (one scan: aliases only, one timestamp), published by a separate"
        f" process as fast as the broker takes it for {first.seconds:g} s per round,"
        f" {len(groups[0])} round(s) per setting; the table shows the round with the median"
        " ratio (all rounds' ratios in brackets).",
        "- Pipeline under test, in the benchmark's process: SparkplugHost -> MemoryBus ->"
        " Recorder -> DuckDBHistorian (exclusive). Metrics/s into the historian = DDATA"
        " samples the historian holds at the end / (flood start to the host's last sample +"
        " the final write). Ceiling = what a minimal subscriber that only counts messages,"
        " in its own process, received of the same stream at the same time, per second.",
        "",
        "| metrics/message | published/s | ceiling (counter)/s | into historian/s | ratio"
        " | host received | seq gaps / rebirths | target | |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---|",
        *(_row(g) for g in groups),
    ]
    return "\n".join(lines)
