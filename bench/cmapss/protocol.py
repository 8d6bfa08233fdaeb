"""The C-MAPSS evaluation protocol: test sets where the truth is given, held-out units where not.

Published results train on min(RUL, 125), predict once per test engine at its last cycle and
report RMSE and the NASA score against the true RUL. FD002 and FD004 ship no test truth, so
their score here comes from training engines held out by unit and cut at a random cycle, as
the test engines were; the test set's truth is never used to choose anything.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shopfloor.maintenance import (
    RulModel,
    RulSettings,
    RunTable,
    fit_rul,
    interval_coverage,
    nasa_score,
    read_cmapss,
    read_cmapss_truth,
    rmse,
)
from shopfloor.maintenance.runs import FloatArray

# How the test files were cut, read off FD001 and FD003 (the two with truth): every engine
# shows at least a fifth of its life (the smallest share is 0.21) and at least 31 cycles,
# and none has more than 145 cycles left. Validation cuts are drawn uniformly among the
# cycles that satisfy the same (rounded) limits; only the shape of the cuts comes from there.
MIN_HISTORY = 20
MIN_SHARE = 0.2
MAX_LEFT = 150
VALIDATION_SHARE = 0.2
WITH_TRUTH = ("FD001", "FD003")


@dataclass(frozen=True)
class Score:
    """One seed's result on one subset."""

    subset: str
    seed: int
    on: str
    rmse: float
    nasa: float
    coverage: float
    width: float
    train_s: float


def cut_at_random(table: RunTable, rng: np.random.Generator) -> tuple[RunTable, FloatArray]:
    """Each unit cut at a uniformly drawn cycle within the test files' limits (see above);
    the cut table and each unit's true RUL at its cut."""
    bounds = table.unit_bounds()
    keep, truth = [], []
    for start, stop in itertools.pairwise(bounds):
        length = int(stop - start)
        shortest = max(MIN_HISTORY, round(MIN_SHARE * length), length - MAX_LEFT)
        cut = int(rng.integers(min(shortest, length), length + 1))
        keep.append(np.arange(start, start + cut))
        truth.append(table.times[stop - 1] - table.times[start + cut - 1])
    return table.rows(np.concatenate(keep)), np.asarray(truth, dtype=np.float64)


def score(
    subset: str, seed: int, on: str, model: RulModel, table: RunTable, truth: FloatArray, s: float
) -> Score:
    """Score a model's last-cycle predictions for ``table`` against ``truth``."""
    p = model.predict(table)
    return Score(
        subset,
        seed,
        on,
        rmse(p.rul, truth),
        nasa_score(p.rul, truth),
        interval_coverage(truth, p.lower, p.upper),
        float(np.mean(p.upper - p.lower)),
        s,
    )


def timed_fit(table: RunTable, settings: RulSettings) -> tuple[RulModel, float]:
    """Train and measure the wall time it took."""
    began = time.perf_counter()
    model = fit_rul(table, settings)
    return model, time.perf_counter() - began


def validate(subset: str, train: RunTable, settings: RulSettings) -> tuple[Score, RulModel]:
    """Hold out a share of the training units, train on the rest, score the held-out cuts."""
    rng = np.random.default_rng(1000 + settings.seed)
    units = train.unit_ids()
    held = rng.permutation(units)[: round(len(units) * VALIDATION_SHARE)]
    model, s = timed_fit(train.select_units(np.setdiff1d(units, held)), settings)
    cut, truth = cut_at_random(train.select_units(held), rng)
    return score(subset, settings.seed, "validation", model, cut, truth, s), model


def test(data: Path, subset: str, train: RunTable, settings: RulSettings) -> Score:
    """Train on all training units and score on the test set (FD001 and FD003 only)."""
    model, s = timed_fit(train, settings)
    test_table = read_cmapss(data / f"test_{subset}.txt.gz")
    truth = read_cmapss_truth(data / f"RUL_{subset}.txt.gz")
    return score(subset, settings.seed, "test", model, test_table, truth, s)
