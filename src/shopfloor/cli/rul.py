"""``shopfloor rul``: train, apply and score remaining-useful-life models.

Inputs may be plain or gzip-compressed: NASA C-MAPSS text files (``--format cmapss``) or any
run-to-failure CSV with a header (``--format csv``), whose unit, time and operating-setting
columns are named by options and whose other numeric columns are sensors.
"""

from __future__ import annotations

import csv
import gzip
from enum import StrEnum
from pathlib import Path
from typing import IO

import numpy as np
import typer

from shopfloor.cli.app import app, console, progress_bar
from shopfloor.maintenance import (
    RulSettings,
    RunTable,
    fit_rul,
    interval_coverage,
    load_model,
    nasa_score,
    open_text_file,
    read_cmapss,
    read_run_csv,
    rmse,
)
from shopfloor.maintenance.runs import FloatArray, IntArray
from shopfloor.model.errors import InputError

rul_app = typer.Typer(
    help="Remaining useful life: train models, predict with intervals, score predictions.",
    no_args_is_help=True,
)
app.add_typer(rul_app, name="rul")


class Format(StrEnum):
    CMAPSS = "cmapss"
    CSV = "csv"


FormatOption = typer.Option(Format.CMAPSS, "--format", help="Input file format.")
UnitOption = typer.Option("unit", "--unit-col", help="CSV: the unit (asset) column.")
TimeOption = typer.Option("time", "--time-col", help="CSV: the time or cycle column.")
SettingsOption = typer.Option(
    "", "--setting-cols", help="CSV: comma-separated operating-setting columns (none: one regime)."
)


def read_table(file: Path, fmt: Format, unit: str, time: str, settings: str) -> RunTable:
    """Read an input file in the chosen format."""
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    if fmt is Format.CMAPSS:
        return read_cmapss(file)
    names = [n.strip() for n in settings.split(",") if n.strip()]
    return read_run_csv(file, unit_column=unit, time_column=time, setting_columns=names)


@rul_app.command("train")
def train(
    train_file: Path = typer.Option(..., "--train", help="Run-to-failure training data."),
    model_file: Path = typer.Option(..., "--model", help="Where to write the model (JSON)."),
    fmt: Format = FormatOption,
    unit: str = UnitOption,
    time: str = TimeOption,
    settings: str = SettingsOption,
    rounds: int = typer.Option(RulSettings().rounds, "--rounds", min=1, help="Boosting rounds."),
    seed: int = typer.Option(0, "--seed", help="Seed for the calibration split and the trees."),
    threads: int = typer.Option(
        RulSettings().threads, "--threads", min=1, help="CPU threads; 1 on a busy machine."
    ),
) -> None:
    """Train a model; each unit's last row is taken as its failure."""
    table = read_table(train_file, fmt, unit, time, settings)
    with progress_bar() as bar:
        task = bar.add_task(f"training on {train_file.name}", total=None)
        model = fit_rul(
            table,
            RulSettings(rounds=rounds, seed=seed, threads=threads),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    model.save(model_file)
    console.print(
        f"{model_file}: trained on {len(table.unit_ids())} units, {len(table.units)} cycles, "
        f"{model.normaliser.regimes} operating regime(s), "
        f"{int(model.normaliser.keep.sum())} of {len(table.sensor_names)} sensors kept"
    )


@rul_app.command("predict")
def predict(
    model_file: Path = typer.Option(..., "--model", help="A model written by 'rul train'."),
    input_file: Path = typer.Option(..., "--input", help="Histories of the units to predict."),
    out: Path = typer.Option(..., "--out", help="Predictions CSV (.gz: compressed)."),
    fmt: Format = FormatOption,
    unit: str = UnitOption,
    time: str = TimeOption,
    settings: str = SettingsOption,
) -> None:
    """Predict each unit's remaining life at its last cycle, with the interval."""
    model = load_model(model_file)
    prediction = model.predict(read_table(input_file, fmt, unit, time, settings))
    with _open_out(out) as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit", "rul", "lower", "upper"])
        columns = (prediction.units, prediction.rul, prediction.lower, prediction.upper)
        for u, rul, low, high in zip(*columns, strict=True):
            writer.writerow([int(u), f"{rul:.2f}", f"{low:.2f}", f"{high:.2f}"])
    console.print(f"{out}: {len(prediction.units)} units predicted")


@rul_app.command("evaluate")
def evaluate(
    pred: Path = typer.Option(..., "--pred", help="Predictions written by 'rul predict'."),
    truth: Path = typer.Option(
        ..., "--truth", help="True RUL: a C-MAPSS RUL file (line i: unit i) or a unit,rul CSV."
    ),
) -> None:
    """Score predictions: RMSE, NASA score and how often the interval held the truth."""
    units, predicted, lower, upper = _read_predictions(pred)
    true = _truth_for(truth, units)
    console.print(f"units: {len(units)}")
    console.print(f"RMSE: {rmse(predicted, true):.2f}")
    console.print(f"NASA score: {nasa_score(predicted, true):.1f}")
    console.print(f"interval coverage: {100 * interval_coverage(true, lower, upper):.1f} %")


def _open_out(path: Path) -> IO[str]:
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "wt", newline="", encoding="utf-8")
        return path.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def _read_predictions(path: Path) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    rows = _csv_rows(path)
    try:
        units = np.array([int(r["unit"]) for r in rows], dtype=np.int64)
        values = [np.array([float(r[c]) for r in rows]) for c in ("rul", "lower", "upper")]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: needs numeric columns unit, rul, lower, upper") from exc
    return units, values[0], values[1], values[2]


def _truth_for(path: Path, units: IntArray) -> FloatArray:
    """The true RUL of each unit, from a unit,rul CSV or a C-MAPSS list."""
    with open_text_file(path) as handle:
        first = handle.readline()
    if "unit" in first:
        rows = _csv_rows(path)
        try:
            known = {int(r["unit"]): float(r["rul"]) for r in rows}
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: needs numeric columns unit and rul") from exc
    else:
        with open_text_file(path) as handle:
            try:
                values = [float(line) for line in handle if line.strip()]
            except ValueError as exc:
                raise InputError(f"{path}: expected one number per line ({exc})") from exc
        known = {i: v for i, v in enumerate(values, start=1)}
    missing = [int(u) for u in units if int(u) not in known]
    if missing:
        raise InputError(f"{path}: no true RUL for unit {missing[0]} ({len(missing)} missing)")
    return np.array([known[int(u)] for u in units], dtype=np.float64)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with open_text_file(path) as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise InputError(f"{path}: no rows")
    return rows
