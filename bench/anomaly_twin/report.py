"""The anomaly-on-the-twin report: a markdown block and a JSON document."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
from typing import TYPE_CHECKING, Any

from bench.anomaly_twin.score import Judgement
from shopfloor.model.spec_anomaly import AnomalySpec

if TYPE_CHECKING:
    from bench.anomaly_twin.run import SeedRun


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f} %"


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} h ({value / 24:.1f} d)" if value >= 48 else f"{value:.1f} h"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _row(label: str, against: str, j: Judgement) -> str:
    return (
        f"| {label} | {against} | {j.failures} | {j.warned} ({_pct(j.warned_share)})"
        f" | {_hours(j.lead_quantile_h(0.5))} | {_hours(j.lead_quantile_h(0.1))}"
        f" | {j.warnings} | {j.false} | {j.open} | {_rate(j.false_per_machine_day)} |"
    )


def settings_text(spec: AnomalySpec) -> str:
    """The detector settings in one line."""
    d = spec.defaults
    detectors = ", ".join(x.name for x in d.detectors)
    alarm = "none" if d.alarm is None else f"severity {d.alarm.severity:g}"
    states = ", ".join(s.value for s in d.states) or "every state"
    return (
        f"detectors {detectors}; training {d.training / 3600:g} h in {states}; "
        f"{d.alarms_per_day:g} false alarm/day budget; sustained: {100 * d.sustain.share:g} % "
        f"of {d.sustain.window:g} s; ends after {d.end_after:g} s; alarm {alarm}"
    )


def markdown(
    judged: dict[str, dict[str, Judgement]],
    runs: list[SeedRun],
    spec: AnomalySpec,
    command: str,
    args: argparse.Namespace,
    load: tuple[float, float],
) -> str:
    """The report, headed ``## bench/anomaly_twin``."""
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    days = (runs[0].end_ns - runs[0].start_ns) / 86_400e9
    wall = sum(r.wall_s for r in runs)
    samples = sum(r.samples for r in runs)
    lines = [
        "## bench/anomaly_twin",
        "",
        f"- Command: `{command}`",
        f"- Date: {date}; {os.cpu_count()} cores, Python {platform.python_version()};"
        f" load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after",
        f"- Twin: default plant, {len(runs[0].machines)} machines, {days:g} simulated days"
        f" x seeds {', '.join(str(r.seed) for r in runs)}, wear acceleration"
        f" {args.wear_acceleration:g}; {samples / 1e6:,.0f} M samples through the bus in"
        f" {wall:,.0f} s ({samples / max(wall, 1e-9) / 1e6:.1f} M samples/s, twin included)",
        f"- Detection: {settings_text(spec)}",
        f"- Judged from the end of training to the end of each run; window {args.window}",
        "",
        "| signal | failures | n | warned before (share) | lead median | lead 10th pct"
        " | warnings | false | open | false / machine-day |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {"warnings": "alarm (warning)", "notices": "anomaly.start (notice)"}
    for name, label in labels.items():
        for against in ("wear", "all"):
            lines.append(_row(label, against, judged[name][against]))
    lines += [
        "",
        "*warnings*: the machine's anomaly tag reaching alarm level (what raises the ISA-18.2"
        " alarm); *notices*: every sustained anomaly. Against *wear*, a warning followed only"
        " by a random fault is false; against *all*, any failure within the window makes it"
        " true. *open*: a window reaching past the end of the run, not judged.",
    ]
    return "\n".join(lines)


def document(
    judged: dict[str, dict[str, Judgement]],
    runs: list[SeedRun],
    spec: AnomalySpec,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The results as JSON-ready data."""
    return {
        "settings": spec.model_dump(mode="json"),
        "window": args.window,
        "wear_acceleration": args.wear_acceleration,
        "seeds": [
            {
                "seed": r.seed,
                "days": (r.end_ns - r.start_ns) / 86_400e9,
                "wall_s": round(r.wall_s, 2),
                "failures": [
                    {"machine": f.machine, "time_ns": f.time_ns, "kind": f.kind} for f in r.failures
                ],
                "warnings": r.warnings,
                "notices": r.notices,
            }
            for r in runs
        ],
        "results": {
            name: {against: j.to_dict() for against, j in by.items()} for name, by in judged.items()
        },
    }
