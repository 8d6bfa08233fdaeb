"""The write side of the DuckDB historian: sorted rows in, idempotently, then compacted.

Each tag has a high-water mark, the newest source time stored for it (kept in the
``latest`` table and cached in memory). A flushed row newer than its tag's mark cannot
collide with a stored row, so it is simply appended: the fast path, which a plant's in-order
stream always takes. Rows at or below the mark (late, out of order, or rewrites) first delete
any stored row with the same (tag, time), then are appended with the rest, in the same
transaction: last write wins, and no per-row SQL is needed.

Flushes write chunks sorted by tag. A big chunk (a flush triggered by the staging's size)
keeps each tag's rows of a long time span together, so a trend query of one tag reads few
row groups. A small chunk (a flush every second, or before every dashboard query) spans
little time; such chunks make up the *tail*, which is rewritten sorted by (tag, time) once
it holds as many rows as a big chunk: whatever the flush pattern, one tag's day then sits
in a few row groups, and DuckDB's zone maps skip the rest of the file. Only rows at the
front of time join the tail (not late rows, nor rows more than an hour older than the newest
stored time): they keep the span to rewrite close to the rows that need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from duckdb import DuckDBPyConnection

from shopfloor.historian._duckdb_sql import INT64_MAX, INT64_MIN, SAMPLE_FIELDS
from shopfloor.historian.base import RetentionReport
from shopfloor.historian.staging import Rows
from shopfloor.model.event import Event

Int32s = npt.NDArray[np.int32]
Int64s = npt.NDArray[np.int64]

TAIL_WINDOW_NS = 3_600 * 1_000_000_000
"""How far behind the newest stored time a row may be and still join the tail."""


@dataclass(frozen=True)
class Tail:
    """The fast-path rows appended since the last compaction: how many, and their times."""

    rows: int = 0
    min_ts: int = INT64_MAX
    max_ts: int = INT64_MIN

    def extended(self, ts: Int64s) -> Tail:
        if not len(ts):
            return self
        return Tail(
            self.rows + len(ts), min(self.min_ts, int(ts.min())), max(self.max_ts, int(ts.max()))
        )


@dataclass(frozen=True)
class Written:
    """What a write changed, to adopt once its transaction commits."""

    tag: Int32s
    ts: Int64s
    tail: Tail


def _rows_table(rows: Rows, value_type: pa.DataType) -> pa.Table:
    return pa.table(
        {
            "tag_id": pa.array(rows.tag, pa.int32()),
            "ts": pa.array(rows.ts, pa.int64()),
            "recv": pa.array(rows.recv, pa.int64()),
            "value": pa.array(rows.value, value_type),
            "status": pa.array(rows.status, pa.uint32()),
        }
    )


class SampleTable:
    """One samples table: its ``latest`` table, the per-tag marks and the tail."""

    def __init__(self, table: str, latest: str, value_type: pa.DataType) -> None:
        self.table = table
        self.latest = latest
        self.value_type = value_type
        self._marks: Int64s = np.zeros(0, np.int64)
        self.tail = Tail()

    def load_state(self, con: DuckDBPyConnection) -> None:
        """Read every tag's mark from the latest table, and the tail's bookkeeping."""
        got = con.execute(f"SELECT tag_id, ts FROM {self.latest}").fetchnumpy()
        tag = np.asarray(got["tag_id"], np.int32)
        size = int(tag.max()) + 1 if len(tag) else 0
        self._marks = np.full(size, INT64_MIN, np.int64)
        self._marks[tag] = np.asarray(got["ts"], np.int64)
        found = con.execute(
            "SELECT tail_rows, tail_min, tail_max FROM compaction WHERE table_name = ?",
            [self.table],
        ).fetchall()
        self.tail = Tail(*found[0]) if found else Tail()

    def marks_of(self, tag: Int32s) -> Int64s:
        """The mark of each row's tag (INT64_MIN where nothing is stored)."""
        self._reserve(int(tag.max()) + 1 if len(tag) else 0)
        return self._marks[tag]

    def _reserve(self, size: int) -> None:
        if size > len(self._marks):
            grown = np.full(size, INT64_MIN, np.int64)
            grown[: len(self._marks)] = self._marks
            self._marks = grown

    def write(self, con: DuckDBPyConnection, rows: Rows, *, small: bool) -> Written:
        """Write sorted, unique rows inside ``con``'s open transaction; a ``small`` chunk
        joins the tail."""
        marks = self.marks_of(rows.tag)
        late = rows.ts <= marks
        has_late = bool(late.any())
        if has_late:
            self._delete_pairs(con, rows.take(late))
        self._insert(con, self.table, rows)
        last = rows.last_of_each_tag()
        # ">=": a rewrite of the newest sample replaces it in latest too (last write wins).
        fresh = rows.take(last[rows.ts[last] >= marks[last]])
        if len(fresh):
            self._insert(con, self.latest, fresh, verb="INSERT OR REPLACE")
        tail = self.tail
        if small:
            tail = tail.extended(rows.ts[self._joins_tail(rows.ts, late)])
            self._save_tail(con, tail)
        return Written(fresh.tag, fresh.ts, tail)

    def _joins_tail(self, ts: Int64s, late: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        # Only rows at the plant's front of time join: a late row, or an old row of a new
        # tag (a backfill), would stretch the span to rewrite back over compacted history.
        front = int(self._marks.max()) if len(self._marks) else INT64_MIN
        floor = max(front, INT64_MIN + TAIL_WINDOW_NS) - TAIL_WINDOW_NS
        return ~late & (ts >= floor)

    def adopt(self, written: Written) -> None:
        """Take the marks and tail of a committed write."""
        self._reserve(int(written.tag.max()) + 1 if len(written.tag) else 0)
        self._marks[written.tag] = np.maximum(self._marks[written.tag], written.ts)
        self.tail = written.tail

    def compact(self, con: DuckDBPyConnection) -> None:
        """Rewrite the rows of the tail's time span sorted by (tag, time), in ``con``'s open
        transaction; :attr:`tail` is reset once it commits (see :meth:`compacted`)."""
        t, span = self.table, f"ts BETWEEN {self.tail.min_ts} AND {self.tail.max_ts}"
        con.execute(
            f"CREATE TEMP TABLE compacting AS SELECT * FROM {t} WHERE {span} ORDER BY tag_id, ts"
        )
        con.execute(f"DELETE FROM {t} WHERE {span}")
        con.execute(f"INSERT INTO {t} SELECT * FROM compacting")
        con.execute("DROP TABLE compacting")
        self._save_tail(con, Tail())

    def compacted(self) -> None:
        self.tail = Tail()

    def _save_tail(self, con: DuckDBPyConnection, tail: Tail) -> None:
        con.execute(
            "INSERT OR REPLACE INTO compaction VALUES (?, ?, ?, ?)",
            [self.table, tail.rows, tail.min_ts, tail.max_ts],
        )

    def _insert(
        self, con: DuckDBPyConnection, table: str, rows: Rows, verb: str = "INSERT"
    ) -> None:
        con.register("staged_rows", _rows_table(rows, self.value_type))
        try:
            fields = ", ".join(SAMPLE_FIELDS)
            con.execute(f"{verb} INTO {table} ({fields}) SELECT {fields} FROM staged_rows")
        finally:
            con.unregister("staged_rows")

    def _delete_pairs(self, con: DuckDBPyConnection, late: Rows) -> None:
        keys = pa.table({"tag_id": pa.array(late.tag), "ts": pa.array(late.ts)})
        con.register("late_keys", keys)
        t = self.table
        # The constant bounds let DuckDB skip row groups that cannot hold a late pair.
        bounds = (
            f"{t}.tag_id BETWEEN {int(late.tag.min())} AND {int(late.tag.max())}"
            f" AND {t}.ts BETWEEN {int(late.ts.min())} AND {int(late.ts.max())}"
        )
        try:
            con.execute(
                f"DELETE FROM {t} USING late_keys k"
                f" WHERE {t}.tag_id = k.tag_id AND {t}.ts = k.ts AND {bounds}"
            )
        finally:
            con.unregister("late_keys")


def write_events(con: DuckDBPyConnection, events: Sequence[Event]) -> None:
    """Insert events, replacing any stored event with the same id (last write wins)."""
    unique = list({e.id: e for e in events}.values())
    table = pa.table(
        {
            "id": pa.array([e.id for e in unique], pa.string()),
            "ts": pa.array([e.time_ns for e in unique], pa.int64()),
            "asset": pa.array([e.asset for e in unique], pa.string()),
            "kind": pa.array([e.kind for e in unique], pa.string()),
            "severity": pa.array([int(e.severity) for e in unique], pa.uint8()),
            "payload": pa.array([e.payload_json() for e in unique], pa.string()),
            "actor": pa.array([e.actor for e in unique], pa.string()),
        }
    )
    con.register("new_events", table)
    try:
        con.execute("INSERT OR REPLACE INTO events SELECT * FROM new_events")
    finally:
        con.unregister("new_events")


def _deleted(con: DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def delete_expired(
    con: DuckDBPyConnection,
    tag_ids: Sequence[int],
    cutoffs: Sequence[int | None],
    events_before: int | None,
) -> RetentionReport:
    """Delete samples older than their tag's cutoff and events older than ``events_before``,
    in ``con``'s open transaction. Latest rows go too, so marks never exceed what is stored."""
    kept = [(t, c) for t, c in zip(tag_ids, cutoffs, strict=True) if c is not None]
    counts = {"samples": 0, "text_samples": 0}
    if kept:
        cut = pa.table(
            {
                "tag_id": pa.array([t for t, _ in kept], pa.int32()),
                "cutoff": pa.array([c for _, c in kept], pa.int64()),
            }
        )
        con.register("cutoffs", cut)
        try:
            for table in ("samples", "text_samples", "latest", "latest_text"):
                n = _deleted(
                    con,
                    f"DELETE FROM {table} USING cutoffs c"
                    f" WHERE {table}.tag_id = c.tag_id AND {table}.ts < c.cutoff",
                )
                counts[table] = n
        finally:
            con.unregister("cutoffs")
    events = 0
    if events_before is not None:
        events = _deleted(con, f"DELETE FROM events WHERE ts < {int(events_before)}")
    return RetentionReport(counts["samples"], counts["text_samples"], events)
