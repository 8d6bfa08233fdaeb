"""``shopfloor oee``: OEE and its losses from the history, by machine, line or shift."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from shopfloor.cli.app import ApiOption, DbOption, app, console, err_console, wall_now_s
from shopfloor.cli.history import open_reader
from shopfloor.cli.remote import TOKEN_ENV, ApiClient, remote_oee
from shopfloor.files.samples_csv import open_text
from shopfloor.model.assets import AssetLevel
from shopfloor.model.calendar import Calendar
from shopfloor.model.errors import InputError
from shopfloor.model.plant import Plant
from shopfloor.model.times import format_time, parse_time
from shopfloor.monitor.history_oee import oee_from_history
from shopfloor.monitor.oee import OeeRecord
from shopfloor.sim import plant_or_default
from shopfloor.sim.twin import ideal_cycle_times


class By(StrEnum):
    MACHINE = "machine"
    LINE = "line"
    SHIFT = "shift"


def line_of(plant: Plant) -> dict[str, str]:
    """Each machine's line path (its nearest line above it, else its parent)."""
    result = {}
    for machine in plant.machines():
        holder = plant.parent(machine)
        while holder is not None and holder.level > AssetLevel.LINE:
            holder = plant.parent(holder)
        result[machine.path] = holder.path if holder is not None else machine.path
    return result


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _label(record: OeeRecord, by: By) -> str:
    name = {By.MACHINE: record.machine, By.LINE: record.line, By.SHIFT: record.shift}[by]
    return name.rsplit("/", 1)[-1] if name else "(all)"


def _top_downtime(record: OeeRecord) -> str:
    reasons = record.losses.get("downtime_s", {})
    if not isinstance(reasons, Mapping) or not reasons:
        return ""
    top = sorted(reasons.items(), key=lambda kv: -kv[1])[:2]
    return ", ".join(f"{reason} {seconds / 60:.0f}m" for reason, seconds in top)


def _table(records: list[OeeRecord], by: By) -> Table:
    table = Table(
        by.value,
        "A",
        "P",
        "Q",
        "OEE",
        "good",
        "scrap",
        "down",
        "setup",
        "wait",
        "no data",
        "top downtime",
        caption="times in minutes; A, P, Q after ISO 22400",
    )
    for r in records:
        table.add_row(
            _label(r, by),
            _pct(r.availability),
            _pct(r.performance),
            _pct(r.quality),
            _pct(r.oee),
            str(r.good),
            str(r.scrap),
            f"{r.down_s / 60:.0f}",
            f"{r.setup_s / 60:.0f}",
            f"{r.waiting_s / 60:.0f}",
            f"{r.unknown_s / 60:.0f}",
            _top_downtime(r),
        )
    return table


@app.command()
def oee(
    start: str = typer.Option("-8h", help="Start (inclusive): ISO 8601 or relative, e.g. -1d."),
    end: str = typer.Option("now", help="End (exclusive): ISO 8601 or relative."),
    by: By = typer.Option(By.MACHINE, help="Group by machine, line or shift."),
    plant_file: Path | None = typer.Option(
        None, "--plant", help="Plant file (default: the built-in demo plant)."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write CSV here; '-' for stdout."),
    db: str | None = DbOption,
    api: str | None = ApiOption,
) -> None:
    """OEE (availability x performance x quality) and its losses, after ISO 22400."""
    plant = plant_or_default(plant_file)
    now = wall_now_s()
    start_ns = parse_time(start, now_ns=now, what="--start")
    end_ns = parse_time(end, now_ns=now, what="--end")
    if end_ns <= start_ns:
        raise InputError("--end must be after --start")
    if api is not None:
        client = ApiClient(api, os.environ.get(TOKEN_ENV))
        records = remote_oee(client, start_ns, end_ns, by.value)
    else:
        records = _local_oee(plant, db, start_ns, end_ns, by)
    if out is not None:
        _write_csv(records, out)
        return
    console.print(f"OEE {format_time(start_ns)} to {format_time(end_ns)} by {by.value}")
    console.print(_table(records, by))


def _local_oee(plant: Plant, db: str | None, start_ns: int, end_ns: int, by: By) -> list[OeeRecord]:
    ideal = ideal_cycle_times(plant)
    historian = open_reader(db)
    try:
        return oee_from_history(
            historian,
            machines=[m.path for m in plant.machines() if m.path in ideal],
            ideal_cycle_s=ideal,
            line_of=line_of(plant),
            calendar=Calendar(plant.calendar),
            start_ns=start_ns,
            end_ns=end_ns,
            by=by.value,
        )
    finally:
        historian.close()


def _write_csv(records: list[OeeRecord], out: Path) -> None:
    rows = [r.to_row() for r in records]
    handle = sys.stdout if str(out) == "-" else open_text(out, "w")
    try:
        # Downtime reasons become columns of their own, so take every row's keys.
        fields = list(dict.fromkeys(key for row in rows for key in row)) or ["machine"]
        writer = csv.DictWriter(handle, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)
    finally:
        if handle is not sys.stdout:
            handle.close()
    if str(out) != "-":
        err_console.print(f"wrote {len(rows)} rows to {out}")
