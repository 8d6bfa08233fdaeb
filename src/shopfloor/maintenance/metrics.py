"""Scores for remaining-useful-life predictions, as published C-MAPSS results use them."""

from __future__ import annotations

import numpy as np

from shopfloor.maintenance.runs import FloatArray


def rmse(predicted: FloatArray, truth: FloatArray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((predicted - truth) ** 2)))


def nasa_score(predicted: FloatArray, truth: FloatArray) -> float:
    """The PHM08 score: late predictions (d = predicted - truth > 0) cost more than early ones.

    >>> round(nasa_score(np.array([10.0, 0.0]), np.array([0.0, 13.0])), 3)
    3.437
    """
    d = predicted - truth
    return float(np.sum(np.where(d < 0, np.exp(-d / 13.0) - 1.0, np.exp(d / 10.0) - 1.0)))
