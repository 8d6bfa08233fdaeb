"""One measured run: build the twins, advance them chunk by chunk, optionally store it all."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from pathlib import Path

from bench.twin.plants import twins
from shopfloor.historian import DuckDBHistorian
from shopfloor.model.clock import NS_PER_S

# 2026-11-26 09:00 in Berlin: a working day with three shifts and three breaks.
START_NS = 1_795_680_000 * NS_PER_S
DAY_S = 86_400.0


@dataclass(frozen=True)
class Config:
    """What to run: how many lines (one twin each) and whether a historian stores it."""

    lines: int
    historian: bool

    @property
    def name(self) -> str:
        size = "default" if self.lines == 1 else f"x{self.lines}"
        return f"{size}{'+historian' if self.historian else ''}"


@dataclass(frozen=True)
class Result:
    """What one run measured."""

    config: Config
    machines: int
    simulated_s: float
    chunk_s: float
    build_s: float
    wall_s: float
    cpu_s: float
    rows: int
    events: int
    failures: int
    file_bytes: int
    peak_rss_bytes: int

    @property
    def speedup(self) -> float:
        """Simulated seconds per wall-clock second."""
        return self.simulated_s / self.wall_s

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall_s


def measure(config: Config, days: float, chunk_s: float, seed: int, directory: Path) -> Result:
    """Run ``config`` for ``days`` simulated days in steps of ``chunk_s`` seconds.

    The wall time counts advancing every twin and, with a historian, appending every chunk's
    samples, text samples and events, then the final flush and close; not building the twins.
    The CPU time (every thread of the process) over the same span shows how much of the wall
    time other work on the machine took.
    """
    began = time.perf_counter()
    line_twins = twins(config.lines, seed, START_NS)
    build_s = time.perf_counter() - began
    path = directory / f"{config.name}.duckdb"
    historian = DuckDBHistorian(path) if config.historian else None
    steps = max(1, round(days * DAY_S / chunk_s))
    rows = events = 0
    began, cpu_began = time.perf_counter(), time.process_time()
    for _ in range(steps):
        for twin in line_twins:
            out = twin.advance(chunk_s)
            rows += len(out.samples) + len(out.texts)
            events += len(out.events)
            if historian is not None:
                historian.append(out.samples)
                historian.append_text(out.texts)
                historian.append_events(out.events)
    if historian is not None:
        historian.flush()
        historian.close()
    wall_s = time.perf_counter() - began
    cpu_s = time.process_time() - cpu_began
    return Result(
        config=config,
        machines=sum(len(t.machines) for t in line_twins),
        simulated_s=steps * chunk_s,
        chunk_s=chunk_s,
        build_s=build_s,
        wall_s=wall_s,
        cpu_s=cpu_s,
        rows=rows,
        events=events,
        failures=sum(len(t.truth.failures) for t in line_twins),
        file_bytes=path.stat().st_size if historian is not None else 0,
        peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    )
