"""A machine's life as run-to-failure rows: interval summaries of its running behaviour.

A *life* runs from a renewal (the machine new, or its worn component replaced) to the next
failure of that component. :class:`LifeLog` turns a machine's rows (``monitor.anomaly.rows``)
into one record per ``interval`` of data time, from the rows in which the machine ran:

- ``running_h``: running hours since the renewal (wear grows with running, not with time);
- ``utilisation``: the share of the interval it ran;
- ``vibration``, ``current``, ``power``: the interval's mean over its running rows, as a
  ratio to the same mean over the first ``baseline`` of running in this life;
- ``temperature``: the difference (in the tag's unit) from the same baseline.

Relative to the machine's own as-new behaviour, so a model learnt on some machine kinds
carries over to others: a worn bearing doubles the vibration of a press and of a mill alike.
Intervals in which the machine did not run make no record. A tag the machine lacks reads as
missing (NaN), which the RUL model's trees take in their stride.

The records form a :class:`~shopfloor.maintenance.runs.RunTable` with time in hours since the
renewal, the layout ``fit_rul`` and ``fit_health`` learn from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shopfloor.maintenance.runs import FloatArray, IntArray, RunTable, from_columns

SIGNALS = ("vibration_rms", "temperature", "motor_current", "power")
"""The tags read, in this order (every twin machine has them)."""
COLUMNS = ("running_h", "utilisation", "vibration", "temperature", "current", "power")
"""The sensor columns of a life's table."""
NS_PER_H = 3600 * 10**9
_RATIO = (True, False, True, True)  # per signal: ratio to baseline, else difference


@dataclass
class LifeLog:
    """Interval records of one machine's current life (see the module text).

    ``start_ns`` is the renewal; ``interval_s`` the record length; ``baseline_s`` the running
    time whose means define as-new; ``period_s`` the length of one row (the clock tag's
    sample period), which turns rows into running time.
    """

    start_ns: int
    interval_s: float = 3600.0
    baseline_s: float = 8 * 3600.0
    period_s: float = 1.0
    running_s: float = 0.0
    baseline_sums: FloatArray = field(default_factory=lambda: np.zeros(len(SIGNALS)))
    baseline_rows: FloatArray = field(default_factory=lambda: np.zeros(len(SIGNALS)))
    baseline: FloatArray | None = None
    bin: int = 0
    sums: FloatArray = field(default_factory=lambda: np.zeros(len(SIGNALS)))
    counts: FloatArray = field(default_factory=lambda: np.zeros(len(SIGNALS)))
    rows_in_bin: int = 0
    times_h: list[float] = field(default_factory=list)
    records: list[list[float]] = field(default_factory=list)

    def add(self, times: IntArray, values: FloatArray, running: np.ndarray) -> int:
        """Take one batch of rows (times, values: rows x SIGNALS, running flags); returns
        how many records were completed."""
        before = len(self.records)
        if not len(times):
            return 0
        interval_ns = round(self.interval_s * 1e9)
        bins = (times - self.start_ns) // interval_ns
        keep = bins >= self.bin
        times, values, running, bins = times[keep], values[keep], running[keep], bins[keep]
        for b in np.unique(bins).tolist():
            if b > self.bin:
                self._close(self.bin)
                self.bin = int(b)
            rows = (bins == b) & running
            self._absorb(values[rows])
        return len(self.records) - before

    def close(self, at_ns: int) -> None:
        """End the life at ``at_ns`` (its failure): the interval in progress makes a last
        record, stamped at the failure."""
        at_h = (at_ns - self.start_ns) / NS_PER_H
        if self.rows_in_bin:
            self._record(at_h)
        # A record of the interval the failure fell in may already stand at its end.
        while self.times_h and self.times_h[-1] > at_h:
            if len(self.times_h) > 1 and self.times_h[-2] >= at_h:
                self.times_h.pop()
                self.records.pop()
            else:
                self.times_h[-1] = at_h
        self.sums, self.counts, self.rows_in_bin = np.zeros(len(SIGNALS)), np.zeros(4), 0

    def table(self, unit: int = 1) -> RunTable:
        """The records so far as a run table of one unit."""
        return life_table([self], units=[unit])

    def _absorb(self, rows: FloatArray) -> None:
        if not len(rows):
            return
        finite = np.isfinite(rows)
        filled = np.where(finite, rows, 0.0)
        if self.baseline is None:
            self.baseline_sums += filled.sum(axis=0)
            self.baseline_rows += finite.sum(axis=0)
        self.sums += filled.sum(axis=0)
        self.counts += finite.sum(axis=0)
        self.rows_in_bin += len(rows)
        self.running_s += len(rows) * self.period_s
        if self.baseline is None and self.running_s >= self.baseline_s:
            with np.errstate(invalid="ignore", divide="ignore"):
                self.baseline = self.baseline_sums / self.baseline_rows

    def _close(self, b: int) -> None:
        if self.rows_in_bin:
            self._record((b + 1) * self.interval_s / 3600.0)
        self.sums, self.counts, self.rows_in_bin = np.zeros(len(SIGNALS)), np.zeros(4), 0

    def _record(self, at_h: float) -> None:
        if self.baseline is None:
            return  # still learning what as-new looks like
        with np.errstate(invalid="ignore", divide="ignore"):
            means = self.sums / self.counts
            relative = np.where(_RATIO, means / self.baseline, means - self.baseline)
        utilisation = min(1.0, self.rows_in_bin * self.period_s / self.interval_s)
        self.times_h.append(at_h)
        self.records.append([self.running_s / 3600.0, utilisation, *relative.tolist()])

    def save_state(self) -> dict[str, Any]:
        """JSON-compatible state (NaN written as null)."""
        return {
            "start_ns": self.start_ns,
            "running_s": self.running_s,
            "baseline_sums": _listed(self.baseline_sums),
            "baseline_rows": _listed(self.baseline_rows),
            "baseline": None if self.baseline is None else _listed(self.baseline),
            "bin": self.bin,
            "sums": _listed(self.sums),
            "counts": _listed(self.counts),
            "rows_in_bin": self.rows_in_bin,
            "times_h": self.times_h,
            "records": [_listed(np.asarray(r)) for r in self.records],
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], *, interval_s: float, baseline_s: float, period_s: float
    ) -> LifeLog:
        """The log :meth:`save_state` described, with the given settings."""
        baseline = state["baseline"]
        return cls(
            start_ns=int(state["start_ns"]),
            interval_s=interval_s,
            baseline_s=baseline_s,
            period_s=period_s,
            running_s=float(state["running_s"]),
            baseline_sums=_array(state["baseline_sums"]),
            baseline_rows=_array(state["baseline_rows"]),
            baseline=None if baseline is None else _array(baseline),
            bin=int(state["bin"]),
            sums=_array(state["sums"]),
            counts=_array(state["counts"]),
            rows_in_bin=int(state["rows_in_bin"]),
            times_h=[float(t) for t in state["times_h"]],
            records=[_array(r).tolist() for r in state["records"]],
        )


def life_table(lives: Sequence[LifeLog], units: Sequence[int] | None = None) -> RunTable:
    """The records of several lives as one run table, one unit per life (empty lives left
    out); ``units`` numbers them (default 1, 2, ...)."""
    numbers = list(units) if units is not None else list(range(1, len(lives) + 1))
    kept = [(n, life) for n, life in zip(numbers, lives, strict=True) if life.records]
    if not kept:
        empty = np.zeros((0, len(COLUMNS)))
        return from_columns(
            np.zeros(0, np.int64), np.zeros(0), np.zeros((0, 0)), empty, (), COLUMNS
        )
    return from_columns(
        np.concatenate([np.full(len(life.records), n, np.int64) for n, life in kept]),
        np.concatenate([np.asarray(life.times_h) for _, life in kept]),
        np.zeros((sum(len(life.records) for _, life in kept), 0)),
        np.vstack([np.asarray(life.records, dtype=np.float64) for _, life in kept]),
        (),
        COLUMNS,
    )


def _listed(values: FloatArray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in values.tolist()]


def _array(values: list[float | None]) -> FloatArray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
