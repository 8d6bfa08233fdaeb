"""PostgreSQL historian benchmark: append throughput and trend-query latency, beside DuckDB.

Run from the project root, with a PostgreSQL server at ``--url`` (default
``$SHOPFLOOR_PG_URL``, else ``postgresql://postgres@127.0.0.1:5432/test``)::

    python -m bench.historian.postgres            # 10 million points
    python -m bench.historian.postgres --quick    # a smoke-sized run, a few seconds

The workload and the queries are ``bench.historian``'s (:mod:`bench.historian.workload`): a
plant of ``--tags`` tags at 1 Hz, appended in time order across tags, then one tag's 24 h
downsampled to 1,000 buckets (mean), at random tags and starts. Three sides each load the
stream into a store of their own, one after the other, each in a process of its own:

1. :class:`~shopfloor.historian.postgres.PostgresHistorian` (then, in another process, the
   first tenth of the stream appended again: every row is a rewrite, so every row takes
   the staged ``INSERT ... ON CONFLICT DO UPDATE``);
2. plain PostgreSQL, the ceiling: a bare table with the same columns and primary key, the
   same batches gathered into COPYs of the same size, sorted, ``COPY ... FROM STDIN (FORMAT
   BINARY)``; its queries are the very SQL text the historian runs, in a session set up as
   the historian's;
3. :class:`~shopfloor.historian.DuckDBHistorian`, with its default flush size.

Then one process runs the queries on all three, interleaved (query i on every side before
query i + 1, the order of the sides rotating), so that a machine whose load drifts treats
the sides alike; once right after the load, once more after ``VACUUM (ANALYZE)`` of the
PostgreSQL tables. The report is a markdown block for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shlex
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
from psycopg import sql

from bench.historian.cli import in_child, workload
from bench.historian.phases import WARM_UP_QUERIES
from bench.historian.report import machine
from bench.historian.workload import Query, Workload
from shopfloor.historian import Aggregate, DuckDBHistorian
from shopfloor.historian._pg_copy import copy_samples
from shopfloor.historian._pg_sql import downsample_sql
from shopfloor.historian.duckdb import DEFAULT_FLUSH_ROWS as DUCKDB_FLUSH_ROWS
from shopfloor.historian.postgres import DEFAULT_FLUSH_ROWS, PostgresHistorian
from shopfloor.historian.staging import Staging
from shopfloor.model.batch import SampleBatch

DEFAULT_URL = os.environ.get("SHOPFLOOR_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
QUICK = {"tags": 50, "seconds": 2_000, "batch_seconds": 10, "queries": 10}
REWRITE_SHARE = 10
"""The rewrite load appends the first 1/REWRITE_SHARE of the stream again."""
MEAN = (Aggregate.MEAN,)
LATEST_CALLS = 20
SIDES = ("historian", "plain", "duckdb")
T = TypeVar("T")
Run = Callable[[Query], list[float]]


@dataclass
class Load:
    """What appending one side's stream measured."""

    points: int = 0
    append_s: float = 0.0
    stored_bytes: int = 0
    peak_rss_bytes: int = 0

    @property
    def points_per_s(self) -> float:
        return self.points / self.append_s


@dataclass
class Latencies:
    """One query phase: milliseconds per side, each side's first answer, and latest()."""

    ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    first: dict[str, list[float]] = field(default_factory=dict)
    latest_ms: list[float] = field(default_factory=list)

    def percentile(self, side: str, q: float) -> float:
        return float(np.percentile(self.ms[side], q))


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A fresh schema name; the schema is dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def _relation_bytes(url: str, schema: str, table: str) -> int:
    """The table's size with its indexes and TOAST."""
    with psycopg.connect(url) as con:
        row = con.execute(
            "SELECT pg_total_relation_size(format('%%I.%%I', %s::text, %s::text))",
            [schema, table],
        ).fetchone()
    return int(row[0]) if row else 0


def _batches(work: Workload, stop: int | None = None) -> Iterator[SampleBatch]:
    paths = work.paths()
    for i, c in enumerate(work.stream()):
        if stop is not None and i >= stop:
            return
        yield SampleBatch(paths, c.tag, c.ts, c.recv, c.status, c.value)


def _timed_appends(
    load: Load, h: PostgresHistorian | DuckDBHistorian, batches: Iterator[SampleBatch]
) -> None:
    """Append the batches, then close; only the calls count, not making the batches."""
    for batch in batches:
        t = time.perf_counter()
        h.append(batch)
        load.append_s += time.perf_counter() - t
        load.points += len(batch)
    t = time.perf_counter()
    h.close()
    load.append_s += time.perf_counter() - t
    load.peak_rss_bytes = _peak_rss_bytes()


def load_historian(work: Workload, url: str, schema: str, flush_rows: int, rewrite: bool) -> Load:
    """Append through the PostgreSQL historian; ``rewrite``: the first tenth, again."""
    load = Load()
    h = PostgresHistorian(_with_schema(url, schema), flush_rows=flush_rows)
    _timed_appends(load, h, _batches(work, work.batches // REWRITE_SHARE if rewrite else None))
    load.stored_bytes = _relation_bytes(url, schema, "samples")
    return load


def load_duckdb(work: Workload, path: Path) -> Load:
    """Append through the DuckDB historian, with its default flush size."""
    load = Load()
    _timed_appends(load, DuckDBHistorian(path), _batches(work))
    load.stored_bytes = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return load


_PLAIN_TABLE = """CREATE TABLE {}.samples (tag_id integer NOT NULL, ts bigint NOT NULL,
    recv bigint NOT NULL, value double precision NOT NULL, status bigint NOT NULL,
    PRIMARY KEY (tag_id, ts))"""


def _set_up_like_the_historian(con: psycopg.Connection[Any], schema: str) -> None:
    con.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    con.execute("SET work_mem = '64MB'")
    con.execute("SET jit = off")


def load_plain(work: Workload, url: str, schema: str, flush_rows: int) -> Load:
    """The ceiling: the same batches, gathered and sorted as the historian does, COPYed
    straight into a bare table with the same primary key."""
    load = Load()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        con.execute(sql.SQL(_PLAIN_TABLE).format(sql.Identifier(schema)))
        _set_up_like_the_historian(con, schema)
        staging = Staging(np.float64)
        for c in work.stream():
            t = time.perf_counter()
            staging.add(c.tag, c.ts, c.recv, c.value, c.status)
            if len(staging) >= flush_rows:
                _copy_staged(con, staging)
            load.append_s += time.perf_counter() - t
            load.points += len(c.tag)
        t = time.perf_counter()
        _copy_staged(con, staging)
        load.append_s += time.perf_counter() - t
    load.peak_rss_bytes = _peak_rss_bytes()
    load.stored_bytes = _relation_bytes(url, schema, "samples")
    return load


def _copy_staged(con: psycopg.Connection[Any], staging: Staging) -> None:
    if len(staging):
        with con.transaction():
            copy_samples(con.cursor(), "samples", staging.rows())
        staging.clear()


def _plain_runner(con: psycopg.Connection[Any]) -> Run:
    query, extra = downsample_sql(MEAN, 0, 1)

    def run(q: Query) -> list[float]:
        params: dict[str, Any] = {**extra, "ids": [q.tag], "start": q.start_ns}
        params.update(end=q.end_ns, every=q.every_ns)
        return [float(r[2]) for r in con.cursor(binary=True).execute(query, params).fetchall()]

    return run


def _historian_runner(h: PostgresHistorian | DuckDBHistorian, paths: tuple[str, ...]) -> Run:
    def run(q: Query) -> list[float]:
        down = h.downsample(paths[q.tag], q.start_ns, q.end_ns, q.every_ns, MEAN)
        return [float(x) for x in down.columns[Aggregate.MEAN]]

    return run


def query_sides(work: Workload, url: str, schemas: tuple[str, str], duck: Path) -> Latencies:
    """The trend queries, interleaved over the three sides, and latest() of the historian."""
    schema, plain_schema = schemas
    paths = work.paths()
    with (
        PostgresHistorian(_with_schema(url, schema), read_only=True) as pg,
        DuckDBHistorian(duck, read_only=True) as dk,
        psycopg.connect(url, autocommit=True) as con,
    ):
        _set_up_like_the_historian(con, plain_schema)
        runs = {
            "historian": _historian_runner(pg, paths),
            "plain": _plain_runner(con),
            "duckdb": _historian_runner(dk, paths),
        }
        out = _interleaved(runs, work.trend_queries())
        for _ in range(LATEST_CALLS):
            t = time.perf_counter()
            pg.latest()
            out.latest_ms.append((time.perf_counter() - t) * 1e3)
    return out


def _interleaved(runs: dict[str, Run], queries: list[Query]) -> Latencies:
    out = Latencies()
    for q in queries[:WARM_UP_QUERIES]:
        for run in runs.values():
            run(q)
    for i, q in enumerate(queries):
        for side in SIDES[i % 3 :] + SIDES[: i % 3]:  # who goes first rotates
            t = time.perf_counter()
            answer = runs[side](q)
            out.ms[side].append((time.perf_counter() - t) * 1e3)
            out.first.setdefault(side, answer)
    return out


def vacuum_analyze(url: str, schemas: tuple[str, ...]) -> None:
    """What autovacuum does for a historian that has run a while: planner statistics,
    visibility map, hint bits."""
    with psycopg.connect(url, autocommit=True) as con:
        for schema in schemas:
            con.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(schema, "samples")))


# -- the report -----------------------------------------------------------------------------


def _server(url: str) -> str:
    with psycopg.connect(url) as con:
        row = con.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'),"
            " current_setting('synchronous_commit'), inet_server_addr() IS NULL"
            " OR inet_server_addr() <<= '127.0.0.0/8'::inet"
        ).fetchone()
    assert row is not None
    version, buffers, sync, local = row
    where = "on this machine" if local else "on another machine"
    return f"PostgreSQL {version} {where} (shared_buffers {buffers}, synchronous_commit {sync})"


@dataclass(frozen=True)
class Results:
    """Everything one run measured."""

    historian: Load
    rewrite: Load
    plain: Load
    duckdb: Load
    fresh: Latencies
    settled: Latencies


def _query_rows(label: str, lat: Latencies) -> list[str]:
    rows = []
    for q in (50, 95):
        pg, plain, duck = (lat.percentile(s, q) for s in SIDES)
        rows.append(
            f"| query p{q} {label} (ms) | {pg:.1f} | {plain:.1f} | {pg / plain:.2f} | {duck:.1f} |"
        )
    return rows


def _table(r: Results) -> list[str]:
    gib = 2**30
    pg, plain, duck = r.historian, r.plain, r.duckdb
    return [
        "| | PostgresHistorian | plain PostgreSQL (ceiling) | ratio | DuckDBHistorian |",
        "|---|---:|---:|---:|---:|",
        f"| append, points/s | {pg.points_per_s / 1e6:.2f} M | {plain.points_per_s / 1e6:.2f} M"
        f" | {pg.points_per_s / plain.points_per_s:.2f} | {duck.points_per_s / 1e6:.2f} M |",
        f"| append time (s) | {pg.append_s:.1f} | {plain.append_s:.1f} | | {duck.append_s:.1f} |",
        f"| rewrites (staged upsert), points/s | {r.rewrite.points_per_s / 1e6:.2f} M | | | |",
        *_query_rows("right after the load", r.fresh),
        *_query_rows("after VACUUM (ANALYZE)", r.settled),
        f"| stored (GiB; PostgreSQL: table + index) | {pg.stored_bytes / gib:.2f}"
        f" | {plain.stored_bytes / gib:.2f} | | {duck.stored_bytes / gib:.2f} |",
        f"| client peak RSS while appending (GiB) | {pg.peak_rss_bytes / gib:.2f}"
        f" | {plain.peak_rss_bytes / gib:.2f} | | {duck.peak_rss_bytes / gib:.2f} |",
    ]


def markdown(work: Workload, r: Results, command: str, server: str, flush_rows: int) -> str:
    """The report, headed ``### PostgreSQL``."""
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return "\n".join(
        [
            "### PostgreSQL",
            "",
            f"- Date: {date}",
            f"- Machine: {machine()}; psycopg {psycopg.__version__}; {server}. Load average"
            f" (1, 5, 15 min) at the end of the run: {load}.",
            f"- Command: `{command}`",
            f"- Workload: bench/historian's, at {work.tags:,} tags at 1 Hz for"
            f" {work.batches * work.batch_seconds:,} s = {work.points:,} points,"
            f" {work.points_per_append:,} points per append call; flush_rows ="
            f" {flush_rows:,} (PostgreSQL), {DUCKDB_FLUSH_ROWS:,} (DuckDB). Append time"
            " counts the append calls and the final flush (`close()`). Rewrites: the first"
            f" 1/{REWRITE_SHARE} of the stream appended again into the loaded schema, so"
            " that every row collides and takes the staged upsert.",
            f"- Query: one tag's {work.window_s:,} s trend downsampled to 1,000 buckets"
            f" (mean), {work.queries} queries at random tags and starts, after"
            f" {WARM_UP_QUERIES} warm-up queries, interleaved over the three sides in one"
            " process (the order rotating); the plain side runs the historian's SQL text."
            " Once right after the load, once after `VACUUM (ANALYZE)` of the PostgreSQL"
            " tables (the state autovacuum keeps a running historian in).",
            f"- `latest()` of all {work.tags:,} tags (one index probe each), after the"
            f" vacuum: p50 {np.median(r.settled.latest_ms):.1f} ms over"
            f" {len(r.settled.latest_ms)} calls.",
            "- The loads run one after the other, each in its own process; the server shares"
            " the machine's cores with the client.",
            "",
            *_table(r),
        ]
    )


# -- the program ----------------------------------------------------------------------------


def _masked(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``, for the report."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.historian.postgres", description=__doc__)
    p.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL server (libpq URI)")
    p.add_argument("--tags", type=int, default=100)
    p.add_argument("--seconds", type=int, default=100_000)
    p.add_argument("--batch-seconds", type=int, default=10, help="seconds of data per append")
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--flush-rows", type=int, default=DEFAULT_FLUSH_ROWS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="a small smoke run")
    return p


def _run(work: Workload, url: str, flush_rows: int, out_dir: Path) -> Results:
    duck = out_dir / "historian.duckdb"
    with scratch_schema(url) as schema, scratch_schema(url) as plain_schema:
        pg = in_child(load_historian, work, url, schema, flush_rows, False)
        print(f"PostgresHistorian loaded in {pg.append_s:.1f} s", flush=True)
        rewrite = in_child(load_historian, work, url, schema, flush_rows, True)
        print(f"rewrites done in {rewrite.append_s:.1f} s", flush=True)
        plain = in_child(load_plain, work, url, plain_schema, flush_rows)
        print(f"plain PostgreSQL loaded in {plain.append_s:.1f} s", flush=True)
        dk = in_child(load_duckdb, work, duck)
        print(f"DuckDBHistorian loaded in {dk.append_s:.1f} s", flush=True)
        schemas = (schema, plain_schema)
        fresh = in_child(query_sides, work, url, schemas, duck)
        vacuum_analyze(url, schemas)
        settled = in_child(query_sides, work, url, schemas, duck)
        print("queries done\n", flush=True)
    return Results(pg, rewrite, plain, dk, fresh, settled)


def _same_answers(lat: Latencies) -> bool:
    first = [lat.first[s] for s in SIDES]
    return all(len(f) == len(first[0]) for f in first) and all(
        math.isclose(a, b) and math.isclose(a, c) for a, b, c in zip(*first, strict=True)
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    work = workload(args, QUICK)
    argv_shown = [_masked(a) if a == args.url else a for a in sys.argv[1:]]
    command = shlex.join(["python", "-m", "bench.historian.postgres", *argv_shown])
    server = _server(args.url)
    print(f"{work.points:,} points, {work.points_per_append:,} per append", flush=True)
    out_dir = Path(tempfile.mkdtemp(prefix="bench-historian-pg-"))
    try:
        results = _run(work, args.url, args.flush_rows, out_dir)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    if not (_same_answers(results.fresh) and _same_answers(results.settled)):
        print("the sides answered the first query differently", file=sys.stderr)
        return 1
    print(markdown(work, results, command, server, args.flush_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
