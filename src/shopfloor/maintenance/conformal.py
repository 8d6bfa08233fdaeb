"""Split-conformal prediction intervals, calibrated separately by predicted value.

Residuals (truth minus prediction) on units the regressor never saw give, for each band of
predictions, the quantiles that bound the truth. Bands matter for remaining useful life: near
the end of life the model is sharp, while a prediction at the target's cap (say 125) hides
engines that may have hundreds of cycles left, so the upper bound there must be far wider.
Signed lower and upper quantiles keep the interval asymmetric where the errors are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from shopfloor.maintenance.runs import FloatArray

_MIN_PER_BAND = 30


@dataclass(frozen=True)
class BandedIntervals:
    """Interval offsets for each band of predicted values.

    ``edges`` are the inner band boundaries (ascending); band i holds predictions between
    ``edges[i-1]`` and ``edges[i]``. The interval of a prediction p in band i is
    ``[p + lower[i], p + upper[i]]``, clipped at zero below.
    """

    coverage: float
    edges: FloatArray
    lower: FloatArray
    upper: FloatArray

    def interval(self, predicted: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bound for each prediction."""
        band = np.searchsorted(self.edges, predicted, side="right")
        low = np.maximum(predicted + self.lower[band], 0.0)
        return low, predicted + self.upper[band]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {
            "coverage": self.coverage,
            "edges": self.edges.tolist(),
            # JSON has no infinity: an unbounded side is written as null.
            "lower": [None if math.isinf(v) else v for v in self.lower.tolist()],
            "upper": [None if math.isinf(v) else v for v in self.upper.tolist()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BandedIntervals:
        """The inverse of :meth:`to_dict`."""
        return cls(
            float(data["coverage"]),
            np.asarray(data["edges"], dtype=np.float64),
            np.array([-math.inf if v is None else v for v in data["lower"]], dtype=np.float64),
            np.array([math.inf if v is None else v for v in data["upper"]], dtype=np.float64),
        )


def calibrate(
    predicted: FloatArray, truth: FloatArray, *, coverage: float = 0.9, bands: int = 4
) -> BandedIntervals:
    """Intervals that hold ``truth`` with probability ``coverage`` on exchangeable data.

    Bands split the calibration predictions into equal counts; fewer bands are used when
    there are too few points for each to have a meaningful quantile.
    """
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must lie between 0 and 1, not {coverage}")
    bands = max(1, min(bands, len(predicted) // _MIN_PER_BAND))
    edges = np.unique(np.quantile(predicted, np.linspace(0, 1, bands + 1)[1:-1]))
    band = np.searchsorted(edges, predicted, side="right")
    residual = truth - predicted
    tail = (1.0 - coverage) / 2.0
    lower, upper = [], []
    for b in range(len(edges) + 1):
        values = np.sort(residual[band == b])
        lower.append(_order_statistic(values, tail, low=True))
        upper.append(_order_statistic(values, tail, low=False))
    return BandedIntervals(coverage, edges, np.array(lower), np.array(upper))


def _order_statistic(sorted_values: FloatArray, tail: float, *, low: bool) -> float:
    """The conformal quantile: rank ceil((n + 1)(1 - tail)) from the chosen end."""
    n = len(sorted_values)
    if n == 0:
        return 0.0
    rank = math.ceil((n + 1) * (1.0 - tail))
    if rank > n:  # too few points for this coverage: the interval is unbounded on that side
        return -math.inf if low else math.inf
    return float(sorted_values[n - rank] if low else sorted_values[rank - 1])


def interval_coverage(truth: FloatArray, lower: FloatArray, upper: FloatArray) -> float:
    """The share of truths inside their interval (bounds included)."""
    return float(np.mean((truth >= lower) & (truth <= upper)))
