"""``shopfloor history`` and ``shopfloor import``: samples out of and into the historian."""

from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from shopfloor.cli.app import (
    ApiOption,
    DbOption,
    app,
    console,
    default_db,
    err_console,
    open_db,
    progress_bar,
    shown_db,
    wall_now_s,
)
from shopfloor.cli.remote import TOKEN_ENV, ApiClient, remote_history
from shopfloor.files.samples_csv import open_text, read_samples_csv, write_samples_csv
from shopfloor.historian import Aggregate, Downsampled, Historian
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.errors import InputError
from shopfloor.model.namespace import Pattern
from shopfloor.model.quality import StatusCode
from shopfloor.model.times import format_times, parse_time, positive_duration_ns


def _pattern(text: str) -> Pattern:
    try:
        return Pattern(text.strip("/"))
    except ValueError as exc:
        raise InputError(f"path {text!r}: {exc}") from None


def open_reader(db: str | None) -> Historian:
    location = db or default_db()
    if "://" not in location and not Path(location).exists():
        raise InputError(f"--db {location}: no such database file")
    return open_db(location, read_only=True)


def _downsampled_batch(result: Downsampled, agg: Aggregate) -> SampleBatch:
    values = result.columns[agg]
    return SampleBatch(
        paths=result.paths,
        tag=result.tag,
        source_ns=result.bucket_ns,
        receive_ns=result.bucket_ns,
        status=np.full(len(result), StatusCode.GOOD, np.uint32),
        value=values,
    )


@app.command()
def history(
    path: str = typer.Argument(
        ..., help="Tag path or pattern: '+' matches one level, '#' the rest."
    ),
    start: str = typer.Option("-1h", help="Start (inclusive): ISO 8601 or relative, e.g. -8h."),
    end: str = typer.Option("now", help="End (exclusive): ISO 8601 or relative."),
    every: str | None = typer.Option(
        None, help="Downsample into buckets of this duration (e.g. 1m); raw samples without it."
    ),
    agg: Aggregate = typer.Option(Aggregate.MEAN, help="Aggregate per bucket, with --every."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write CSV (timestamp,path,value,quality) here; '-' for stdout."
    ),
    limit: int = typer.Option(1000, min=1, help="Most rows shown in the table (CSV has all)."),
    db: str | None = DbOption,
    api: str | None = ApiOption,
) -> None:
    """Show a tag's history as a table, or write it as CSV."""
    now = wall_now_s()
    selector = _pattern(path)
    start_ns = parse_time(start, now_ns=now, what="--start")
    end_ns = parse_time(end, now_ns=now, what="--end")
    if end_ns <= start_ns:
        raise InputError("--end must be after --start")
    every_ns = positive_duration_ns(every, what="--every") if every else None
    if api is not None:
        client = ApiClient(api, os.environ.get(TOKEN_ENV))
        batches = remote_history(client, selector.text, start_ns, end_ns, every, agg.value)
    else:
        historian = open_reader(db)
        try:
            batches = _query(historian, selector, start_ns, end_ns, every_ns, agg)
        finally:
            historian.close()
    if out is None:
        _print_table(batches, limit)
        return
    _write_csv(batches, out)


def _query(
    historian: Historian,
    selector: Pattern,
    start_ns: int,
    end_ns: int,
    every_ns: int | None,
    agg: Aggregate,
) -> list[SampleBatch | TextBatch]:
    if every_ns is not None:
        if (end_ns - start_ns) // every_ns > 1_000_000:
            raise InputError("--every gives more than 1,000,000 buckets; choose a longer one")
        down = historian.downsample(selector, start_ns, end_ns, every_ns, [agg])
        return [_downsampled_batch(down, agg)]
    return [
        historian.raw(selector, start_ns, end_ns),
        historian.raw_text(selector, start_ns, end_ns),
    ]


def _write_csv(batches: list[SampleBatch | TextBatch], out: Path) -> None:
    context = nullcontext(sys.stdout) if str(out) == "-" else open_text(out, "w")
    with context as handle:
        rows = write_samples_csv(handle, batches)
    if str(out) != "-":
        err_console.print(f"wrote {rows} rows to {out}")


def _print_table(batches: list[SampleBatch | TextBatch], limit: int) -> None:
    total = sum(len(b) for b in batches)
    if total == 0:
        err_console.print("no samples in that range")
        return
    table = Table("timestamp", "path", "value", "quality")
    shown = 0
    for batch in batches:
        part = batch.take(np.arange(min(len(batch), limit - shown)))
        texts = format_times(part.source_ns)
        for ts, sample in zip(texts, part.samples(), strict=True):
            table.add_row(ts, sample.path, _show(sample.value), sample.quality.label)
        shown += len(part)
    console.print(table)
    if total > shown:
        err_console.print(f"{total - shown} more rows not shown; use --out FILE for all of them")


def _show(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.6g}"


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="CSV with timestamp,path,value[,quality]; .gz allowed."),
    db: str | None = DbOption,
) -> None:
    """Import a CSV of samples into the historian (all rows, or none if any is invalid)."""
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    with progress_bar(total_bytes=True) as bar:
        task = bar.add_task(f"reading {file.name}", total=file.stat().st_size)
        parsed = read_samples_csv(file, progress=lambda done: bar.update(task, completed=done))
    location = db or default_db()
    historian = open_db(location)
    try:
        historian.append(parsed.numeric)
        historian.append_text(parsed.text)
        historian.flush()
    finally:
        historian.close()
    paths = len(parsed.numeric.paths) + len(parsed.text.paths)
    console.print(f"imported {len(parsed)} samples of {paths} tags into {shown_db(location)}")
