"""AsyncHistorian: the same answers as the historian it wraps, without blocking the loop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from shopfloor.historian import (
    Aggregate,
    AsyncHistorian,
    DuckDBHistorian,
    RetentionPolicy,
    RetentionReport,
)
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.errors import HistorianError, HistorianLockedError

from .contract import TEMP, column, event, rows
from .test_duckdb import writer_holding


async def test_async_calls_answer_as_the_historian_does(tmp_path: Path) -> None:
    async with AsyncHistorian(DuckDBHistorian(tmp_path / "h.duckdb")) as h:
        await h.append(SampleBatch.of(TEMP, [0, 5, 10], [1.0, 3.0, 5.0]))
        await h.append_text(TextBatch.of("acme/site/recipe", [0], ["r1"]))
        await h.append_events(e for e in [event("e1", 5, "acme/site", "state.change")])
        await h.flush()

        assert await h.paths() == ["acme/site/line1/press/temp", "acme/site/recipe"]
        assert rows(await h.raw(TEMP, 0, 10, limit=1)) == [(TEMP, 0, 1.0)]
        assert rows(await h.raw_text("#", 0, 10)) == [("acme/site/recipe", 0, "r1")]
        down = await h.downsample(TEMP, 0, 20, 10, [Aggregate.MEAN])
        assert column(down, Aggregate.MEAN) == [2.0, 5.0]
        assert rows(await h.latest()) == [(TEMP, 10, 5.0)]
        assert [e.id for e in await h.events(kind="state")] == ["e1"]
        report = await h.apply_retention(RetentionPolicy(samples_s=0), now_ns=6)
        assert report == RetentionReport(2, 1, 0)


async def test_a_slow_call_does_not_block_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    DuckDBHistorian(path).close()
    reader = AsyncHistorian(
        DuckDBHistorian(path, mode="shared", read_only=True, lock_timeout_s=0.5)
    )
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    with writer_holding(path), pytest.raises(HistorianLockedError):
        await reader.latest()  # retries on the worker for half a second, then gives up
    ticker.cancel()
    await reader.close()

    assert ticks >= 20


async def test_every_call_runs_on_one_worker_thread(tmp_path: Path) -> None:
    seen: set[str] = set()

    class Spy(DuckDBHistorian):
        def flush(self) -> None:
            seen.add(threading.current_thread().name)
            super().flush()

    async with AsyncHistorian(Spy(tmp_path / "h.duckdb")) as h:
        await asyncio.gather(*(h.flush() for _ in range(20)))

    assert len(seen) == 1
    assert threading.current_thread().name not in seen


async def test_a_closed_async_historian_refuses_work(tmp_path: Path) -> None:
    h = AsyncHistorian(DuckDBHistorian(tmp_path / "h.duckdb"))
    await h.close()
    await h.close()

    with pytest.raises(HistorianError):
        await h.latest()
