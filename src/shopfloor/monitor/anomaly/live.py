"""Anomaly detection on the live bus: every watched machine, trained and scored as data comes.

:class:`AnomalyEngine` is pure (no I/O, no clock): sample batches in, events and derived
flag samples out. It routes each batch's samples to the machines of the plant file's
``anomaly:`` section (:meth:`AnomalySpec.settings_for`), where a :class:`MachineWatch` learns
and then scores them. Its outputs:

- ``anomaly.trained`` once a machine's detectors are fitted (tags, rows, thresholds);
- ``anomaly.start`` / ``anomaly.update`` / ``anomaly.end`` for each anomaly, with the score,
  its threshold, the severity (how far past the threshold) and the tags that contributed
  most (PCA: each signal's share of the distance; EWMA: the signal itself);
- samples of the derived tag ``<machine>/<tag>`` (default ``anomaly``) at each change: 0
  normal, 1 anomaly, 2 alarm level. A discrete alarm on it (``AnomalySpec.alarm_entries``)
  puts sustained anomalies through the ISA-18.2 alarm machinery.

:class:`AnomalyService` runs the engine on a bus, as the alarm service does.

>>> from shopfloor.model.spec_anomaly import AnomalySpec
>>> engine = AnomalyEngine(AnomalySpec(), ["acme/line1/press1"])
>>> engine.status()[0]["trained"]
False
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from shopfloor.bus.base import Bus, Message
from shopfloor.bus.worker import BusWorker
from shopfloor.files import write_text_atomic
from shopfloor.model.batch import SampleBatch
from shopfloor.model.event import Event
from shopfloor.model.spec_anomaly import AnomalySpec
from shopfloor.monitor.anomaly.machine import MachineWatch
from shopfloor.monitor.anomaly.rows import Series, split_by_tag

VERSION = 1
Output = tuple[list[Event], SampleBatch | None]


class AnomalyEngine:
    """Routes samples to each watched machine and gathers what they report."""

    def __init__(self, spec: AnomalySpec, machines: Iterable[str]) -> None:
        self.spec = spec
        self.watches: dict[str, MachineWatch] = {}
        for machine in machines:
            settings = spec.settings_for(machine)
            if settings is not None:
                self.watches[machine] = MachineWatch(machine, settings)
        self._routes: dict[str, tuple[str, str] | None] = {}

    def process(self, batch: SampleBatch) -> Output:
        """Events (in time order) and the derived tag's samples caused by ``batch``."""
        routes = [self._route(path) for path in batch.paths]
        per_machine: dict[str, dict[str, Series]] = {}
        for index, series in split_by_tag(batch, [r is not None for r in routes]):
            route = routes[index]
            assert route is not None
            per_machine.setdefault(route[0], {})[route[1]] = series
        events: list[Event] = []
        flags: list[tuple[str, Series]] = []
        for machine, parts in per_machine.items():
            found, times, values = self.watches[machine].process(parts)
            events.extend(found)
            if len(times):
                flags.append((f"{machine}/{self.spec.tag}", (times, values)))
        events.sort(key=lambda e: e.time_ns)
        return events, _flag_batch(flags)

    def status(self) -> list[dict[str, Any]]:
        """Each watched machine: trained or not, its tags, and its anomaly level now."""
        return [
            {
                "machine": machine,
                "trained": watch.trained,
                "tags": list(watch.tags),
                "level": 0 if watch.episodes is None else watch.episodes.flag,
                "since_ns": None if watch.episodes is None else watch.episodes.since_ns,
            }
            for machine, watch in self.watches.items()
        ]

    def save_state(self) -> dict[str, Any]:
        """Every machine's detectors and anomaly in progress, as JSON-compatible data."""
        machines = {m: w.save_state() for m, w in self.watches.items()}
        return {"version": VERSION, "machines": machines}

    def restore_state(self, data: Mapping[str, Any]) -> list[str]:
        """Take back saved state; returns the machines that learn afresh (settings changed,
        not trained yet, or no longer watched)."""
        saved = data.get("machines", {}) if data.get("version") == VERSION else {}
        fresh = [m for m in saved if m not in self.watches]
        for machine, watch in self.watches.items():
            state = saved.get(machine)
            if state is None or not watch.restore(state):
                fresh.append(machine)
        return sorted(fresh)

    def _route(self, path: str) -> tuple[str, str] | None:
        if path not in self._routes:
            machine, _, name = path.rpartition("/")
            watched = machine in self.watches and name != self.spec.tag
            self._routes[path] = (machine, name) if watched else None
        return self._routes[path]


def _flag_batch(flags: list[tuple[str, Series]]) -> SampleBatch | None:
    if not flags:
        return None
    times = np.concatenate([s[0] for _, s in flags])
    return SampleBatch(
        paths=tuple(path for path, _ in flags),
        tag=np.repeat(np.arange(len(flags), dtype=np.int32), [len(s[0]) for _, s in flags]),
        source_ns=times,
        receive_ns=times,
        status=np.zeros(len(times), np.uint32),
        value=np.concatenate([s[1] for _, s in flags]),
    )


def load_engine_state(engine: AnomalyEngine, path: Path) -> list[str]:
    """Restore ``engine`` from the file at ``path`` if there is one; see ``restore_state``."""
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return sorted(engine.watches)  # a damaged file: learn afresh rather than fail to start
    return engine.restore_state(data) if isinstance(data, dict) else sorted(engine.watches)


def save_engine_state(engine: AnomalyEngine, path: Path) -> None:
    """Write ``engine``'s state to ``path`` atomically (never a half-written file)."""
    write_text_atomic(path, json.dumps(engine.save_state(), allow_nan=False))


class AnomalyService(BusWorker[Output]):
    """Runs ``engine`` on ``bus``: samples in, events and derived samples published.

    The subscription blocks rather than drops (a detector must see every row), and outputs
    go through an outbox drained by their own task, since the service also receives what it
    publishes. ``state_file``, when given, is read at start and written at stop.
    """

    name = "anomaly"

    def __init__(
        self,
        engine: AnomalyEngine,
        bus: Bus,
        *,
        state_file: Path | None = None,
        capacity: int = 1_000_000,
    ) -> None:
        super().__init__(bus, capacity=capacity)
        self.engine = engine
        self.state_file = state_file

    def _restore(self) -> None:
        if self.state_file is not None:
            load_engine_state(self.engine, self.state_file)

    def _save(self) -> None:
        if self.state_file is not None:
            save_engine_state(self.engine, self.state_file)

    def _take(self, message: Message) -> Output | None:
        if not isinstance(message, SampleBatch):
            return None
        events, flags = self.engine.process(message)
        return (events, flags) if events or flags is not None else None

    async def _send(self, item: Output) -> None:
        events, flags = item
        if flags is not None:
            await self.bus.publish(flags)
        if events:
            await self.bus.publish(tuple(events))

    def _size(self, item: Output) -> int:
        return len(item[0])
