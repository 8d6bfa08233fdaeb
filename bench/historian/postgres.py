"""PostgreSQL historian benchmark: append throughput and trend-query latency, beside DuckDB.

Run from the project root, with a PostgreSQL server at ``--url`` (default
``$SHOPFLOOR_PG_URL``, else ``postgresql://postgres@127.0.0.1:5432/test``)::

    python -m bench.historian.postgres            # 10 million points
    python -m bench.historian.postgres --quick    # a smoke-sized run, a few seconds

The workload and the queries are ``bench.historian``'s (:mod:`bench.historian.workload`): a
plant of ``--tags`` tags at 1 Hz, appended in time order across tags, then one tag's 24 h
downsampled to 1,000 buckets (mean), at random tags and starts. Four sides run one after the
other, each in a process of its own, on a schema (or file) of their own:

1. :class:`~shopfloor.historian.postgres.PostgresHistorian`: appends, ``close()``, then the
   queries through a read-only historian;
2. the same historian re-appending the first tenth of the stream: every row is a rewrite,
   so every row takes the staged ``INSERT ... ON CONFLICT DO UPDATE`` path;
3. plain PostgreSQL, the ceiling: a bare table with the same columns and primary key,
   the same batches gathered into the same COPY size, sorted, ``COPY ... FROM STDIN
   (FORMAT BINARY)``, and the very SQL text the historian runs for the queries;
4. :class:`~shopfloor.historian.DuckDBHistorian` on the same workload (``bench.historian``'s
   own historian side).

The report is a markdown block for ``docs/benchmarks.md``.
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
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
from psycopg import sql

from bench.historian.phases import WARM_UP_QUERIES, Side, historian_side
from bench.historian.report import machine
from bench.historian.workload import Query, Workload
from shopfloor.historian import Aggregate
from shopfloor.historian._pg_copy import copy_samples
from shopfloor.historian._pg_sql import downsample_sql
from shopfloor.historian.duckdb import DEFAULT_FLUSH_ROWS as DUCKDB_FLUSH_ROWS
from shopfloor.historian.postgres import DEFAULT_FLUSH_ROWS, PostgresHistorian
from shopfloor.historian.staging import Staging
from shopfloor.model.batch import SampleBatch

DEFAULT_URL = os.environ.get("SHOPFLOOR_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
QUICK = {"tags": 50, "seconds": 2_000, "batch_seconds": 10, "queries": 10}
REWRITE_SHARE = 10
"""The rewrite side re-appends the first 1/REWRITE_SHARE of the stream."""
MEAN = (Aggregate.MEAN,)
LATEST_QUERIES = 20


def _in_child(fn: Callable[..., Side], *args: Any) -> Side:
    """Run one side in a fresh process: its own peak memory, nothing left from another."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _time_queries(side: Side, queries: list[Query], run: Callable[[Query], list[float]]) -> None:
    """Warm up, then time every query; keep the first answer to compare the sides."""
    for q in queries[:WARM_UP_QUERIES]:
        run(q)
    for q in queries:
        t = time.perf_counter()
        means = run(q)
        side.query_ms.append((time.perf_counter() - t) * 1e3)
        if not side.first_means:
            side.first_means = means


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


def _append_all(side: Side, h: PostgresHistorian, batches: Iterator[SampleBatch]) -> None:
    for batch in batches:
        t = time.perf_counter()
        h.append(batch)
        side.append_s += time.perf_counter() - t
        side.points += len(batch)
    t = time.perf_counter()
    h.close()
    side.append_s += time.perf_counter() - t


@dataclass
class PgSide(Side):
    """A PostgreSQL side: also its queries once the table is vacuumed and analysed, and
    (for the historian) ``latest()`` over every tag."""

    settled_ms: list[float] = field(default_factory=list)
    latest_ms: list[float] = field(default_factory=list)

    def settled_percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.settled_ms, q))


def _time_settled(
    side: PgSide, url: str, schema: str, work: Workload, run: Callable[[Query], list[float]]
) -> None:
    """Time the queries again after ``VACUUM (ANALYZE)``: what autovacuum leaves in a
    historian that has run for a while (planner statistics, visibility map, hint bits)."""
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(schema, "samples")))
    settled = Side("settled")
    _time_queries(settled, work.trend_queries(), run)
    side.settled_ms = settled.query_ms


def postgres_side(work: Workload, url: str, schema: str, flush_rows: int) -> PgSide:
    """Append through the historian, close it, then query through a read-only one."""
    side = PgSide("PostgresHistorian")
    started = time.perf_counter()
    _append_all(
        side, PostgresHistorian(_with_schema(url, schema), flush_rows=flush_rows), _batches(work)
    )
    side.file_bytes = _relation_bytes(url, schema, "samples")
    paths = work.paths()
    with PostgresHistorian(_with_schema(url, schema), read_only=True) as h:

        def run(q: Query) -> list[float]:
            down = h.downsample(paths[q.tag], q.start_ns, q.end_ns, q.every_ns, MEAN)
            return [float(x) for x in down.columns[Aggregate.MEAN]]

        _time_queries(side, work.trend_queries(), run)
        _time_settled(side, url, schema, work, run)
        for _ in range(LATEST_QUERIES):
            t = time.perf_counter()
            h.latest()
            side.latest_ms.append((time.perf_counter() - t) * 1e3)
    side.phase_s = time.perf_counter() - started
    side.peak_rss_bytes = _peak_rss_bytes()
    return side


def rewrite_side(work: Workload, url: str, schema: str, flush_rows: int) -> Side:
    """Re-append the first tenth of the stream into the loaded schema: all rewrites."""
    side = Side("PostgresHistorian, rewrites")
    started = time.perf_counter()
    h = PostgresHistorian(_with_schema(url, schema), flush_rows=flush_rows)
    _append_all(side, h, _batches(work, stop=work.batches // REWRITE_SHARE))
    side.phase_s = time.perf_counter() - started
    side.peak_rss_bytes = _peak_rss_bytes()
    return side


_PLAIN_TABLE = """CREATE TABLE {}.samples (tag_id integer NOT NULL, ts bigint NOT NULL,
    recv bigint NOT NULL, value double precision NOT NULL, status bigint NOT NULL,
    PRIMARY KEY (tag_id, ts))"""


def plain_side(work: Workload, url: str, schema: str, flush_rows: int) -> PgSide:
    """The ceiling: the same batches, gathered and sorted as the historian does, COPYed
    straight into a bare table with the same key; then the historian's query SQL, in a
    session set up as the historian's is."""
    side = PgSide("plain PostgreSQL")
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        con.execute(sql.SQL(_PLAIN_TABLE).format(sql.Identifier(schema)))
        con.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        con.execute("SET work_mem = '64MB'")
        con.execute("SET jit = off")
        staging = Staging(np.float64)
        for c in work.stream():
            t = time.perf_counter()
            staging.add(c.tag, c.ts, c.recv, c.value, c.status)
            if len(staging) >= flush_rows:
                _copy_staged(con, staging)
            side.append_s += time.perf_counter() - t
            side.points += len(c.tag)
        t = time.perf_counter()
        _copy_staged(con, staging)
        side.append_s += time.perf_counter() - t
        side.file_bytes = _relation_bytes(url, schema, "samples")
        query, extra = downsample_sql(MEAN, 0, 1)

        def run(q: Query) -> list[float]:
            params: dict[str, Any] = {**extra, "ids": [q.tag], "start": q.start_ns}
            params.update(end=q.end_ns, every=q.every_ns)
            rows = con.cursor(binary=True).execute(query, params).fetchall()
            return [float(r[2]) for r in rows]

        _time_queries(side, work.trend_queries(), run)
        _time_settled(side, url, schema, work, run)
    side.phase_s = time.perf_counter() - started
    side.peak_rss_bytes = _peak_rss_bytes()
    return side


def _copy_staged(con: psycopg.Connection[Any], staging: Staging) -> None:
    if len(staging):
        with con.transaction():
            copy_samples(con.cursor(), "samples", staging.rows())
        staging.clear()


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


def _ms(side: Side, q: float) -> str:
    return f"{side.percentile_ms(q):.1f}"


def _settled(side: Side, q: float) -> str:
    return f"{side.settled_percentile_ms(q):.1f}" if isinstance(side, PgSide) else ""


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}"


def _table(pg: Side, plain: Side, duck: Side, rewrite: Side) -> list[str]:
    gib = 2**30
    rows = [
        "| | PostgresHistorian | plain PostgreSQL (ceiling) | ratio | DuckDBHistorian |",
        "|---|---:|---:|---:|---:|",
        f"| append, points/s | {pg.points_per_s / 1e6:.2f} M | {plain.points_per_s / 1e6:.2f} M"
        f" | {_ratio(pg.points_per_s, plain.points_per_s)} | {duck.points_per_s / 1e6:.2f} M |",
        f"| append time (s) | {pg.append_s:.1f} | {plain.append_s:.1f} | | {duck.append_s:.1f} |",
        f"| rewrites (staged upsert), points/s | {rewrite.points_per_s / 1e6:.2f} M | | | |",
    ]
    for q in (50, 95):
        rows.append(
            f"| query p{q} right after the load (ms) | {_ms(pg, q)} | {_ms(plain, q)}"
            f" | {_ratio(pg.percentile_ms(q), plain.percentile_ms(q))} | {_ms(duck, q)} |"
        )
    if isinstance(pg, PgSide) and isinstance(plain, PgSide):
        for q in (50, 95):
            ratio = _ratio(pg.settled_percentile_ms(q), plain.settled_percentile_ms(q))
            rows.append(
                f"| query p{q} after VACUUM (ANALYZE) (ms) | {_settled(pg, q)}"
                f" | {_settled(plain, q)} | {ratio} | |"
            )
    return [
        *rows,
        f"| stored (GiB; PostgreSQL: table + index) | {pg.file_bytes / gib:.2f}"
        f" | {plain.file_bytes / gib:.2f} | | {duck.file_bytes / gib:.2f} |",
        f"| client peak RSS (GiB) | {pg.peak_rss_bytes / gib:.2f}"
        f" | {plain.peak_rss_bytes / gib:.2f} | | {duck.peak_rss_bytes / gib:.2f} |",
    ]


def markdown(
    work: Workload, sides: tuple[Side, Side, Side, Side], command: str, server: str, flush: int
) -> str:
    """The report, headed ``### PostgreSQL``."""
    pg, plain, duck, rewrite = sides
    latest_ms = pg.latest_ms if isinstance(pg, PgSide) else [math.nan]
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
            f" {work.points_per_append:,} points per append call; flush_rows = {flush:,}"
            f" (PostgreSQL sides), {DUCKDB_FLUSH_ROWS:,} (DuckDB). Append time counts the"
            " append calls and the final flush (`close()`).",
            f"- Query: one tag's {work.window_s:,} s trend downsampled to 1,000 buckets"
            f" (mean), {work.queries} queries at random tags and starts, the same on every"
            f" side, after {WARM_UP_QUERIES} warm-up queries; the plain side runs the"
            " historian's SQL text."
            " PostgreSQL sides run them twice: right after the load, and again after"
            " `VACUUM (ANALYZE)` of the table, the state autovacuum keeps a running"
            " historian in.",
            f"- Rewrites: the first 1/{REWRITE_SHARE} of the stream appended again into the"
            " loaded schema: every row collides, so every row takes the staged upsert.",
            f"- `latest()` of all {work.tags:,} tags (one index probe each): p50"
            f" {np.median(latest_ms):.1f} ms over {len(latest_ms)} calls.",
            "- The sides run one after the other, each in its own process; the server shares"
            " the machine's cores with the client.",
            "",
            *_table(pg, plain, duck, rewrite),
        ]
    )


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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = QUICK if args.quick else {}
    work = Workload(
        tags=sizes.get("tags", args.tags),
        seconds=sizes.get("seconds", args.seconds),
        batch_seconds=sizes.get("batch_seconds", args.batch_seconds),
        queries=sizes.get("queries", args.queries),
        seed=args.seed,
    )
    argv = [_masked(a) if a == args.url else a for a in sys.argv[1:]]
    command = shlex.join(["python", "-m", "bench.historian.postgres", *argv])
    server = _server(args.url)
    print(f"{work.points:,} points, {work.points_per_append:,} per append", flush=True)
    with scratch_schema(args.url) as schema, scratch_schema(args.url) as plain_schema:
        pg = _in_child(postgres_side, work, args.url, schema, args.flush_rows)
        print(f"PostgresHistorian done in {pg.phase_s:.1f} s", flush=True)
        rewrite = _in_child(rewrite_side, work, args.url, schema, args.flush_rows)
        print(f"rewrites done in {rewrite.phase_s:.1f} s", flush=True)
        plain = _in_child(plain_side, work, args.url, plain_schema, args.flush_rows)
        print(f"plain PostgreSQL done in {plain.phase_s:.1f} s", flush=True)
    out_dir = Path(tempfile.mkdtemp(prefix="bench-historian-pg-"))
    try:
        duck = _in_child(historian_side, work, out_dir / "historian.duckdb", DUCKDB_FLUSH_ROWS)
        print(f"DuckDBHistorian done in {duck.phase_s:.1f} s\n", flush=True)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    firsts = (pg.first_means, plain.first_means, duck.first_means)
    if not all(len(f) == len(pg.first_means) for f in firsts) or not all(
        math.isclose(a, b) and math.isclose(a, c) for a, b, c in zip(*firsts, strict=True)
    ):
        print("the sides answered the first query differently", file=sys.stderr)
        return 1
    print(markdown(work, (pg, plain, duck, rewrite), command, server, args.flush_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
