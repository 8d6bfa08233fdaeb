"""The health-and-RUL-on-the-twin report: a markdown block for ``docs/benchmarks.md``."""

from __future__ import annotations

import datetime as dt
import os
import platform
from typing import TYPE_CHECKING, Any

from bench.anomaly_twin.score import Judgement
from shopfloor.model.spec_maintenance import MaintenanceSpec

if TYPE_CHECKING:
    from bench.rul_twin.run import Judged


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f} %"


def _row(name: str, j: Judgement, twice: Judgement) -> str:
    return (
        f"| {name} | {j.failures} | {j.warned} ({_pct(j.warned_share)})"
        f" | {_num(j.lead_quantile_h(0.5))} h | {_num(j.lead_quantile_h(0.1))} h"
        f" | {j.warnings} | {j.false} ({j.open} open) | {twice.false} ({twice.open} open) |"
    )


def markdown(
    near: dict[str, Any],
    judged: dict[str, Judgement],
    twice: dict[str, Judgement],
    runs: list[Judged],
    spec: MaintenanceSpec,
    command: str,
    load: tuple[float, float],
) -> str:
    """The report, headed ``## bench/rul_twin``."""
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    days = (runs[0].end_ns - runs[0].start_ns) / 86_400e9
    model = spec.model or "built-in twin model (learnt on seeds 11-16)"
    lines = [
        "## bench/rul_twin",
        "",
        f"- Command: `{command}`",
        f"- Date: {date}; {os.cpu_count()} cores, Python {platform.python_version()};"
        f" load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after",
        f"- Twin: default plant, {len(runs[0].machines)} machines, {days:g} simulated days x"
        f" seeds {', '.join(str(r.seed) for r in runs)}, plain wear; the live health service"
        f" on the bus, {sum(r.wall_s for r in runs):,.0f} s in all",
        f"- Model: {model}; estimates every {spec.interval / 3600:g} h; warning horizon"
        f" {spec.horizon / 3600:g} h, on the interval's {spec.warn_on} bound",
        "",
        "| RUL in the last 48 h before a wear failure | value |",
        "|---|---:|",
        f"| estimates | {near['estimates']} |",
        f"| MAE | {_num(near['mae_h'])} h |",
        f"| RMSE | {_num(near['rmse_h'])} h |",
        f"| bias (estimate - truth) | {_num(near['bias_h'])} h |",
        f"| 90 % interval coverage | {_pct(near['coverage'])} |",
        "",
        "| warning rule | wear failures | warned before (share) | lead median"
        " | lead 10th pct | warnings | not followed by a failure within the horizon"
        " | ... within twice the horizon |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(_row(name, j, twice[name]) for name, j in judged.items()),
        "",
        "*warned before*: a warning earlier in the life the failure ends; *not followed*: no"
        " wear failure of the machine within the horizon after the warning; *open*: the"
        " horizon reaches past the end of the run. The rule marked"
        " live raised the `maintenance.warning` events; the other is derived from the stored"
        " estimates.",
    ]
    return "\n".join(lines)
