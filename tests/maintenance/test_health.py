"""The health index: 1 when new, 0 at failure, falling steadily, and saved as JSON."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pytest

import shopfloor.maintenance.health
from shopfloor.maintenance import read_cmapss
from shopfloor.maintenance.health import (
    HealthModel,
    fit_health,
    load_health,
    monotonicity,
)
from shopfloor.model.errors import InputError
from tests.maintenance.synthetic import fleet

CMAPSS = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "cmapss"


def test_on_unseen_units_the_index_starts_near_one_and_ends_near_zero() -> None:
    model = fit_health(fleet(40, seed=1))
    unseen = fleet(10, seed=2)
    index = model.index(unseen)
    assert float(index[unseen.unit_bounds()[:-1]].min()) > 0.8
    assert float(index[unseen.last_rows()].max()) < 0.15
    assert float(index.min()) >= 0.0
    assert float(index.max()) <= 1.0


def test_the_index_falls_steadily_over_each_life_under_changing_regimes() -> None:
    unseen = fleet(10, seed=2)
    model = fit_health(fleet(40, seed=1))
    assert monotonicity(unseen, model.index(unseen)) > 0.9
    assert monotonicity(unseen, unseen.sensors[:, 3]) != monotonicity(unseen, model.index(unseen))


def test_each_row_uses_only_its_own_past() -> None:
    model = fit_health(fleet(20, seed=1))
    table = fleet(3, seed=4)
    cut = table.rows(np.arange(60))
    assert np.array_equal(model.index(cut), model.index(table)[:60])


def test_a_model_round_trips_through_its_json_file(tmp_path: Path) -> None:
    model = fit_health(fleet(20, seed=1))
    path = tmp_path / "health.json"
    model.save(path)
    again = load_health(path)
    table = fleet(3, seed=4)
    assert np.array_equal(again.index(table), model.index(table))
    assert json.loads(path.read_text())["format"] == "shopfloor.health"


def test_other_files_and_other_sensors_are_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"format": "shopfloor.rul", "version": 1}')
    with pytest.raises(InputError, match=r"other\.json: not a shopfloor\.health model"):
        load_health(path)
    model = fit_health(fleet(20, seed=1))
    table = fleet(2, seed=3)
    renamed = type(table)(
        *[getattr(table, f) for f in ("units", "times", "settings", "sensors")],
        table.setting_names,
        ("w", "x", "y", "z"),
    )
    with pytest.raises(InputError, match="differ from the health model's"):
        model.index(renamed)


def test_the_docstring_example_runs() -> None:
    assert doctest.testmod(shopfloor.maintenance.health).failed == 0


@pytest.mark.skipif(not CMAPSS.exists(), reason="C-MAPSS is not in ../shared/datasets")
@pytest.mark.parametrize("subset", ["FD001", "FD004"])
def test_on_cmapss_held_out_engines_the_index_trends_down(subset: str) -> None:
    table = read_cmapss(CMAPSS / f"train_{subset}.txt.gz")
    units = np.random.default_rng(0).permutation(table.unit_ids())
    cut = int(0.8 * len(units))
    model: HealthModel = fit_health(table.select_units(np.sort(units[:cut])))
    held = table.select_units(np.sort(units[cut:]))
    assert monotonicity(held, model.index(held)) > 0.9
