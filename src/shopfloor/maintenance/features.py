"""Windowed features of normalised sensor histories, one feature row per cycle.

For every cycle of every unit, each sensor gives its last value, its mean and least-squares
slope over the last few cycles for several window lengths, its spread over one window, and
how far its recent mean has moved from the unit's own first cycles (engines start with
different amounts of wear, so the change is more telling than the level). Windows are cut at
the unit's first cycle, so a short history gives the same features a long one would, from
fewer points. Everything is computed with cumulative sums over the whole table at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shopfloor.maintenance.runs import FloatArray, IntArray, RunTable


@dataclass(frozen=True)
class FeatureSettings:
    """Which windows to compute; part of a saved model."""

    windows: tuple[int, ...] = (5, 10, 20, 30)
    spread_window: int = 10
    baseline: int = 10
    with_time: bool = True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {
            "windows": list(self.windows),
            "spread_window": self.spread_window,
            "baseline": self.baseline,
            "with_time": self.with_time,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSettings:
        """The inverse of :meth:`to_dict`."""
        return cls(
            tuple(int(w) for w in data["windows"]),
            int(data["spread_window"]),
            int(data["baseline"]),
            bool(data["with_time"]),
        )


@dataclass(frozen=True)
class _Sums:
    """Prefix sums over the table (with a leading zero row) and each row's unit start."""

    start: IntArray
    position: FloatArray
    z: FloatArray = field(repr=False)
    zz: FloatArray = field(repr=False)
    xz: FloatArray = field(repr=False)
    x: FloatArray = field(repr=False)
    xx: FloatArray = field(repr=False)


def feature_names(settings: FeatureSettings, sensors: tuple[str, ...]) -> list[str]:
    """The name of each column :func:`window_features` returns, in order."""
    names = ["time"] if settings.with_time else []
    names += [f"{s}_last" for s in sensors]
    for w in settings.windows:
        names += [f"{s}_mean{w}" for s in sensors]
        names += [f"{s}_slope{w}" for s in sensors]
    names += [f"{s}_std{settings.spread_window}" for s in sensors]
    names += [f"{s}_drift" for s in sensors]
    return names


def window_features(table: RunTable, z: FloatArray, settings: FeatureSettings) -> FloatArray:
    """Features of every row of ``table``; ``z`` holds its normalised sensors (rows, sensors)."""
    sums = _prefix_sums(table, z)
    rows = np.arange(len(z), dtype=np.int64)
    columns = [table.times[:, None]] if settings.with_time else []
    columns.append(z)
    for w in settings.windows:
        first = np.maximum(sums.start, rows + 1 - w)
        columns.append(_mean(sums, first, rows + 1))
        columns.append(_slope(sums, first, rows + 1))
    first = np.maximum(sums.start, rows + 1 - settings.spread_window)
    columns.append(_std(sums, first, rows + 1))
    columns.append(_drift(sums, rows, settings.baseline))
    return np.asarray(np.hstack(columns), dtype=np.float64)


def _prefix_sums(table: RunTable, z: FloatArray) -> _Sums:
    bounds = table.unit_bounds()
    start = np.repeat(bounds[:-1], np.diff(bounds))
    # Positions count from each unit's start so that the sums stay small and exact.
    x = (np.arange(len(z)) - start).astype(np.float64)[:, None]

    def prefix(values: FloatArray) -> FloatArray:
        out = np.zeros((values.shape[0] + 1, values.shape[1]))
        np.cumsum(values, axis=0, out=out[1:])
        return out

    return _Sums(start, x[:, 0], prefix(z), prefix(z * z), prefix(x * z), prefix(x), prefix(x * x))


def _window(prefix: FloatArray, first: IntArray, stop: IntArray) -> FloatArray:
    return np.asarray(prefix[stop] - prefix[first], dtype=np.float64)


def _mean(sums: _Sums, first: IntArray, stop: IntArray) -> FloatArray:
    count = (stop - first).astype(np.float64)[:, None]
    return _window(sums.z, first, stop) / count


def _slope(sums: _Sums, first: IntArray, stop: IntArray) -> FloatArray:
    """Least-squares slope per cycle; zero where the window holds a single point."""
    n = (stop - first).astype(np.float64)[:, None]
    sx, sxx = _window(sums.x, first, stop), _window(sums.xx, first, stop)
    sz, sxz = _window(sums.z, first, stop), _window(sums.xz, first, stop)
    denominator = n * sxx - sx * sx
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, (n * sxz - sx * sz) / safe, 0.0)


def _std(sums: _Sums, first: IntArray, stop: IntArray) -> FloatArray:
    n = (stop - first).astype(np.float64)[:, None]
    mean = _window(sums.z, first, stop) / n
    variance = _window(sums.zz, first, stop) / n - mean * mean
    return np.sqrt(np.maximum(variance, 0.0))


def _drift(sums: _Sums, rows: IntArray, baseline: int) -> FloatArray:
    """Recent mean minus the mean of the unit's first ``baseline`` cycles seen so far."""
    early_stop = np.minimum(sums.start + baseline, rows + 1)
    recent_first = np.maximum(sums.start, rows + 1 - baseline)
    return _mean(sums, recent_first, rows + 1) - _mean(sums, sums.start, early_stop)
