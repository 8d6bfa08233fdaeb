"""Anomaly detection, health and RUL in a running process: twin, bus, services, historian."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from shopfloor.bus import MemoryBus
from shopfloor.historian import AsyncHistorian, DuckDBHistorian
from shopfloor.model.plant import Plant, parse_plant
from shopfloor.runtime.monitoring import ANOMALY_STATE, HEALTH_STATE, Monitoring
from shopfloor.runtime.recorder import Recorder
from shopfloor.runtime.twin_runner import run_twin, to_bus
from shopfloor.sim import Twin
from shopfloor.sim.default import PLANTS

START = 1_767_571_200 * 10**9  # 2026-01-05T00:00:00Z
HOURS = 7
SECTIONS = """
anomaly:
  defaults: {training: 3h}
maintenance:
  baseline: 2h
"""


def plant() -> Plant:
    text = (PLANTS / "default.yaml").read_text(encoding="utf-8")
    return parse_plant(text + SECTIONS, "default.yaml")


async def run(db: Path, states: Path, start_ns: int, hours: float) -> None:
    twin = Twin.from_plant(plant(), seed=2, start_ns=start_ns)
    bus = MemoryBus()
    historian = AsyncHistorian(DuckDBHistorian(db))
    recorder = Recorder(bus, historian, flush_every_s=0.05)
    recording = asyncio.create_task(recorder.run())
    monitoring = Monitoring(plant(), [m.path for m in twin.machines], bus, state_dir=states)
    await monitoring.start()
    await run_twin(twin, to_bus(bus), speed=None, duration_s=hours * 3600, chunk_s=600)
    await monitoring.stop()
    recorder.close()
    await recording
    await historian.close()


def test_the_services_store_their_events_and_save_their_state(tmp_path: Path) -> None:
    db, states = tmp_path / "h.duckdb", tmp_path / "state"
    asyncio.run(run(db, states, START, HOURS))
    with DuckDBHistorian(db, read_only=True) as historian:
        trained = historian.events(kind="anomaly.trained")
        health = historian.events(kind="health")
        flags = historian.raw("acme/+/+/+/+/anomaly", START, START + HOURS * 3600 * 10**9)
    assert len(trained) == 9
    assert len({e.asset for e in health}) >= 7  # hourly, once a machine ran its first 2 h
    assert all(0.0 <= e.payload["health"] <= 1.0 for e in health)
    assert len(flags) >= 9
    saved = json.loads((states / ANOMALY_STATE).read_text())
    assert all("units" in machine for machine in saved["machines"].values())
    assert json.loads((states / HEALTH_STATE).read_text())["version"] == 1


def test_a_restart_continues_with_the_saved_detectors_instead_of_training_again(
    tmp_path: Path,
) -> None:
    db, states = tmp_path / "h.duckdb", tmp_path / "state"
    asyncio.run(run(db, states, START, 4))
    asyncio.run(run(tmp_path / "again.duckdb", states, START + 4 * 3600 * 10**9, 1))
    with DuckDBHistorian(tmp_path / "again.duckdb", read_only=True) as historian:
        assert historian.events(kind="anomaly.trained") == []
