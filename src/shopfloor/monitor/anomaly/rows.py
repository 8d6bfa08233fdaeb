"""A machine's rows from asynchronous tags: what a multivariate detector scores.

Tags of one machine arrive at different rates and times: analog signals every second,
counters at each change, a state at each change and heartbeat. A row is taken at every
sample time of the machine's *clock* tag (its fastest), holding the last value of every other
tag at that time (an as-of join; later samples never leak into a row). The last values carry
over from batch to batch, so a slow tag keeps its value until it next changes. A sample of
another tag that arrives in a later batch than the clock's row it belongs to is seen from
the next row on: rows are scored as they come, never held back.

>>> import numpy as np
>>> aligner = RowAligner(["m/speed", "m/temp"], clock=0)
>>> times, values = aligner.rows({
...     "m/speed": (np.array([1, 2, 3]), np.array([10.0, 11.0, 12.0])),
...     "m/temp": (np.array([2]), np.array([50.0])),
... })
>>> times.tolist(), values.tolist()
([1, 2, 3], [[10.0, nan], [11.0, 50.0], [12.0, 50.0]])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from shopfloor.model.batch import SampleBatch

Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Series = tuple[Int64s, Floats]
"""Sample times (ns) and values of one tag, in time order."""


def split_by_tag(batch: SampleBatch, wanted: Sequence[bool]) -> Iterator[tuple[int, Series]]:
    """(path index, its usable samples in time order) for each wanted path of ``batch``.

    Usable means not of bad quality and a finite value: a missing value says nothing about
    a machine's behaviour. ``wanted`` has one flag per entry of ``batch.paths``.
    """
    flags = np.asarray(wanted, dtype=bool)
    if not len(batch) or not flags.any():
        return
    usable = (batch.quality < 2) & np.isfinite(batch.value)
    rows = np.flatnonzero(flags[batch.tag] & usable)
    if not len(rows):
        return
    # Stable: the twin's and most connectors' batches hold each tag's rows together already.
    rows = rows[np.argsort(batch.tag[rows], kind="stable")]
    starts = np.flatnonzero(np.diff(batch.tag[rows])) + 1
    for group in np.split(rows, starts):
        times = batch.source_ns[group]
        values = batch.value[group]
        if len(times) > 1 and bool(np.any(times[1:] < times[:-1])):
            order = np.argsort(times, kind="stable")
            times, values = times[order], values[order]
        yield int(batch.tag[group[0]]), (times, values)


def join_series(parts: Sequence[Series]) -> Series:
    """Several pieces of one tag's series as one, in time order."""
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0)
    times = np.concatenate([p[0] for p in parts])
    values = np.concatenate([p[1] for p in parts])
    order = np.argsort(times, kind="stable")
    return times[order], values[order]


def sample_period_ns(times: Int64s, default_ns: int = 10**9) -> int:
    """The median step between sample times, or ``default_ns`` with fewer than two."""
    if len(times) < 2:
        return default_ns
    step = int(np.median(np.diff(times)))
    return step if step > 0 else default_ns


class RowAligner:
    """Builds rows at the clock tag's sample times from per-tag series (see the module text).

    ``columns`` are tag paths; ``clock`` indexes the tag whose samples make the rows.
    Rows no newer than the last row made are skipped, so a replayed batch adds nothing.
    """

    def __init__(self, columns: Sequence[str], clock: int) -> None:
        self.columns = tuple(columns)
        self.clock = clock
        self.last = np.full(len(self.columns), np.nan)
        self.last_ns: int | None = None

    def rows(self, series: Mapping[str, Series]) -> tuple[Int64s, Floats]:
        """Row times and values (rows x columns; NaN where a tag has no value yet)."""
        clock = series.get(self.columns[self.clock])
        if clock is None or not len(clock[0]):
            self._carry(series)
            return np.zeros(0, np.int64), np.zeros((0, len(self.columns)))
        times = clock[0]
        if self.last_ns is not None:
            times = times[times > self.last_ns]
        values = np.empty((len(times), len(self.columns)))
        for k, path in enumerate(self.columns):
            values[:, k] = self._as_of(k, series.get(path), times)
        self._carry(series)
        if len(times):
            self.last_ns = int(times[-1])
        return times, values

    def _as_of(self, k: int, found: Series | None, times: Int64s) -> Floats:
        if found is None or not len(found[0]):
            return np.full(len(times), self.last[k])
        at = np.searchsorted(found[0], times, side="right") - 1
        return np.where(at >= 0, found[1][np.maximum(at, 0)], self.last[k])

    def _carry(self, series: Mapping[str, Series]) -> None:
        for k, path in enumerate(self.columns):
            found = series.get(path)
            if found is not None and len(found[0]):
                self.last[k] = float(found[1][-1])

    def save_state(self) -> dict[str, Any]:
        """The carried values and the last row's time, as JSON-compatible data."""
        return {
            "last": [None if not np.isfinite(v) else float(v) for v in self.last],
            "last_ns": self.last_ns,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Continue from :meth:`save_state` output."""
        self.last = np.array([np.nan if v is None else v for v in state["last"]], dtype=float)
        self.last_ns = None if state["last_ns"] is None else int(state["last_ns"])
