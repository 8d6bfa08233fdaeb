"""Health and RUL live: lives logged, models learnt from them, estimates and warnings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from shopfloor.bus import MemoryBus
from shopfloor.maintenance.health import HealthModel, fit_health, load_health
from shopfloor.maintenance.live import HealthEngine, HealthService, load_models
from shopfloor.maintenance.lives import COLUMNS, life_table
from shopfloor.maintenance.rul import RulModel, RulSettings, fit_rul, load_model
from shopfloor.model.errors import ConfigError
from shopfloor.model.event import Event
from tests.maintenance.synthetic import fleet
from tests.maintenance.wearing import HOUR, MACHINE, START, life, renewal, spec

LIVES = (60, 70, 50, 80, 65, 75, 55, 62)
Models = tuple[RulModel, HealthModel]


def learnt_lives() -> HealthEngine:
    engine = HealthEngine(spec(), [MACHINE], None, None, keep_lives=True)
    t = START
    for k, hours in enumerate(LIVES):
        for batch in life(t, hours, seed=k):
            engine.process(batch)
        t += hours * HOUR
        engine.observe([renewal(t)])
    return engine


@pytest.fixture(scope="module")
def models() -> Models:
    table = life_table([logged for _, logged in learnt_lives().ended])
    settings = RulSettings(cap=100, rounds=60, leaves=7, min_leaf=10, folds=4, threads=1)
    return fit_rul(table, settings), fit_health(table)


def estimates(models: Models, hours: int = 60, **changes: object) -> list[Event]:
    engine = HealthEngine(spec(**changes), [MACHINE], *models)
    return [e for batch in life(START, hours, seed=99) for e in engine.process(batch)]


def test_each_life_is_logged_hourly_relative_to_its_first_running_hours() -> None:
    ended = learnt_lives().ended
    assert [round(logged.times_h[-1]) for _, logged in ended] == list(LIVES)
    first = ended[0][1]
    assert len(first.records) == LIVES[0] - 4  # the baseline's four hours make none
    start, end = np.asarray(first.records[0]), np.asarray(first.records[-1])
    vibration = COLUMNS.index("vibration")
    assert start[vibration] == pytest.approx(1.0, abs=0.05)
    assert end[vibration] > 3.0
    assert end[COLUMNS.index("utilisation")] == pytest.approx(50 / 60)
    assert end[COLUMNS.index("running_h")] == pytest.approx(LIVES[0] * 50 / 60, abs=0.1)


def test_an_estimate_comes_every_interval_with_health_and_an_interval(models: Models) -> None:
    health = [e for e in estimates(models) if e.kind == "health"]
    assert len(health) == 60 - 5  # no baseline yet in four hours; the last hour still open
    assert np.all(np.diff([e.time_ns for e in health]) == HOUR)
    first, last = health[0].payload, health[-1].payload
    assert first["health"] > 0.8 > 0.2 > last["health"]
    assert first["rul_h"] > 40 > 10 > last["rul_h"]
    assert all(e.payload["lower_h"] <= e.payload["rul_h"] for e in health)
    assert last["since_ns"] == START


def test_a_warning_comes_once_as_the_lower_bound_falls_below_the_horizon(models: Models) -> None:
    found = estimates(models)
    [warning] = [e for e in found if e.kind == "maintenance.warning"]
    assert warning.payload["lower_h"] < 10 <= warning.payload["horizon_h"]
    left_h = (START + 60 * HOUR - warning.time_ns) / HOUR
    assert 3 < left_h < 30


def test_warning_on_the_estimate_itself_comes_later_than_on_its_lower_bound(
    models: Models,
) -> None:
    on_lower = [e for e in estimates(models) if e.kind == "maintenance.warning"]
    on_rul = [e for e in estimates(models, warn_on="rul") if e.kind == "maintenance.warning"]
    assert on_rul[0].time_ns > on_lower[0].time_ns


def test_a_renewal_starts_a_new_life_that_warns_again(models: Models) -> None:
    engine = HealthEngine(spec(), [MACHINE], *models)
    found: list[Event] = []
    for batch in life(START, 60, seed=5):
        found += engine.process(batch)
    engine.observe([renewal(START + 60 * HOUR)])
    for batch in life(START + 60 * HOUR, 60, seed=6):
        found += engine.process(batch)
    warnings = [e for e in found if e.kind == "maintenance.warning"]
    assert [w.payload["since_ns"] for w in warnings] == [START, START + 60 * HOUR]


def test_models_round_trip_through_their_json_files(models: Models, tmp_path: Path) -> None:
    rul, health = models
    rul.save(tmp_path / "rul.json")
    health.save(tmp_path / "health.json")
    table = life_table([logged for _, logged in learnt_lives().ended[:2]])
    again = load_model(tmp_path / "rul.json"), load_health(tmp_path / "health.json")
    assert np.array_equal(again[0].predict_rows(table), rul.predict_rows(table))
    assert np.array_equal(again[1].index(table), health.index(table))


def test_the_section_names_model_files_next_to_the_plant_file(
    models: Models, tmp_path: Path
) -> None:
    models[0].save(tmp_path / "rul.json")
    models[1].save(tmp_path / "health.json")
    section = spec(model="rul.json", health_model="health.json")
    rul, _ = load_models(section, str(tmp_path / "plant.yaml"))
    assert rul.sensor_names == COLUMNS
    other = fit_rul(fleet(10, seed=1), RulSettings(rounds=5, folds=0, threads=1))
    other.save(tmp_path / "cmapss.json")
    with pytest.raises(ConfigError, match=r"maintenance\.model: the model reads a, b, c, flat;"):
        load_models(spec(model="cmapss.json", health_model="health.json"), str(tmp_path / "p"))


async def test_the_service_publishes_estimates_and_continues_after_a_restart(
    models: Models, tmp_path: Path
) -> None:
    state = tmp_path / "health-state.json"
    bus = MemoryBus()
    seen = bus.subscribe(MACHINE)
    batches = life(START, 60, seed=99)
    async with HealthService(HealthEngine(spec(), [MACHINE], *models), bus, state_file=state):
        for batch in batches[:30]:
            await bus.publish(batch)
    async with HealthService(HealthEngine(spec(), [MACHINE], *models), bus, state_file=state):
        for batch in batches[30:]:
            await bus.publish(batch)
    published: list[Event] = []
    while (message := seen.get_nowait()) is not None:
        published += list(message) if isinstance(message, tuple) else []
    expected = estimates(models)
    assert [(e.kind, e.time_ns, e.payload) for e in published] == [
        (e.kind, e.time_ns, e.payload) for e in expected
    ]
    assert json.loads(state.read_text())["version"] == 1
