"""The write side of the PostgreSQL historian: COPY straight in when it cannot collide,
``INSERT ... ON CONFLICT DO UPDATE`` from a staging table when it may.

Each tag has a mark, the newest source time stored for it, cached in memory (read from the
table, by one index probe, the first time a flush meets the tag). A flushed row newer than
its tag's mark cannot collide with a stored row, so rows like that are copied with
``COPY ... FROM STDIN (FORMAT BINARY)`` straight into the samples table: the fast path,
which a plant's in-order stream always takes. The other rows (late, out of order, rewrites)
are copied into a temporary staging table and moved with one ``INSERT ... SELECT ... ON
CONFLICT (tag_id, ts) DO UPDATE``, which keeps the row written last. Measured on 2 cores,
upserting costs about twice a plain insert, so the split pays.

A mark can be stale: another process may have written the tag since. Then the direct COPY
hits the primary key and fails; it runs inside a savepoint, so the flush rolls back to it,
sends every row through the upsert and forgets the marks, and is still correct.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from psycopg import errors, sql

from shopfloor.historian._pg_connect import Conn, Cur
from shopfloor.historian._pg_copy import EVENT_COLUMNS, SAMPLE_COLUMNS, copy_events
from shopfloor.historian.base import RetentionReport
from shopfloor.historian.staging import Rows
from shopfloor.model.event import Event

Int32s = npt.NDArray[np.int32]
Int64s = npt.NDArray[np.int64]
INT64_MIN = -(2**63)
CopyRows = Callable[[Cur, str, Rows], None]


@dataclass(frozen=True)
class Written:
    """The newest time written per tag, to adopt as marks once the transaction commits."""

    tag: Int32s
    ts: Int64s


def _upsert(target: str, stage: str, key: Sequence[str], columns: Sequence[str]) -> sql.Composed:
    updates = [c for c in columns if c not in key]
    return sql.SQL(
        "INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} ORDER BY {key}"
        " ON CONFLICT ({key}) DO UPDATE SET {sets}"
    ).format(
        target=sql.Identifier(target),
        stage=sql.Identifier(stage),
        cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
        key=sql.SQL(", ").join(map(sql.Identifier, key)),
        sets=sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in updates
        ),
    )


class StageTables:
    """The temporary staging tables, made once per connection, outside any transaction (a
    table made inside one that rolled back would be gone while we believe it there)."""

    TABLES = (
        ("shopfloor_stage_samples", "samples"),
        ("shopfloor_stage_text_samples", "text_samples"),
        ("shopfloor_stage_events", "events"),
    )

    def __init__(self) -> None:
        self._generation = -1

    def ensure(self, con: Conn, generation: int) -> None:
        """Make the tables unless connection ``generation`` has them already."""
        if generation == self._generation:
            return
        for stage, like in self.TABLES:
            con.execute(
                sql.SQL(
                    "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {}) ON COMMIT DELETE ROWS"
                ).format(sql.Identifier(stage), sql.Identifier(like))
            )
        self._generation = generation


class SampleWriter:
    """Writes sorted, unique rows into one samples table; keeps each tag's mark."""

    def __init__(self, table: str, copy_rows: CopyRows) -> None:
        self.table = table
        self.stage = f"shopfloor_stage_{table}"
        self._copy_rows = copy_rows
        self._marks: Int64s = np.zeros(0, np.int64)
        self._known = np.zeros(0, bool)
        self._upsert = _upsert(table, self.stage, ("tag_id", "ts"), SAMPLE_COLUMNS)

    def _reserve(self, size: int) -> None:
        if size > len(self._marks):
            grown = max(size, 2 * len(self._marks))
            self._marks = np.concatenate(
                [self._marks, np.zeros(grown - len(self._marks), np.int64)]
            )
            self._known = np.concatenate([self._known, np.zeros(grown - len(self._known), bool)])

    def marks_of(self, cur: Cur, tag: Int32s) -> Int64s:
        """Each row's tag mark (INT64_MIN where the tag has no rows), loading unknown ones."""
        self._reserve(int(tag.max()) + 1)
        unknown = np.unique(tag[~self._known[tag]])
        if len(unknown):
            cur.execute(
                sql.SQL(
                    "SELECT u.id, coalesce((SELECT max(ts) FROM {} WHERE tag_id = u.id), %s)"
                    " FROM unnest(%s::integer[]) AS u(id)"
                ).format(sql.Identifier(self.table)),
                [INT64_MIN, unknown.tolist()],
            )
            got = np.array(cur.fetchall(), np.int64).reshape(-1, 2)
            self._marks[got[:, 0]] = got[:, 1]
            self._known[got[:, 0]] = True
        return self._marks[tag]

    def write(self, con: Conn, rows: Rows) -> Written:
        """Write ``rows`` (sorted by tag and time, unique) inside ``con``'s transaction."""
        cur = con.cursor()
        fresh = rows.ts > self.marks_of(cur, rows.tag)
        if fresh.any():
            try:
                with con.transaction():  # a savepoint
                    self._copy_rows(cur, self.table, rows.take(fresh) if not fresh.all() else rows)
            except errors.UniqueViolation:
                # Another writer stored rows of these tags since the marks were read.
                fresh[:] = False
                self._known[np.unique(rows.tag)] = False
        if not fresh.all():
            self._copy_rows(cur, self.stage, rows.take(~fresh))
            cur.execute(self._upsert)
        last = rows.last_of_each_tag()
        return Written(rows.tag[last], rows.ts[last])

    def adopt(self, written: Written) -> None:
        """Move the marks on after the transaction of a :meth:`write` committed."""
        self._reserve(int(written.tag.max()) + 1 if len(written.tag) else 0)
        tag = written.tag
        self._marks[tag] = np.maximum(self._marks[tag], written.ts)

    def forget_marks(self) -> None:
        """Reload every mark when next needed (retention deleted rows)."""
        self._known[:] = False


class EventWriter:
    """Writes events through a staging table; a stored id is replaced (last write wins)."""

    stage = "shopfloor_stage_events"

    def __init__(self) -> None:
        self._upsert = _upsert("events", self.stage, ("id",), EVENT_COLUMNS)

    def write(self, cur: Cur, events: Sequence[Event]) -> None:
        """Write ``events`` inside ``cur``'s open transaction."""
        unique = list({e.id: e for e in events}.values())  # the last of each id
        copy_events(cur, self.stage, unique)
        cur.execute(self._upsert)


def delete_expired(
    cur: Cur, tag_ids: Sequence[int], cutoffs: Sequence[int | None], events_before: int | None
) -> RetentionReport:
    """Delete samples older than their tag's cutoff and events older than ``events_before``,
    in ``cur``'s open transaction; one statement per table."""
    kept = [(t, c) for t, c in zip(tag_ids, cutoffs, strict=True) if c is not None]
    deleted = []
    for table in ("samples", "text_samples"):
        if not kept:
            deleted.append(0)
            continue
        cur.execute(
            sql.SQL(
                "DELETE FROM {} s USING unnest(%s::integer[], %s::bigint[]) AS c(tag_id, cutoff)"
                " WHERE s.tag_id = c.tag_id AND s.ts < c.cutoff"
            ).format(sql.Identifier(table)),
            [[t for t, _ in kept], [c for _, c in kept]],
        )
        deleted.append(cur.rowcount)
    events = 0
    if events_before is not None:
        cur.execute("DELETE FROM events WHERE ts < %s::bigint", [events_before])
        events = cur.rowcount
    return RetentionReport(deleted[0], deleted[1], events)
