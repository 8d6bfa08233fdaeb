"""The two sides of the benchmark, each run whole in its own process.

Each side appends the same stream into its own file and then answers the same trend
queries. The historian side goes through :class:`DuckDBHistorian`; the plain side is the
ceiling: a bare table with the same columns, the same batches inserted with
``INSERT INTO samples SELECT * FROM <arrow table>``, then ``CHECKPOINT``, and the very SQL
text that the historian runs for a mean downsample (same table name, same tag ids).
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from bench.historian.workload import Columns, Query, Workload
from shopfloor.historian import Aggregate, DuckDBHistorian
from shopfloor.historian._duckdb_sql import SCHEMA, downsample_sql
from shopfloor.model.batch import SampleBatch

WARM_UP_QUERIES = 3
MEAN = (Aggregate.MEAN,)


@dataclass
class Side:
    """What one side measured."""

    name: str
    points: int = 0
    append_s: float = 0.0
    phase_s: float = 0.0
    file_bytes: int = 0
    query_ms: list[float] = field(default_factory=list)
    first_means: list[float] = field(default_factory=list)
    peak_rss_bytes: int = 0
    load_before: str = field(default_factory=lambda: f"{os.getloadavg()[0]:.1f}")

    @property
    def points_per_s(self) -> float:
        return self.points / self.append_s

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.query_ms, q))


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _file_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def query_sql(q: Query) -> str:
    """The SQL the historian runs for ``q`` (its tag ids are 0..tags-1, checked)."""
    return downsample_sql("samples", [q.tag], q.start_ns, q.end_ns, q.every_ns, MEAN)


def _time_queries(side: Side, queries: list[Query], run: Callable[[Query], list[float]]) -> None:
    for q in queries[:WARM_UP_QUERIES]:
        run(q)
    for q in queries:
        t = time.perf_counter()
        means = run(q)
        side.query_ms.append((time.perf_counter() - t) * 1e3)
        if not side.first_means:
            side.first_means = means  # to check that both sides answer alike


def _check_tag_ids(path: Path, paths: tuple[str, ...]) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        stored = con.execute("SELECT id, path FROM tags ORDER BY id").fetchall()
    if stored != list(enumerate(paths)):
        raise SystemExit("historian tag ids differ from the plain table's: SQL would differ")


def historian_side(work: Workload, path: Path, flush_rows: int) -> Side:
    """Append through the historian, close it (flush, checkpoint), reopen and query."""
    side = Side("historian")
    started = time.perf_counter()
    paths = work.paths()
    h = DuckDBHistorian(path, flush_rows=flush_rows)
    for c in work.stream():
        batch = SampleBatch(paths, c.tag, c.ts, c.recv, c.status, c.value)
        t = time.perf_counter()
        h.append(batch)
        side.append_s += time.perf_counter() - t
        side.points += len(batch)
    t = time.perf_counter()
    h.close()
    side.append_s += time.perf_counter() - t
    side.file_bytes = _file_bytes(path)
    _check_tag_ids(path, paths)

    with DuckDBHistorian(path, read_only=True) as h:

        def run(q: Query) -> list[float]:
            down = h.downsample(paths[q.tag], q.start_ns, q.end_ns, q.every_ns, MEAN)
            return [float(x) for x in down.columns[Aggregate.MEAN]]

        _time_queries(side, work.trend_queries(), run)
    side.phase_s = time.perf_counter() - started
    side.peak_rss_bytes = _peak_rss_bytes()
    return side


def _arrow(c: Columns) -> pa.Table:
    return pa.table(
        {"tag_id": c.tag, "ts": c.ts, "recv": c.recv, "value": c.value, "status": c.status}
    )


def plain_side(work: Workload, path: Path) -> Side:
    """The ceiling: the same batches straight into a bare DuckDB table, the same SQL."""
    side = Side("plain DuckDB")
    started = time.perf_counter()
    samples_ddl = next(ddl for ddl in SCHEMA if "EXISTS samples " in ddl)
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")  # the historian draws none either
    con.execute(samples_ddl)
    for c in work.stream():
        t = time.perf_counter()
        con.register("batch", _arrow(c))
        con.execute("INSERT INTO samples SELECT * FROM batch")
        con.unregister("batch")
        side.append_s += time.perf_counter() - t
        side.points += len(c.tag)
    t = time.perf_counter()
    con.execute("CHECKPOINT")
    con.close()
    side.append_s += time.perf_counter() - t
    side.file_bytes = _file_bytes(path)

    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("SET enable_progress_bar = false")

        def run(q: Query) -> list[float]:
            result = con.sql(query_sql(q)).to_arrow_table()
            return [float(x) for x in result.column("mean").to_numpy()]

        _time_queries(side, work.trend_queries(), run)
    side.phase_s = time.perf_counter() - started
    side.peak_rss_bytes = _peak_rss_bytes()
    return side
