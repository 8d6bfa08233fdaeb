"""The contract every anomaly detector keeps, and the pieces they share.

A detector learns normal behaviour from a history window (``fit``), then scores new rows one
batch (``score_many``) or one row (``score_one``) at a time, each score using only that row and
the rows before it. Scores lie in [0, 1]; higher is more anomalous. A row alarms when its
score reaches ``threshold``, which is set automatically, never from labels: ``fit`` reads it
from the history's scores and each scored batch refines it for the batches after it, so
that the data seen raises at most half of ``alarms_per_day`` alarms a day
(``budget.AlarmBudget``). Right after ``score_many``, ``threshold`` is the level that batch
was scored against, so ``scores >= detector.threshold`` gives causal alarms.

State is a JSON-compatible dict (``save_state`` / ``restore``): a restored detector produces
exactly the scores the saved one would have. Parameters are constructor arguments, and every
detector takes a ``seed`` so that any randomness is repeatable.
"""

from __future__ import annotations

from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from shopfloor.model.errors import ShopfloorError

FloatArray = NDArray[np.float64]
TimeArray = NDArray[np.int64]  # nanoseconds since the epoch, UTC
State = dict[str, Any]

NS_PER_DAY = 86_400 * 10**9
HISTORY_SHARE = 0.5  # of the false-alarm budget that the threshold aims at (see budget.py)


class DetectorError(ShopfloorError):
    """A detector was used out of order or fed data of the wrong shape."""

    code = "anomaly"


@runtime_checkable
class Detector(Protocol):
    """A streaming anomaly detector (univariate: 1-D values; multivariate: rows x signals)."""

    threshold: float

    def fit(self, history: FloatArray, timestamps: TimeArray | None = None) -> Self:
        """Learn normal behaviour from ``history`` and set ``threshold``; forget the past."""
        ...

    def score_many(self, values: FloatArray, timestamps: TimeArray | None = None) -> FloatArray:
        """Scores in [0, 1] for ``values`` in order, continuing the stream after ``fit``."""
        ...

    def score_one(self, value: float | FloatArray, timestamp: int | None = None) -> float:
        """The score of one more row."""
        ...

    def save_state(self) -> State:
        """Everything needed to continue the stream elsewhere, as JSON-compatible data."""
        ...

    def restore(self, state: State) -> None:
        """Continue from a state that ``save_state`` returned."""
        ...


def rows_per_day(timestamps: TimeArray | None, default: float) -> float:
    """Sampling rate from the median step of ``timestamps``, else ``default``."""
    if timestamps is None or len(timestamps) < 2:
        return default
    step = float(np.median(np.diff(np.asarray(timestamps, dtype=np.int64))))
    return NS_PER_DAY / step if step > 0 else default


def surprise_to_score(z: FloatArray, half: float = 3.0) -> FloatArray:
    """Map a non-negative surprise (in standard deviations) to [0, 1): ``z / (z + half)``.

    Unlike a tail probability this never rounds to exactly 1, so very large surprises stay
    ordered and a threshold can still separate them.
    """
    z = np.maximum(np.nan_to_num(z, nan=0.0, posinf=1e12), 0.0)
    return np.asarray(z / (z + half), dtype=np.float64)


def fill_missing(x: FloatArray, before: float) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Missing (non-finite) values replaced by the last finite one, and where they were.

    A gap in a signal is no news: carrying the last value forward keeps the detector's state
    unchanged in spirit, and the detector scores those rows 0. ``before`` stands in for the
    value before the batch.
    """
    missing = ~np.isfinite(x)
    if not missing.any():
        return x, missing
    last = np.maximum.accumulate(np.where(missing, -1, np.arange(len(x))))
    return np.where(last >= 0, x[np.maximum(last, 0)], before), missing


def finite_history(values: FloatArray, minimum: int) -> FloatArray:
    """The finite values of a univariate history, which must number at least ``minimum``."""
    x = as_1d(values)
    x = x[np.isfinite(x)]
    if len(x) < minimum:
        raise DetectorError(f"fit needs at least {minimum} finite history values, got {len(x)}")
    return x


def as_1d(values: FloatArray | float) -> FloatArray:
    """Univariate input as a 1-D float64 array."""
    array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if array.ndim != 1:
        raise DetectorError(f"a univariate detector takes 1-D values, got shape {array.shape}")
    return array
