"""The condition-monitoring services of a shopfloor process: anomalies, health and RUL.

:class:`Monitoring` starts what the plant file's ``anomaly:`` and ``maintenance:`` sections
ask for on the process's bus, restores their state from the state directory at start and
writes it back at stop, as the alarm service does. ``demo`` and ``serve`` run it whether or not the
dashboard is served. :func:`alarms_with_anomaly` adds the anomaly alarms to the plant's
``alarms:`` section, and :func:`with_derived_tags` declares the derived ``anomaly`` tag on
each watched machine, so the dashboard shows it like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from shopfloor.bus.base import Bus
from shopfloor.maintenance.live import HealthEngine, HealthService, load_models
from shopfloor.model.assets import Asset, AssetTree, Tag
from shopfloor.model.plant import Plant
from shopfloor.model.spec_alarms import AlarmsSpec
from shopfloor.model.spec_anomaly import AnomalySpec
from shopfloor.monitor.anomaly.live import AnomalyEngine, AnomalyService

ANOMALY_STATE = "anomaly-state.json"
HEALTH_STATE = "health-state.json"


def alarms_with_anomaly(plant: Plant, machines: Sequence[str]) -> AlarmsSpec | None:
    """The plant's alarms plus a discrete alarm on each watched machine's anomaly tag.

    None when the plant has no ``alarms:`` section: anomalies then raise events only.
    """
    if plant.alarms is None:
        return None
    extra = plant.anomaly.alarm_entries(list(machines))
    return plant.alarms.model_copy(update={"discrete": (*plant.alarms.discrete, *extra)})


def with_derived_tags(tree: AssetTree, spec: AnomalySpec) -> AssetTree:
    """``tree`` with the derived anomaly tag declared on every watched machine."""
    watched = {m.path for m in tree.machines() if spec.settings_for(m.path) is not None}
    if not watched:
        return tree
    return AssetTree(_graft(tree.root, watched, spec.tag))


def _graft(asset: Asset, watched: set[str], name: str) -> Asset:
    children = tuple(_graft(c, watched, name) for c in asset.children)
    tags = asset.tags
    if asset.path in watched and all(t.name != name for t in tags):
        derived = Tag(
            name,
            low=0,
            high=2,
            description="Anomaly level from the detectors: 0 normal, 1 anomaly, 2 alarm level.",
        )
        tags = (*tags, derived)
    return replace(asset, children=children, tags=tags)


class Monitoring:
    """Anomaly detection, health and RUL for ``machines`` on ``bus``, their state kept in
    ``state_dir``. A model file the ``maintenance:`` section names that cannot be read is a
    :class:`~shopfloor.model.errors.InputError` here, before anything starts."""

    def __init__(
        self, plant: Plant, machines: Sequence[str], bus: Bus, *, state_dir: Path | None = None
    ) -> None:
        self.state_dir = state_dir
        engine = AnomalyEngine(plant.anomaly, machines)
        self.anomaly: AnomalyService | None = None
        if engine.watches:
            self.anomaly = AnomalyService(engine, bus, state_file=self._file(ANOMALY_STATE))
        self.health: HealthService | None = None
        spec = plant.maintenance
        if any(spec.watches(m) for m in machines):
            rul, health = load_models(spec, plant.source)
            estimator = HealthEngine(spec, machines, rul, health)
            self.health = HealthService(estimator, bus, state_file=self._file(HEALTH_STATE))

    def _file(self, name: str) -> Path | None:
        return None if self.state_dir is None else self.state_dir / name

    async def start(self) -> None:
        """Restore saved state and start every service."""
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        for service in (self.anomaly, self.health):
            if service is not None:
                await service.start()

    async def stop(self) -> None:
        """Finish what is queued, publish it, and save the state."""
        for service in (self.anomaly, self.health):
            if service is not None:
                await service.stop()
