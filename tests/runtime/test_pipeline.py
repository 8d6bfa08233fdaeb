"""The twin, bus, recorder and monitors working together, on simulated time."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.bus import MemoryBus
from shopfloor.historian import AsyncHistorian, DuckDBHistorian
from shopfloor.model.calendar import Calendar
from shopfloor.monitor.history_oee import oee_from_history
from shopfloor.monitor.live import LiveMonitor
from shopfloor.runtime.recorder import Recorder
from shopfloor.runtime.twin_runner import run_twin, to_bus
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.twin import ideal_cycle_times

START = 1_795_680_000 * 10**9  # 2026-11-26T08:00:00Z
HOURS = 3


async def run_into(db: Path) -> tuple[Twin, LiveMonitor, Recorder]:
    plant = default_plant()
    twin = Twin.from_plant(plant, seed=11, start_ns=START)
    bus = MemoryBus()
    historian = AsyncHistorian(DuckDBHistorian(db, mode="shared"))
    recorder = Recorder(bus, historian, flush_every_s=0.05)
    monitor = LiveMonitor(bus, [m.path for m in twin.machines])
    import asyncio

    recording = asyncio.create_task(recorder.run())
    await run_twin(
        twin, to_bus(bus), speed=None, duration_s=HOURS * 3600, chunk_s=900, on_step=lambda _: None
    )
    monitor.drain()
    recorder.close()
    await recording
    await historian.close()
    return twin, monitor, recorder


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Twin, LiveMonitor, Recorder]:
    import asyncio

    db = tmp_path_factory.mktemp("pipe") / "p.duckdb"
    twin, monitor, recorder = asyncio.run(run_into(db))
    return db, twin, monitor, recorder


def test_the_recorder_stores_every_sample_and_event_the_twin_published(pipeline) -> None:  # type: ignore[no-untyped-def]
    db, twin, _, recorder = pipeline
    with DuckDBHistorian(db, read_only=True) as historian:
        stored = len(historian.raw("#", START, START + HOURS * 3600 * 10**9))
        events = historian.events(start_ns=START, end_ns=START + HOURS * 3600 * 10**9)
    assert stored == recorder.stats.samples
    assert len(events) == recorder.stats.events
    assert twin.now_ns == START + HOURS * 3600 * 10**9


def test_live_oee_from_the_bus_equals_oee_from_the_stored_history(pipeline) -> None:  # type: ignore[no-untyped-def]
    db, twin, monitor, _ = pipeline
    plant = default_plant()
    ideal = ideal_cycle_times(plant)
    live = monitor.oee(ideal)
    assert monitor.start_ns is not None
    assert monitor.now_ns is not None
    with DuckDBHistorian(db, read_only=True) as historian:
        stored = oee_from_history(
            historian,
            machines=[m.path for m in twin.machines],
            ideal_cycle_s=ideal,
            line_of={m.path: twin.line_path for m in twin.machines},
            calendar=Calendar(),
            start_ns=monitor.start_ns,
            end_ns=monitor.now_ns + 1,
            by="machine",
        )
    # The live view counts samples up to and including the newest one; the history range
    # ends exclusively, so it ends one nanosecond later.
    assert {r.machine: round(r.oee or 0, 6) for r in stored} == {
        path: round(r.oee or 0, 6) for path, r in live.items()
    }


def test_live_monitor_keeps_the_latest_state_and_recent_events(pipeline) -> None:  # type: ignore[no-untyped-def]
    _, twin, monitor, _ = pipeline
    states = {m.path: m.state for m in twin.machines}
    assert {p: m.state for p, m in monitor.machines.items()} == states
    assert monitor.events
