"""Health and remaining useful life per machine, live on the bus.

:class:`HealthEngine` is pure: sample batches and events in, events out. For each machine the
plant file's ``maintenance:`` section selects, it builds rows of the machine's vibration,
temperature, current and power (``monitor.anomaly.rows``), keeps the running ones, and logs
its current life (``lives.py``). Every ``interval`` of data time the life so far goes through
the RUL model (``rul.py``, a saved ``shopfloor rul`` model whose features are the life's) and
the health index (``health.py``), and the engine reports:

- ``health`` (info): ``health`` in [0, 1], ``rul_h``, ``lower_h``, ``upper_h`` (the 90 %
  interval; ``null`` when unbounded), ``running_h`` and ``life_h`` since the renewal,
  ``since_ns`` (the renewal);
- ``maintenance.warning`` (medium) when the interval's lower bound (``warn_on: lower``, the
  default) or the estimate itself falls below ``horizon``; once per approach: it is armed
  again by a renewal or by the estimate rising past 1.5 times the horizon.

A life starts at the first data seen from a machine and at each *renewal*: an event of kind
``maintenance.renewed`` on the machine, or the twin's ``sim.failure`` of kind ``wear`` (its
worn component replaced during the repair).

:class:`HealthService` runs the engine on a bus, as the anomaly service does.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from shopfloor.bus.base import Bus, Message
from shopfloor.bus.worker import BusWorker
from shopfloor.files import write_text_atomic
from shopfloor.maintenance.health import HealthModel, load_health
from shopfloor.maintenance.lives import COLUMNS, SIGNALS, LifeLog
from shopfloor.maintenance.rul import RulModel, load_model
from shopfloor.model.batch import SampleBatch
from shopfloor.model.errors import ConfigError
from shopfloor.model.event import Event, Severity
from shopfloor.model.spec_maintenance import MaintenanceSpec
from shopfloor.monitor.anomaly.rows import RowAligner, Series, sample_period_ns, split_by_tag

VERSION = 1
HEALTH = "health"
WARNING = "maintenance.warning"
RENEWED = "maintenance.renewed"
REARM = 1.5
MODELS = resources.files("shopfloor.maintenance") / "models"
BUILTIN_RUL = "twin-rul.json"
BUILTIN_HEALTH = "twin-health.json"


def load_models(spec: MaintenanceSpec, plant_source: str = "") -> tuple[RulModel, HealthModel]:
    """The section's models: its files (relative to the plant file), else the built-in ones."""
    base = Path(plant_source).parent if plant_source and plant_source[0] != "<" else Path()
    rul_path = base / spec.model if spec.model else Path(str(MODELS / BUILTIN_RUL))
    health_path = (
        base / spec.health_model if spec.health_model else Path(str(MODELS / BUILTIN_HEALTH))
    )
    rul, health = load_model(rul_path), load_health(health_path)
    for name, columns in (("model", rul.sensor_names), ("health_model", health.sensor_names)):
        if tuple(columns) != COLUMNS:
            raise ConfigError(
                f"maintenance.{name}: the model reads {', '.join(columns)}; a machine's life "
                f"gives {', '.join(COLUMNS)} (see docs/rul.md)"
            )
    return rul, health


class MachineLife:
    """One machine: its rows, its current life, its latest estimate and warning state."""

    def __init__(self, path: str, spec: MaintenanceSpec) -> None:
        self.path = path
        self.spec = spec
        columns = [f"{path}/{name}" for name in (*SIGNALS, spec.state_tag)]
        self.aligner: RowAligner | None = None
        self.columns = columns
        self.period_s = 1.0
        self.life: LifeLog | None = None
        self.armed = True
        self.latest: dict[str, Any] | None = None

    def rows(self, series: Mapping[str, Series]) -> tuple[Any, Any, Any]:
        """This batch's rows: times, the signals (rows x SIGNALS) and running flags."""
        if self.aligner is None:
            counts = [len(series[c][0]) if c in series else 0 for c in self.columns[:-1]]
            if max(counts) == 0:
                return np.zeros(0, np.int64), np.zeros((0, len(SIGNALS))), np.zeros(0, bool)
            clock = int(np.argmax(counts))
            self.aligner = RowAligner(self.columns, clock)
            self.period_s = sample_period_ns(series[self.columns[clock]][0]) / 1e9
        times, values = self.aligner.rows(series)
        codes = [s.code for s in self.spec.states]
        return times, values[:, : len(SIGNALS)], np.isin(values[:, -1], codes)

    def start_life(self, at_ns: int) -> None:
        """A renewal (or the first data): a new life from ``at_ns``."""
        self.life = LifeLog(
            start_ns=at_ns,
            interval_s=self.spec.interval,
            baseline_s=self.spec.baseline,
            period_s=self.period_s,
        )
        self.armed = True


class HealthEngine:
    """Health and RUL of every selected machine (see the module text)."""

    def __init__(
        self,
        spec: MaintenanceSpec,
        machines: Iterable[str],
        rul: RulModel | None,
        health: HealthModel | None,
        *,
        keep_lives: bool = False,
    ) -> None:
        """Without models the engine only logs lives; ``keep_lives`` keeps each ended one
        in :attr:`ended` (machine, life), to learn models from."""
        self.spec, self.rul, self.health = spec, rul, health
        self.machines = {m: MachineLife(m, spec) for m in machines if spec.watches(m)}
        self.keep_lives = keep_lives
        self.ended: list[tuple[str, LifeLog]] = []
        self._routes: dict[str, str | None] = {}

    def process(self, batch: SampleBatch) -> list[Event]:
        """The estimates (and warnings) that ``batch`` completes, in time order."""
        routes = [self._route(path) for path in batch.paths]
        per_machine: dict[str, dict[str, Series]] = {}
        for index, series in split_by_tag(batch, [r is not None for r in routes]):
            machine = routes[index]
            assert machine is not None
            per_machine.setdefault(machine, {})[batch.paths[index]] = series
        events: list[Event] = []
        for machine, parts in per_machine.items():
            events += self._advance(self.machines[machine], parts)
        return sorted(events, key=lambda e: e.time_ns)

    def observe(self, events: Iterable[Event]) -> None:
        """Take renewals from ``events``: each starts a new life of its machine."""
        for event in events:
            state = self.machines.get(event.asset)
            if state is None:
                continue
            wear = event.kind == "sim.failure" and event.payload.get("kind") == "wear"
            if event.kind == RENEWED or wear:
                if self.keep_lives and state.life is not None:
                    state.life.close(event.time_ns)
                    self.ended.append((state.path, state.life))
                state.start_life(event.time_ns)

    def status(self) -> dict[str, dict[str, Any] | None]:
        """The latest estimate of each machine (the last ``health`` payload), or None."""
        return {m: s.latest for m, s in self.machines.items()}

    def _advance(self, state: MachineLife, series: Mapping[str, Series]) -> list[Event]:
        times, values, running = state.rows(series)
        if not len(times):
            return []
        if state.life is None:
            state.start_life(int(times[0]))
        assert state.life is not None
        state.life.period_s = state.period_s
        made = state.life.add(times, values, running)
        return self._estimate(state, made) if made and self.rul is not None else []

    def _estimate(self, state: MachineLife, made: int) -> list[Event]:
        life = state.life
        assert life is not None
        assert self.rul is not None
        assert self.health is not None
        table = life.table()
        rul = self.rul.predict_rows(table)[-made:]
        lower, upper = self.rul.intervals.interval(rul)
        health = self.health.index(table)[-made:]
        events: list[Event] = []
        horizon_h = self.spec.horizon / 3600.0
        for k in range(made):
            row = len(life.records) - made + k
            at = life.start_ns + round(life.times_h[row] * 3600e9)
            payload = {
                "health": round(float(health[k]), 4),
                "rul_h": round(float(rul[k]), 2),
                "lower_h": _finite(lower[k]),
                "upper_h": _finite(upper[k]),
                "running_h": round(life.records[row][0], 3),
                "life_h": round(life.times_h[row], 3),
                "since_ns": life.start_ns,
                "horizon_h": horizon_h,
            }
            state.latest = {"time_ns": at, **payload}
            events.append(_event(at, state.path, HEALTH, Severity.INFO, payload))
            measure = float(lower[k] if self.spec.warn_on == "lower" else rul[k])
            if state.armed and measure < horizon_h:
                state.armed = False
                due = at + round(float(rul[k]) * 3600e9)
                warning = {**payload, "due_ns": due, "warn_on": self.spec.warn_on}
                events.append(_event(at, state.path, WARNING, Severity.MEDIUM, warning))
            elif measure > REARM * horizon_h:
                state.armed = True
        return events

    def _route(self, path: str) -> str | None:
        if path not in self._routes:
            machine, _, name = path.rpartition("/")
            wanted = machine in self.machines and name in (*SIGNALS, self.spec.state_tag)
            self._routes[path] = machine if wanted else None
        return self._routes[path]

    # -- saving --------------------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """Each machine's life, aligner and warning state, as JSON-compatible data."""
        machines = {}
        for path, s in self.machines.items():
            machines[path] = {
                "clock": None if s.aligner is None else s.aligner.clock,
                "aligner": None if s.aligner is None else s.aligner.save_state(),
                "period_s": s.period_s,
                "life": None if s.life is None else s.life.save_state(),
                "armed": s.armed,
                "latest": s.latest,
            }
        return {"version": VERSION, "settings": self.spec.model_dump(mode="json"), **machines}

    def restore_state(self, data: Mapping[str, Any]) -> list[str]:
        """Take back saved state; returns the machines that start afresh."""
        same = data.get("version") == VERSION and data.get("settings") == self.spec.model_dump(
            mode="json"
        )
        fresh = []
        for path, s in self.machines.items():
            saved = data.get(path) if same else None
            if not isinstance(saved, dict):
                fresh.append(path)
                continue
            if saved["aligner"] is not None:
                s.aligner = RowAligner(s.columns, int(saved["clock"]))
                s.aligner.restore(saved["aligner"])
            s.period_s = float(saved["period_s"])
            if saved["life"] is not None:
                s.life = LifeLog.from_state(
                    saved["life"],
                    interval_s=self.spec.interval,
                    baseline_s=self.spec.baseline,
                    period_s=s.period_s,
                )
            s.armed, s.latest = bool(saved["armed"]), saved["latest"]
        return sorted(fresh)


def _finite(value: float) -> float | None:
    return round(float(value), 2) if math.isfinite(value) else None


def _event(at: int, asset: str, kind: str, severity: Severity, payload: dict[str, Any]) -> Event:
    return Event.new(
        time_ns=at, asset=asset, kind=kind, severity=severity, payload=payload, actor="rul"
    )


class HealthService(BusWorker[list[Event]]):
    """Runs ``engine`` on ``bus``; ``state_file``, when given, is read at start, written at stop."""

    name = "health"

    def __init__(
        self,
        engine: HealthEngine,
        bus: Bus,
        *,
        state_file: Path | None = None,
        capacity: int = 1_000_000,
    ) -> None:
        super().__init__(bus, capacity=capacity)
        self.engine = engine
        self.state_file = state_file

    def _restore(self) -> None:
        if self.state_file is not None and self.state_file.exists():
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                self.engine.restore_state(json.loads(self.state_file.read_text("utf-8")))

    def _save(self) -> None:
        if self.state_file is not None:
            write_text_atomic(self.state_file, json.dumps(self.engine.save_state()))

    def _take(self, message: Message) -> list[Event] | None:
        if isinstance(message, SampleBatch):
            return self.engine.process(message) or None
        if isinstance(message, tuple):
            self.engine.observe(message)
        return None

    async def _send(self, item: list[Event]) -> None:
        await self.bus.publish(tuple(item))

    def _size(self, item: list[Event]) -> int:
        return len(item)
