"""One contract, every detector: causal, deterministic, restorable, bounded, self-thresholding."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from shopfloor.monitor.anomaly import ContextDetector, Detector, EwmaDetector, PcaDetector
from shopfloor.monitor.anomaly.base import DetectorError, FloatArray
from shopfloor.monitor.anomaly.budget import AlarmBudget

MINUTE_NS = 60 * 10**9


def wave(n: int, seed: int) -> FloatArray:
    """A noisy daily wave sampled each minute."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.asarray(10 + np.sin(2 * np.pi * t / 1440) + rng.normal(scale=0.1, size=n))


def machine(n: int, seed: int) -> FloatArray:
    """Three signals that move together (speed, current, temperature) plus noise."""
    rng = np.random.default_rng(seed)
    speed = 1 + 0.5 * np.sin(np.arange(n) / 50) + rng.normal(scale=0.05, size=n)
    current = 2 * speed + rng.normal(scale=0.05, size=n)
    temperature = 40 + 5 * speed + rng.normal(scale=0.2, size=n)
    return np.column_stack([speed, current, temperature])


Case = tuple[Callable[[int], Detector], Callable[[int, int], FloatArray]]
CASES: dict[str, Case] = {
    "ewma": (lambda seed: EwmaDetector(half_life=60, seed=seed), wave),
    "context": (lambda seed: ContextDetector(window=500, quiet_rows=20, seed=seed), wave),
    "pca": (lambda seed: PcaDetector(seed=seed), machine),
}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def fitted(case: Case, seed: int = 1) -> tuple[Detector, FloatArray]:
    make, data = case
    values = data(6000, seed)
    times = np.arange(len(values), dtype=np.int64) * MINUTE_NS
    return make(seed).fit(values[:3000], times[:3000]), values[3000:]


def test_every_detector_keeps_the_protocol(case: Case) -> None:
    detector, _ = fitted(case)
    assert isinstance(detector, Detector)


def test_scores_lie_between_zero_and_one_even_for_wild_values(case: Case) -> None:
    detector, rest = fitted(case)
    wild = rest.copy()
    wild[::97] *= 1e6
    wild[::89] = -1e9
    scores = detector.score_many(wild)
    assert np.all((scores >= 0) & (scores <= 1))
    assert len(scores) == len(rest)


def test_a_score_never_depends_on_later_rows(case: Case) -> None:
    detector, rest = fitted(case)
    state = detector.save_state()
    original = detector.score_many(rest[:1000])
    changed = rest[:1000].copy()
    changed[500:] = changed[500:] * 3 + 7
    detector.restore(state)
    assert np.array_equal(detector.score_many(changed)[:500], original[:500])


def test_the_same_seed_gives_the_same_scores(case: Case) -> None:
    first, rest = fitted(case, seed=4)
    second, _ = fitted(case, seed=4)
    assert np.array_equal(first.score_many(rest), second.score_many(rest))


def test_a_restored_state_continues_with_identical_scores(case: Case) -> None:
    detector, rest = fitted(case)
    detector.score_many(rest[:700])
    state = json.loads(json.dumps(detector.save_state()))  # it must survive JSON
    expected = detector.score_many(rest[700:])
    other = case[0](99)
    other.restore(state)
    assert np.array_equal(other.score_many(rest[700:]), expected)
    assert other.threshold == detector.threshold


def test_one_row_at_a_time_matches_the_batch(case: Case) -> None:
    detector, rest = fitted(case)
    state = detector.save_state()
    batch = detector.score_many(rest[:200])
    detector.restore(state)
    singles = np.array([detector.score_one(row) for row in rest[:200]])
    np.testing.assert_allclose(singles, batch, rtol=1e-9, atol=1e-12)


def test_the_automatic_threshold_keeps_normal_data_within_its_false_alarm_budget(
    case: Case,
) -> None:
    detector, rest = fitted(case)
    alarms = int(np.sum(detector.score_many(rest) >= detector.threshold))
    days = len(rest) / 1440  # about two days of fresh normal data
    assert 0.0 < detector.threshold <= 1.0
    assert alarms <= 3 * days + 2


def test_an_obvious_fault_crosses_the_threshold(case: Case) -> None:
    detector, rest = fitted(case)
    faulty = rest[:600].copy()
    faulty[400:] = faulty[400:] * 1.5 + 3
    assert np.max(detector.score_many(faulty)[400:]) >= detector.threshold


def test_missing_values_score_zero_and_leave_later_scores_sound(case: Case) -> None:
    detector, rest = fitted(case)
    gappy = rest[:1000].copy()
    gappy[100:110] = np.nan
    gappy[500] = np.inf
    scores = detector.score_many(gappy)
    assert np.all(scores[100:110] == 0.0)
    assert scores[500] == 0.0
    assert np.all(np.isfinite(scores) & (scores >= 0) & (scores <= 1))
    assert np.sum(scores[600:] >= detector.threshold) <= 3


def test_fit_skips_missing_history_values(case: Case) -> None:
    make, data = case
    history = data(3000, 5)
    history[::50] = np.nan
    detector = make(5).fit(history)
    assert 0.0 < detector.threshold <= 1.0


def test_scoring_before_fit_is_a_clear_error(case: Case) -> None:
    make, data = case
    with pytest.raises(DetectorError, match="fit"):
        make(0).score_many(data(10, 0))


def test_the_budget_allows_half_the_budgeted_alarms_on_the_data_seen() -> None:
    scores = np.concatenate([np.zeros(1000), [0.5, 0.6, 0.7, 0.8]])
    budget = AlarmBudget(alarms_per_day=1.0, rows_per_day=1004 / 4)
    budget.add(scores)
    assert int(np.sum(scores >= budget.threshold())) == 2  # four days, half of 4 alarms


def test_the_budget_never_lets_a_run_of_zeros_alarm() -> None:
    budget = AlarmBudget(alarms_per_day=1.0, rows_per_day=10.0)
    budget.add(np.zeros(100))
    assert budget.threshold() > 0.0


def test_more_normal_data_allows_more_alarms_so_the_threshold_falls() -> None:
    rng = np.random.default_rng(0)
    budget = AlarmBudget(alarms_per_day=1.0, rows_per_day=100.0)
    budget.add(rng.uniform(size=200))
    early = budget.threshold()
    budget.add(rng.uniform(size=2000))
    assert budget.threshold() < early


def test_after_a_batch_the_threshold_is_the_one_the_batch_was_scored_against(case: Case) -> None:
    detector, rest = fitted(case)
    before = detector.threshold
    detector.score_many(rest[:1000])
    assert detector.threshold == before
