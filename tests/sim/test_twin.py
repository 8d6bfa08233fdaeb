"""Determinism: a seed fixes the twin's whole history, however it is cut into chunks.

The history is hashed over every column of every sample, text sample and event, rows in
(path, time) order, so that only what was reported counts, not how it was batched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.twin.plants import replicated_text

from shopfloor.historian import DuckDBHistorian
from shopfloor.model.clock import NS_PER_S
from shopfloor.model.plant import parse_plant
from shopfloor.sim import Twin, default_plant

from .history import HOUR, START_NS, digest, rows_digest, run

SPAN = 6 * HOUR
DAY_NS = 86_400 * NS_PER_S
AREA = "acme/stuttgart/fabrication"


def history_digest(seed: int, step: float) -> str:
    twin = Twin.from_plant(default_plant(), seed=seed, start_ns=START_NS)
    return digest(run(twin, SPAN, step))


@pytest.fixture(scope="module")
def hourly() -> str:
    """Six hours of the default plant, seed 1, advanced an hour at a time."""
    return history_digest(1, HOUR)


def test_the_same_seed_gives_the_same_history(hourly: str) -> None:
    assert history_digest(1, HOUR) == hourly


def test_another_seed_gives_another_history(hourly: str) -> None:
    assert history_digest(2, HOUR) != hourly


@pytest.mark.parametrize("step", [60.0, 37.5, 5400.0])
def test_the_history_does_not_depend_on_the_chunk_size(hourly: str, step: float) -> None:
    assert history_digest(1, step) == hourly


def test_advance_moves_the_twin_clock_by_the_simulated_time() -> None:
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    twin.advance(90)
    twin.advance_to(START_NS + 600 * NS_PER_S)
    assert twin.now_ns == START_NS + 600 * NS_PER_S


def test_the_twin_does_not_go_back_in_time() -> None:
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    twin.advance(600)
    with pytest.raises(ValueError, match="back in time"):
        twin.advance_to(START_NS)


def test_samples_carry_their_own_times_within_the_chunk() -> None:
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    twin.advance(600)
    out = twin.advance(600)
    assert out.samples.source_ns.min() >= START_NS + 600 * NS_PER_S
    assert out.samples.source_ns.max() < START_NS + 1200 * NS_PER_S


def event_ids(twin: Twin) -> set[str]:
    return {e.id for out in run(twin, 2 * HOUR) for e in out.events}


def test_event_ids_differ_between_runs_of_the_same_seed() -> None:
    """A second run into the same historian must not overwrite the first run's events."""
    today = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    tomorrow = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS + DAY_NS)
    first, second = event_ids(today), event_ids(tomorrow)
    assert len(first) > 10
    assert len(second) > 10
    assert first.isdisjoint(second)


def test_event_ids_differ_between_lines_of_the_same_seed() -> None:
    plant = parse_plant(replicated_text(2), source="two lines")
    assert plant.sim is not None
    lines = [
        Twin(plant, plant.sim.model_copy(update={"line": f"{AREA}/line{i}"}), seed=1)
        for i in (1, 2)
    ]
    first, second = (event_ids(twin) for twin in lines)
    assert len(first) > 10
    assert first.isdisjoint(second)


# -- stored history ---------------------------------------------------------------------
STORED = 3 * HOUR


def store(path: Path, seed: int) -> int:
    """Run the twin into a DuckDB file; the number of samples and text samples it emitted."""
    twin = Twin.from_plant(default_plant(), seed=seed, start_ns=START_NS)
    emitted = 0
    with DuckDBHistorian(path) as historian:
        for out in run(twin, STORED, step=600):
            historian.append(out.samples)
            historian.append_text(out.texts)
            historian.append_events(out.events)
            emitted += len(out.samples) + len(out.texts)
        historian.flush()
    return emitted


def read_back(path: Path) -> tuple[str, int]:
    """A hash of everything stored (raw query of all tags, all events) and the row count."""
    end = START_NS + round(STORED * NS_PER_S)
    with DuckDBHistorian(path, read_only=True) as historian:
        samples = historian.raw("#", START_NS, end)
        texts = historian.raw_text("#", START_NS, end)
        events = historian.events()
    return rows_digest(samples, texts, events), len(samples) + len(texts)


def test_the_same_seed_stores_the_same_history(tmp_path: Path) -> None:
    store(tmp_path / "a.duckdb", seed=1)
    store(tmp_path / "b.duckdb", seed=1)
    store(tmp_path / "c.duckdb", seed=2)
    first, second, other = (read_back(tmp_path / f"{n}.duckdb")[0] for n in "abc")
    assert first == second
    assert first != other


def test_the_historian_stores_every_sample_the_twin_emits(tmp_path: Path) -> None:
    emitted = store(tmp_path / "a.duckdb", seed=1)
    assert read_back(tmp_path / "a.duckdb")[1] == emitted
