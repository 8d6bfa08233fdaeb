"""A running false-alarm budget: the automatic threshold every detector keeps.

The threshold is the lowest level at which the scores seen so far (the settled part of the
history, then every scored row) raise at most half of ``alarms_per_day`` alarms a day. Most
rows a detector sees are normal, so the level firms up as data accrues: two days of history
say little about a once-a-day level, two weeks of stream say much more. Labels are never
used. Aiming at half the budget leaves room for the spread of such an order statistic.

Only the highest scores are kept (at most ``MAX_KEPT``), so the state stays small.

>>> import numpy as np
>>> budget = AlarmBudget(alarms_per_day=2.0, rows_per_day=100.0)
>>> budget.add(np.linspace(0.0, 1.0, 300))  # three days: three alarms allowed
>>> int(np.sum(np.linspace(0.0, 1.0, 300) >= budget.threshold()))
3
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np

from shopfloor.monitor.anomaly.base import HISTORY_SHARE, FloatArray

MAX_KEPT = 4096  # alarms allowed before the budget stops tracking more: years of data


class AlarmBudget:
    """The highest scores seen and how many rows they came from."""

    def __init__(self, alarms_per_day: float, rows_per_day: float) -> None:
        self.alarms_per_day = alarms_per_day
        self.rows_per_day = rows_per_day
        self.rows = 0
        self._top = np.empty(0)  # descending

    def roll(self, scores: FloatArray) -> float:
        """The threshold ``scores`` were scored against; then they join the budget.

        The threshold stays the one a batch was scored against and the batch only counts
        for the next one, so comparing a batch's scores with the returned threshold stays
        causal.
        """
        threshold = self.threshold()
        self.add(scores)
        return threshold

    def add(self, scores: FloatArray) -> None:
        """Count ``scores`` in the budget."""
        finite = scores[np.isfinite(scores)]
        self.rows += len(finite)
        if len(self._top) == MAX_KEPT:
            finite = finite[finite > self._top[-1]]  # the common case: nothing to merge
        if len(finite) == 0:
            return
        merged = np.concatenate((self._top, finite))
        if len(merged) > MAX_KEPT:
            merged = np.partition(merged, len(merged) - MAX_KEPT)[-MAX_KEPT:]
        self._top = np.sort(merged)[::-1]

    def levels_before(self, scores: FloatArray) -> FloatArray:
        """For each positive score, the threshold of the budget just before it; then add all.

        Row by row, so the result does not depend on how a stream is cut into batches. Only
        positive scores are visited (zeros just count as rows), which keeps the loop short
        for the sparse scores of an onset detector. Zero where a score is not positive.
        """
        levels = np.zeros(len(scores))
        top = sorted(self._top.tolist())  # ascending, for bisect
        rows = self.rows
        for i in np.flatnonzero(scores > 0).tolist():
            allowed = self._allowed_at(rows + i)
            levels[i] = 0.0 if allowed >= len(top) else top[-1 - allowed]
            bisect.insort(top, float(scores[i]))
            if len(top) > MAX_KEPT:
                del top[0]
        self.rows = rows + len(scores)
        self._top = np.array(top[::-1], dtype=np.float64)
        return levels

    def _allowed_at(self, rows: int) -> int:
        return int(np.floor(HISTORY_SHARE * self.alarms_per_day * rows / self.rows_per_day))

    def allowed(self) -> int:
        """Alarms the rows seen so far may raise (half the budget, see the module text)."""
        return self._allowed_at(self.rows)

    def threshold(self) -> float:
        """Just above the highest score beyond the allowed alarms (1.0 before any row)."""
        if self.rows == 0 or len(self._top) == 0:
            return 1.0
        allowed = self.allowed()
        if allowed >= len(self._top):
            return float(self._top[-1])  # every kept score may alarm
        return float(np.nextafter(self._top[allowed], np.inf))

    def to_state(self) -> dict[str, Any]:
        """JSON-compatible state."""
        return {
            "alarms_per_day": self.alarms_per_day,
            "rows_per_day": self.rows_per_day,
            "rows": self.rows,
            "top": self._top.tolist(),
        }

    @staticmethod
    def from_state(state: dict[str, Any]) -> AlarmBudget:
        """The budget ``to_state`` described."""
        budget = AlarmBudget(float(state["alarms_per_day"]), float(state["rows_per_day"]))
        budget.rows = int(state["rows"])
        budget._top = np.array(state["top"], dtype=np.float64)
        return budget
