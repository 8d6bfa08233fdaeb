"""The multivariate detector: how a machine's signals move together, by PCA.

Why this one: on a machine, signals such as speed, current, temperature and vibration are
strongly correlated, so a fault often shows as a *combination* that normal data never has
while each signal alone stays in range. Principal components of the standardised history
capture the normal combinations; a row is scored by two classic statistics (as in
multivariate statistical process control): Hotelling's T² inside the normal subspace (an
unusual operating point) and the squared prediction error outside it (a broken
relationship). Fitting is one SVD; scoring is two small matrix products per batch, so it runs
at millions of rows per second, and it needs no training labels.

The model is fixed after ``fit`` (re-fit on a newer history window to follow slow drift), so
each row's score depends on that row alone and is trivially causal.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> speed = rng.normal(size=1000)
>>> history = np.column_stack([speed, 2 * speed + rng.normal(scale=0.1, size=1000)])
>>> detector = PcaDetector().fit(history)
>>> detector.score_one(np.array([1.0, -2.0])) > detector.threshold  # relationship broken
True
"""

from __future__ import annotations

from typing import Self

import numpy as np

from shopfloor.monitor.anomaly.base import (
    DetectorError,
    FloatArray,
    State,
    TimeArray,
    rows_per_day,
    surprise_to_score,
)
from shopfloor.monitor.anomaly.budget import AlarmBudget


class PcaDetector:
    """Score rows of several signals by T² and residual against a PCA of the history.

    A row with a missing (non-finite) signal scores 0; ``fit`` skips such rows.

    ``variance_kept`` chooses how many components describe normal operation;
    ``alarms_per_day`` is the false-alarm budget of the automatic threshold. ``seed`` is
    accepted for the common contract (the SVD is deterministic).
    """

    def __init__(
        self,
        variance_kept: float = 0.95,
        alarms_per_day: float = 1.0,
        default_rows_per_day: float = 1440.0,
        seed: int = 0,
    ) -> None:
        self.variance_kept = variance_kept
        self.alarms_per_day = alarms_per_day
        self.default_rows_per_day = default_rows_per_day
        self.seed = seed
        self.threshold = 1.0
        self._center: FloatArray | None = None
        self._scale = np.ones(0)
        self._components = np.zeros((0, 0))
        self._eigenvalues = np.ones(0)
        self._spe_ref = 1.0
        self._budget: AlarmBudget | None = None

    def fit(self, history: FloatArray, timestamps: TimeArray | None = None) -> Self:
        """Learn the normal subspace of ``history`` (rows x signals) and set the threshold."""
        x = self._rows(history)
        x = x[np.all(np.isfinite(x), axis=1)]
        if len(x) < x.shape[1] + 2:
            raise DetectorError(f"fit needs more rows than signals, got {x.shape}")
        self._center = x.mean(axis=0)
        # A constant signal carries no information about the others; keep it from dividing
        # by zero rather than dropping it, so a later change in it still shows.
        self._scale = np.maximum(x.std(axis=0), 1e-9 * (1.0 + np.abs(self._center)))
        z = (x - self._center) / self._scale
        _, singular, vt = np.linalg.svd(z, full_matrices=False)
        eigen = singular**2 / (len(z) - 1)
        share = np.cumsum(eigen) / max(float(eigen.sum()), 1e-300)
        kept = int(np.searchsorted(share, self.variance_kept) + 1)
        self._components = vt[:kept]
        self._eigenvalues = np.maximum(eigen[:kept], 1e-12)
        self._spe_ref = 1.0
        self._spe_ref = max(float(np.mean(self._statistics(z)[1])), 1e-9)
        self._budget = None
        scores = self.score_many(x)
        per_day = rows_per_day(timestamps, self.default_rows_per_day)
        self._budget = AlarmBudget(self.alarms_per_day, per_day)
        self._budget.add(scores)
        self.threshold = self._budget.threshold()
        return self

    def score_many(self, values: FloatArray, timestamps: TimeArray | None = None) -> FloatArray:
        """Scores in [0, 1] for each row of ``values``."""
        if self._center is None:
            raise DetectorError("call fit before scoring")
        x = self._rows(values)
        missing = ~np.all(np.isfinite(x), axis=1)
        if missing.any():  # scored 0 below; the centre keeps the arithmetic quiet
            x = np.where(missing[:, None], self._center, x)
        t2, spe = self._statistics((x - self._center) / self._scale)
        # Both statistics are about 1 per degree of freedom on normal rows; their root is a
        # distance in standard deviations, which is what the score maps.
        distance = np.sqrt(t2 / len(self._eigenvalues) + spe / self._spe_ref)
        scores = np.where(missing, 0.0, surprise_to_score(distance))
        if self._budget is not None:
            self.threshold = self._budget.roll(scores)
        return scores

    def score_one(self, value: float | FloatArray, timestamp: int | None = None) -> float:
        """Score one row of signals."""
        return float(self.score_many(np.atleast_2d(np.asarray(value, dtype=np.float64)))[0])

    def save_state(self) -> State:
        """The fitted model as nested lists."""
        return {
            "kind": "pca",
            "threshold": self.threshold,
            "center": None if self._center is None else self._center.tolist(),
            "scale": self._scale.tolist(),
            "components": self._components.tolist(),
            "eigenvalues": self._eigenvalues.tolist(),
            "spe_ref": self._spe_ref,
            "budget": None if self._budget is None else self._budget.to_state(),
        }

    def restore(self, state: State) -> None:
        """Continue from ``save_state`` output."""
        self.threshold = float(state["threshold"])
        center = state["center"]
        self._center = None if center is None else np.array(center, dtype=np.float64)
        self._scale = np.array(state["scale"], dtype=np.float64)
        self._components = np.array(state["components"], dtype=np.float64)
        self._eigenvalues = np.array(state["eigenvalues"], dtype=np.float64)
        self._spe_ref = float(state["spe_ref"])
        budget = state["budget"]
        self._budget = None if budget is None else AlarmBudget.from_state(budget)

    def _statistics(self, z: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Hotelling's T² and the squared prediction error of standardised rows."""
        projected = z @ self._components.T
        t2 = np.sum(projected**2 / self._eigenvalues, axis=1)
        residual = z - projected @ self._components
        return t2, np.sum(residual**2, axis=1)

    def _rows(self, values: FloatArray) -> FloatArray:
        x = np.asarray(values, dtype=np.float64)
        if x.ndim != 2:
            raise DetectorError(f"a multivariate detector takes rows x signals, got {x.shape}")
        if self._center is not None and x.shape[1] != len(self._center):
            raise DetectorError(f"expected {len(self._center)} signals, got {x.shape[1]}")
        return x
