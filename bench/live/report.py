"""The benchmark's report: a markdown block for ``docs/benchmarks.md``."""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib.metadata import version

import numpy as np

from bench.live.browser import BrowserResult
from bench.live.fanout import FanoutResult

BROWSER_P95_MS = 250.0
FANOUT_P95_MS = 500.0


def machine() -> str:
    """Cores, memory and the versions that matter."""
    with open("/proc/meminfo") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal"))
    packages = ("fastapi", "uvicorn", "websockets", "playwright")
    versions = ", ".join(f"{p} {version(p)}" for p in packages)
    return (
        f"{os.cpu_count()} cores ({platform.machine()}), {kib / 2**20:.1f} GiB memory, "
        f"{platform.system()}; Python {platform.python_version()}, {versions}"
    )


def percentiles_ms(values_ns: list[int]) -> tuple[float, float, float, float]:
    """p50, p95, p99 and the maximum, in milliseconds (NaN without values)."""
    if not values_ns:
        return (float("nan"),) * 4
    ms = np.asarray(values_ns, dtype=np.float64) / 1e6
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return float(p50), float(p95), float(p99), float(ms.max())


def verdict(p95_ms: float, target_ms: float) -> str:
    return "**met**" if p95_ms <= target_ms else "**missed**"


def browser_rows(result: BrowserResult) -> list[str]:
    rows = []
    for name, values in (("in the DOM", result.in_dom_ns), ("painted", result.painted_ns)):
        p50, p95, p99, top = percentiles_ms(values)
        rows.append(
            f"| bus → browser, {name} | 1 page | {len(values):,} of {result.probes_sent:,} "
            f"| {p50:.1f} | **{p95:.1f}** | {p99:.1f} | {top:.1f} | | "
            f"≤ {BROWSER_P95_MS:.0f} ms: {verdict(p95, BROWSER_P95_MS)} |"
        )
    return rows


def fanout_row(result: FanoutResult) -> str:
    t = result.tally
    p50, p95, p99, top = percentiles_ms(t.latencies_ns)
    expected = result.probes_sent * result.clients
    cpu = 100 * result.server_cpu_s / result.window_s
    return (
        f"| bus → WebSocket client | {result.connected:,} subscribers "
        f"| {len(t.latencies_ns):,} of {expected:,} | {p50:.1f} | **{p95:.1f}** | {p99:.1f} "
        f"| {top:.1f} | {cpu:.0f} % | ≤ {FANOUT_P95_MS:.0f} ms: {verdict(p95, FANOUT_P95_MS)} |"
    )


def fanout_notes(result: FanoutResult) -> list[str]:
    t = result.tally
    a50, a95, _, _ = percentiles_ms(t.ages_ns)
    rate = t.messages / result.window_s
    return [
        f"- Fan-out traffic: {rate:,.0f} messages/s and {t.bytes / result.window_s / 2**20:,.1f}"
        f" MiB/s of JSON delivered to {result.connected:,} subscribers (permessage-deflate "
        f"{'offered' if result.deflate else 'off'}); {t.dropped:,} messages dropped by the hub "
        f"for slow subscribers; {t.failed:,} subscribers failed.",
        f"- Server CPU {result.server_cpu_s:.1f} s in {result.window_s:.1f} s "
        f"({100 * result.server_cpu_s / result.window_s:.0f} % of one core); the client "
        f"process {result.client_cpu_s:.1f} s ({100 * result.client_cpu_s / result.window_s:.0f}"
        " % of one core).",
        f"- Age of the newest twin sample in each message on arrival (10 subscribers): p50 "
        f"{a50:.0f} ms, p95 {a95:.0f} ms. The twin samples each tag once a second and "
        "publishes a second's samples at the next 0.25 s tick, so this age starts at 250 ms "
        "before any transport; the probe measures the transport alone.",
    ]


def markdown(
    command: str,
    load: tuple[float, float],
    browser: BrowserResult | None,
    fanout: FanoutResult | None,
) -> str:
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## bench/live",
        "",
        f"- Date: {date}",
        f"- Machine: {machine()}; 1-minute load average {load[0]:.2f} before, {load[1]:.2f} after",
        f"- Command: `{command}`",
        "",
        "| path | clients | probes seen | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) "
        "| server CPU | target (p95) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    if browser is not None:
        lines += browser_rows(browser)
    if fanout is not None:
        lines += [fanout_row(fanout), "", *fanout_notes(fanout)]
    return "\n".join(lines)
