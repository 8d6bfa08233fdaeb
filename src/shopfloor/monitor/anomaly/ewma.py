"""The live univariate detector: an exponentially weighted z-score.

Why this one for live use: it needs two numbers of state per signal, scores a row in O(1),
and its recursions are linear filters, so a batch runs inside ``scipy.signal.lfilter`` at C
speed with no Python loop per sample. It catches spikes, steps and bursts of noise relative
to the recent level and spread; it does not model seasonality (see ``ContextDetector``).

>>> import numpy as np
>>> detector = EwmaDetector(half_life=50).fit(np.sin(np.arange(500) / 10))
>>> float(detector.score_one(25.0)) > detector.threshold
True
"""

from __future__ import annotations

from typing import Self

import numpy as np
from scipy.signal import lfilter

from shopfloor.monitor.anomaly.base import (
    DetectorError,
    FloatArray,
    State,
    TimeArray,
    as_1d,
    fill_missing,
    finite_history,
    rows_per_day,
    surprise_to_score,
)
from shopfloor.monitor.anomaly.budget import AlarmBudget


class EwmaDetector:
    """Score each value by its distance from the exponentially weighted mean, in weighted SDs.

    ``half_life`` is in rows; ``alarms_per_day`` is the false-alarm budget the automatic
    threshold allows on the history; ``default_rows_per_day`` is used when no timestamps
    are given. ``seed`` is accepted for the common contract (nothing here is random).
    """

    def __init__(
        self,
        half_life: float = 100.0,
        alarms_per_day: float = 1.0,
        default_rows_per_day: float = 1440.0,
        seed: int = 0,
    ) -> None:
        self.half_life = half_life
        self.alarms_per_day = alarms_per_day
        self.default_rows_per_day = default_rows_per_day
        self.seed = seed
        self.threshold = 1.0
        self._alpha = 1.0 - 0.5 ** (1.0 / half_life)
        self._mean: float | None = None
        self._mean_zi = 0.0
        self._var_zi = 0.0
        self._var = 0.0
        self._min_std = 1e-12
        self._budget: AlarmBudget | None = None

    def fit(self, history: FloatArray, timestamps: TimeArray | None = None) -> Self:
        """Start the averages on ``history`` and set the threshold from its scores."""
        values = finite_history(history, 2)
        self._mean = float(values[0])
        self._mean_zi = (1.0 - self._alpha) * self._mean
        self._var_zi = 0.0
        self._var = 0.0
        # A flat history would make every later wiggle infinitely surprising.
        self._min_std = max(1e-9, 1e-3 * float(np.std(values)), 1e-6 * abs(self._mean))
        self._budget = None
        scores = self.score_many(values)
        burn_in = min(len(values) // 2, int(3 * self.half_life))
        per_day = rows_per_day(timestamps, self.default_rows_per_day)
        self._budget = AlarmBudget(self.alarms_per_day, per_day)
        self._budget.add(scores[burn_in:])
        self.threshold = self._budget.threshold()
        return self

    def score_many(self, values: FloatArray, timestamps: TimeArray | None = None) -> FloatArray:
        """Score ``values`` against the averages so far, then fold them in."""
        if self._mean is None:
            raise DetectorError("call fit before scoring")
        x, missing = fill_missing(as_1d(values), self._mean)
        if len(x) == 0:
            return np.empty(0)
        a, keep = self._alpha, 1.0 - self._alpha
        means, mean_zf = lfilter([a], [1.0, -keep], x, zi=[self._mean_zi])
        before = np.concatenate(([self._mean], means[:-1]))
        dev = x - before
        variances, var_zf = lfilter([a * keep], [1.0, -keep], dev * dev, zi=[self._var_zi])
        var_before = np.concatenate(([self._var], variances[:-1]))
        std = np.maximum(np.sqrt(var_before), self._min_std)
        self._mean, self._mean_zi = float(means[-1]), float(mean_zf[0])
        self._var, self._var_zi = float(variances[-1]), float(var_zf[0])
        scores = np.where(missing, 0.0, surprise_to_score(np.abs(dev) / std))
        if self._budget is not None:
            self.threshold = self._budget.roll(scores)
        return scores

    def score_one(self, value: float | FloatArray, timestamp: int | None = None) -> float:
        """Score one value (a convenience over ``score_many``)."""
        return float(self.score_many(as_1d(value))[0])

    def save_state(self) -> State:
        """Threshold, averages and floor, as plain floats."""
        return {
            "kind": "ewma",
            "threshold": self.threshold,
            "mean": self._mean,
            "mean_zi": self._mean_zi,
            "var_zi": self._var_zi,
            "var": self._var,
            "min_std": self._min_std,
            "budget": None if self._budget is None else self._budget.to_state(),
        }

    def restore(self, state: State) -> None:
        """Continue from ``save_state`` output."""
        self.threshold = float(state["threshold"])
        self._mean = None if state["mean"] is None else float(state["mean"])
        self._mean_zi = float(state["mean_zi"])
        self._var_zi = float(state["var_zi"])
        self._var = float(state["var"])
        self._min_std = float(state["min_std"])
        budget = state["budget"]
        self._budget = None if budget is None else AlarmBudget.from_state(budget)
