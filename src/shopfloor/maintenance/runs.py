"""Run-to-failure tables and their readers (NASA C-MAPSS text files and generic CSV).

A :class:`RunTable` holds one row per unit and cycle, sorted by unit and then time, with the
operating settings and the sensor readings as float arrays. Files may be plain or
gzip-compressed; the compression is recognised by its magic bytes, not by the file name.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from shopfloor.model.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

CMAPSS_SETTINGS = ("setting_1", "setting_2", "setting_3")
CMAPSS_SENSORS = tuple(f"sensor_{i}" for i in range(1, 22))


@dataclass(frozen=True)
class RunTable:
    """Cycles of several units, sorted by unit then time.

    ``units`` and ``times`` have one entry per row; ``settings`` is (rows, settings) and
    ``sensors`` is (rows, sensors). A table may have no settings (one operating regime).
    """

    units: IntArray
    times: FloatArray
    settings: FloatArray
    sensors: FloatArray
    setting_names: tuple[str, ...]
    sensor_names: tuple[str, ...]

    def unit_bounds(self) -> IntArray:
        """Row index where each unit starts, with the row count appended (length units + 1)."""
        changes = np.flatnonzero(np.diff(self.units)) + 1
        return np.concatenate(([0], changes, [len(self.units)])).astype(np.int64)

    def unit_ids(self) -> IntArray:
        """The units in table order."""
        return self.units[self.unit_bounds()[:-1]]

    def last_rows(self) -> IntArray:
        """Row index of each unit's last cycle."""
        return self.unit_bounds()[1:] - 1

    def rul(self) -> FloatArray:
        """Remaining cycles to the unit's last row, for run-to-failure (training) tables."""
        bounds = self.unit_bounds()
        last_time = np.repeat(self.times[bounds[1:] - 1], np.diff(bounds))
        return np.asarray(last_time - self.times, dtype=np.float64)

    def select_units(self, keep: Sequence[int] | IntArray) -> RunTable:
        """The rows of the given units only (order of the table kept)."""
        mask = np.isin(self.units, np.asarray(keep, dtype=np.int64))
        return self.rows(np.flatnonzero(mask))

    def rows(self, index: IntArray) -> RunTable:
        """A table of the given rows, which must keep each unit's rows together and in order."""
        return RunTable(
            self.units[index],
            self.times[index],
            self.settings[index],
            self.sensors[index],
            self.setting_names,
            self.sensor_names,
        )


def from_columns(
    units: IntArray,
    times: FloatArray,
    settings: FloatArray,
    sensors: FloatArray,
    setting_names: Sequence[str],
    sensor_names: Sequence[str],
) -> RunTable:
    """A :class:`RunTable` from unsorted columns; rows are sorted by unit and time."""
    order = np.lexsort((times, units))
    return RunTable(
        units[order].astype(np.int64),
        times[order].astype(np.float64),
        settings[order].astype(np.float64).reshape(len(order), len(setting_names)),
        sensors[order].astype(np.float64),
        tuple(setting_names),
        tuple(sensor_names),
    )


def open_text_file(path: Path) -> IO[str]:
    """Open ``path`` for reading text, decompressing gzip when the file starts with its magic."""
    try:
        with path.open("rb") as probe:
            magic = probe.read(2)
        if magic == b"\x1f\x8b":
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
        return path.open("r", encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def read_cmapss(path: Path) -> RunTable:
    """Read a C-MAPSS ``train_FD00k`` or ``test_FD00k`` file (26 numbers a line)."""
    try:
        with open_text_file(path) as handle:
            data = np.loadtxt(handle, dtype=np.float64, ndmin=2)
    except (ValueError, EOFError, OSError) as exc:
        raise InputError(f"{path}: not a C-MAPSS file ({exc})") from exc
    if data.shape[0] == 0 or data.shape[1] != 26:
        raise InputError(f"{path}: expected 26 numbers per line, found {data.shape[1]}")
    return from_columns(
        data[:, 0].astype(np.int64),
        data[:, 1],
        data[:, 2:5],
        data[:, 5:],
        CMAPSS_SETTINGS,
        CMAPSS_SENSORS,
    )


def read_cmapss_truth(path: Path) -> FloatArray:
    """Read a C-MAPSS ``RUL_FD00k`` file: line i is the true RUL of test unit i."""
    try:
        with open_text_file(path) as handle:
            values = np.loadtxt(handle, dtype=np.float64, ndmin=1)
    except (ValueError, EOFError, OSError) as exc:
        raise InputError(f"{path}: not a RUL file ({exc})") from exc
    return np.asarray(values, dtype=np.float64)


def read_run_csv(
    path: Path,
    *,
    unit_column: str = "unit",
    time_column: str = "time",
    setting_columns: Sequence[str] = (),
) -> RunTable:
    """Read a run-to-failure CSV with a header; every other numeric column is a sensor.

    Columns that are not all numbers (a serial number, a label) are ignored.
    """
    with open_text_file(path) as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise InputError(f"{path}: no data rows")
    header = [name.strip() for name in rows[0]]
    for name in (unit_column, time_column, *setting_columns):
        if name not in header:
            raise InputError(f"{path}: no column named {name!r} (columns: {', '.join(header)})")
    columns = _numeric_columns(path, header, rows[1:])
    for name in (unit_column, time_column, *setting_columns):
        if name not in columns:
            raise InputError(f"{path}: column {name!r} holds values that are not numbers")
    special = {unit_column, time_column, *setting_columns}
    settings = (
        np.column_stack([columns[n] for n in setting_columns])
        if setting_columns
        else np.zeros((len(rows) - 1, 0))
    )
    sensor_names = [name for name in header if name in columns and name not in special]
    if not sensor_names:
        raise InputError(f"{path}: no numeric sensor columns besides unit, time and settings")
    return from_columns(
        columns[unit_column].astype(np.int64),
        columns[time_column],
        settings,
        np.column_stack([columns[n] for n in sensor_names]),
        setting_columns,
        sensor_names,
    )


def _numeric_columns(path: Path, header: list[str], rows: list[list[str]]) -> dict[str, FloatArray]:
    """Each column whose every cell parses as a number, as floats."""
    width = len(header)
    for line, row in enumerate(rows, start=2):
        if len(row) != width:
            raise InputError(f"{path}: line {line} has {len(row)} fields, the header {width}")
    result = {}
    for index, name in enumerate(header):
        try:
            result[name] = np.array([float(row[index]) for row in rows], dtype=np.float64)
        except ValueError:
            continue
    return result
