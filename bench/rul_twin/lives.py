"""Run-to-failure lives from the twin, and the models learnt from them.

Each seed's twin runs as fast as it can; its batches and events go straight into a
:class:`HealthEngine` that logs every machine's lives (no models needed for that). A life
that ends in a wear failure is a run-to-failure unit; one cut off by the end of the run is
left out (its failure time is unknown).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.anomaly_twin.run import twin_for
from shopfloor.maintenance.health import HealthModel, HealthSettings, fit_health
from shopfloor.maintenance.live import HealthEngine
from shopfloor.maintenance.lives import LifeLog, life_table
from shopfloor.maintenance.rul import RulModel, RulSettings, fit_rul
from shopfloor.maintenance.runs import RunTable
from shopfloor.model.plant import Plant

CHUNK_S = 600.0


@dataclass(frozen=True)
class Lives:
    """The ended lives of some runs, and how long the runs were."""

    lives: list[tuple[str, LifeLog]]
    seeds: list[int]
    days: float


def collect(plant: Plant, seeds: list[int], days: float, start_ns: int, wear: float) -> Lives:
    """Every life that ended in a wear failure, over ``seeds`` runs of ``days``."""
    found: list[tuple[str, LifeLog]] = []
    for seed in seeds:
        twin = twin_for(plant, seed, start_ns, wear)
        engine = HealthEngine(
            plant.maintenance, [m.path for m in twin.machines], None, None, keep_lives=True
        )
        for _ in range(round(days * 86_400 / CHUNK_S)):
            out = twin.advance(CHUNK_S)
            engine.process(out.samples)
            engine.observe(out.events)
        found += engine.ended
    return Lives(found, seeds, days)


def table_of(lives: Lives) -> RunTable:
    """The lives as one run table, a unit each."""
    return life_table([life for _, life in lives.lives])


def settings(seed: int = 0) -> RulSettings:
    """The RUL model's settings for the twin: hours, capped at ten days."""
    return RulSettings(
        cap=240.0,
        rounds=300,
        leaves=15,
        min_leaf=40,
        calibrate_within=240.0,
        threads=1,
        seed=seed,
    )


def learn(lives: Lives, seed: int = 0) -> tuple[RulModel, HealthModel]:
    """A RUL model and a health index learnt from ``lives``."""
    table = table_of(lives)
    return fit_rul(table, settings(seed)), fit_health(table, HealthSettings(seed=seed))
