from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from shopfloor.maintenance import (
    RulSettings,
    calibrate,
    fit_rul,
    interval_coverage,
    load_model,
    nasa_score,
    rmse,
)
from shopfloor.model.errors import InputError
from tests.maintenance.synthetic import fleet

SMALL = RulSettings(rounds=60, learning_rate=0.1, min_leaf=20, threads=1, seed=3)


@pytest.fixture(scope="module")
def model_and_test():  # type: ignore[no-untyped-def]
    return fit_rul(fleet(24, seed=1), SMALL), fleet(12, seed=2)


def test_split_conformal_intervals_cover_ninety_percent_of_fresh_residuals() -> None:
    rng = np.random.default_rng(0)
    predicted = rng.uniform(0, 125, 4000)
    truth = predicted + rng.normal(0, 1 + predicted / 10)  # errors grow with the prediction
    intervals = calibrate(predicted[:2000], truth[:2000], coverage=0.9, bands=4)
    low, high = intervals.interval(predicted[2000:])
    assert 0.87 <= interval_coverage(truth[2000:], low, high) <= 0.93
    # Banded: the intervals of small predictions are narrower than those of large ones.
    assert (high - low)[predicted[2000:] < 20].mean() < (high - low)[predicted[2000:] > 100].mean()


def test_too_few_calibration_points_give_an_unbounded_upper_side() -> None:
    intervals = calibrate(np.array([1.0, 2.0]), np.array([1.5, 2.5]), coverage=0.9)
    low, high = intervals.interval(np.array([10.0]))
    assert low[0] == 0.0
    assert high[0] == np.inf


def test_a_model_predicts_remaining_life_from_wear(model_and_test) -> None:  # type: ignore[no-untyped-def]
    model, test = model_and_test
    predicted = model.predict_rows(test)
    truth = np.minimum(test.rul(), 125.0)
    assert rmse(predicted, truth) < 15.0
    assert nasa_score(predicted, truth) > 0.0


def test_each_unit_gets_one_prediction_and_an_interval_at_its_last_cycle(model_and_test) -> None:  # type: ignore[no-untyped-def]
    model, test = model_and_test
    prediction = model.predict(test)
    assert prediction.units.tolist() == list(range(1, 13))
    assert np.all(prediction.lower <= prediction.upper)
    # Every test unit fails at its last cycle: a remaining life of zero.
    assert interval_coverage(np.zeros(12), prediction.lower, prediction.upper) >= 0.75


def test_a_saved_model_predicts_the_same_after_loading(model_and_test, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model, test = model_and_test
    model.save(tmp_path / "m.json")
    again = load_model(tmp_path / "m.json")
    assert np.array_equal(again.predict_rows(test), model.predict_rows(test))
    assert np.array_equal(again.predict(test).upper, model.predict(test).upper)


def test_a_saved_model_is_plain_json_with_no_pickled_objects(
    model_and_test, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    model, _ = model_and_test
    model.save(tmp_path / "m.json")
    raw = (tmp_path / "m.json").read_bytes()
    document = json.loads(raw)
    assert document["format"] == "shopfloor.rul"
    assert document["version"] == 1
    assert document["features"]["windows"] == [5, 10, 20, 30]
    assert document["booster"].startswith("tree\n")  # LightGBM's own text format
    assert b"\x80\x04" not in raw
    assert b"\x80\x05" not in raw  # pickle protocol headers


def test_a_file_that_is_not_a_model_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('{"format": "something else"}')
    with pytest.raises(InputError, match=r"m\.json: not a shopfloor RUL model"):
        load_model(tmp_path / "m.json")


def test_inputs_with_other_columns_than_the_model_are_refused(model_and_test) -> None:  # type: ignore[no-untyped-def]
    model, test = model_and_test
    renamed = type(test)(
        test.units,
        test.times,
        test.settings,
        test.sensors,
        test.setting_names,
        ("w", "x", "y", "z"),
    )
    with pytest.raises(InputError, match="columns differ"):
        model.predict(renamed)


def test_one_held_out_share_without_refit_also_gives_a_calibrated_model() -> None:
    settings = RulSettings(rounds=30, learning_rate=0.1, threads=1, folds=0, refit=False)
    model = fit_rul(fleet(10, seed=4), settings)
    prediction = model.predict(fleet(4, seed=5))
    assert np.all(prediction.lower <= prediction.upper)
    assert np.isfinite(model.intervals.lower).all()


def test_training_with_fewer_than_two_units_is_refused() -> None:
    with pytest.raises(InputError, match="at least two"):
        fit_rul(fleet(1), SMALL)
