"""The embedded historian: one DuckDB file, no server.

>>> import tempfile, os
>>> from shopfloor.model.batch import SampleBatch
>>> path = os.path.join(tempfile.mkdtemp(), "history.duckdb")
>>> with DuckDBHistorian(path) as h:
...     h.append(SampleBatch.of("acme/site/line1/press/temp", [1, 2], [20.5, 20.7]))
...     h.latest().value.tolist()
[20.7]

Appends are staged in memory and written in large chunks sorted by (tag, time); see
``docs/historian.md`` for the design and :mod:`shopfloor.historian.base` for the rules every
historian follows. A historian object is not thread-safe: use it from one thread, or from
async code through :class:`~shopfloor.historian.aio.AsyncHistorian`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import numpy as np
import pyarrow as pa
from duckdb import DuckDBPyConnection

from shopfloor.historian import _duckdb_read as read
from shopfloor.historian._connect import Connector, transaction
from shopfloor.historian._duckdb_sql import SCHEMA, SCHEMA_VERSION, pattern_regex
from shopfloor.historian._duckdb_write import SampleTable, Written, delete_expired, write_events
from shopfloor.historian._query_args import (
    asset_pattern,
    check_limit,
    downsample_aggregates,
    selector_pattern,
)
from shopfloor.historian._staged import StagedHistorian
from shopfloor.historian._tags import TagRegistry
from shopfloor.historian.base import (
    ALL_AGGREGATES,
    Aggregate,
    Downsampled,
    RetentionPolicy,
    RetentionReport,
)
from shopfloor.historian.retention import events_cutoff, sample_cutoffs
from shopfloor.historian.staging import Int32s, Staging
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.errors import HistorianError
from shopfloor.model.event import Event
from shopfloor.model.namespace import Pattern

Mode = Literal["exclusive", "shared"]
DEFAULT_FLUSH_ROWS = 8_000_000
"""Rows staged before an automatic flush (about 256 MiB of staging at most).

Big chunks sorted by tag write fast and keep one tag's rows of a long time span together:
in ``bench/historian`` a day's trend of one of 1,000 tags reads about 11 row groups with
8 M-row chunks, 87 with 1 M-row chunks, and queries run 2 to 3 times faster.
"""


class DuckDBHistorian(StagedHistorian[TagRegistry]):
    """A :class:`~shopfloor.historian.base.Historian` in one DuckDB file.

    ``mode="exclusive"`` holds one connection open: the fastest, for one process (tests,
    benchmarks, an embedded deployment). ``mode="shared"`` holds none between calls: every
    flush and query opens the file and closes it again, so that one process can write while
    others read (``read_only=True``); a call that finds the file locked retries for up to
    ``lock_timeout_s`` seconds, then raises :class:`~shopfloor.model.errors.HistorianLockedError`.
    ``flush_rows`` staged rows trigger a flush; a shared writer should also call
    :meth:`flush` every second or two, so that readers see fresh data. Flushes of fewer
    than ``flush_rows / 2`` rows are merged later: once they add up to ``flush_rows``, a
    flush rewrites them sorted by (tag, time), so that long trends stay fast to read.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        mode: Mode = "exclusive",
        read_only: bool = False,
        flush_rows: int = DEFAULT_FLUSH_ROWS,
        lock_timeout_s: float = 10.0,
    ) -> None:
        if mode not in ("exclusive", "shared"):
            raise HistorianError(f"mode must be 'exclusive' or 'shared', not {mode!r}")
        if flush_rows < 1:
            raise HistorianError("flush_rows must be at least 1")
        self.path = os.fspath(path)
        self.mode: Mode = mode
        self.read_only = read_only
        self.flush_rows = flush_rows
        super().__init__(TagRegistry())
        self._connector = Connector(
            self.path, shared=mode == "shared", read_only=read_only, lock_timeout_s=lock_timeout_s
        )
        self._numeric = SampleTable("samples", "latest", pa.float64())
        self._text = SampleTable("text_samples", "latest_text", pa.string())
        try:
            with self._connector.session() as con:
                self._open_schema(con)
                self._tags.load(con)
                self._load_state(con)
        except BaseException:
            self._connector.close()
            raise

    def __repr__(self) -> str:
        access = "read-only" if self.read_only else "read-write"
        return f"DuckDBHistorian({self.path!r}, mode={self.mode!r}, {access})"

    # -- schema -------------------------------------------------------------------------

    def _open_schema(self, con: DuckDBPyConnection) -> None:
        has_meta = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta'"
        ).fetchall()[0][0]
        if not has_meta and self.read_only:
            raise HistorianError(f"{self.path} holds no shopfloor history (no schema)")
        if not has_meta:
            with transaction(con):
                for ddl in SCHEMA:
                    con.execute(ddl)
                con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        found = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        version = int(found[0][0]) if found else 0
        if version != SCHEMA_VERSION:
            raise HistorianError(
                f"{self.path} has history schema version {version}; this shopfloor reads"
                f" version {SCHEMA_VERSION}"
            )

    def _load_state(self, con: DuckDBPyConnection) -> None:
        self._numeric.load_state(con)
        self._text.load_state(con)

    # -- writing ------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise HistorianError(f"historian {self.path} was opened read-only")

    def flush(self) -> None:
        """Write everything staged, in one transaction."""
        self._connector.check_open()
        if self._staged():
            with self._connector.session() as con:
                self._flush_in(con)

    def _flush_in(self, con: DuckDBPyConnection) -> None:
        with transaction(con):
            new_tags = self._tags.plan(con) if self._tags.has_provisional else None
            if self.mode == "shared":
                self._load_state(con)  # another writer may have written since our last flush
            ids = None if new_tags is None else new_tags.ids
            numeric = self._write(con, self._numeric, self._numeric_staging, ids)
            text = self._write(con, self._text, self._text_staging, ids)
            if self._event_staging:
                write_events(con, self._event_staging)
        # Committed: only now does the in-memory state move on.
        if new_tags is not None:
            self._tags.adopt(new_tags)
        self._adopt(self._numeric, self._numeric_staging, numeric)
        self._adopt(self._text, self._text_staging, text)
        self._event_staging.clear()
        self._compact_if_due(con)

    def _write(
        self, con: DuckDBPyConnection, table: SampleTable, staging: Staging, ids: Int32s | None
    ) -> Written | None:
        if not len(staging):
            return None
        rows = staging.rows(ids)
        return table.write(con, rows, small=2 * len(rows) < self.flush_rows)

    @staticmethod
    def _adopt(table: SampleTable, staging: Staging, written: Written | None) -> None:
        if written is not None:
            table.adopt(written)
        staging.clear()

    def _compact_if_due(self, con: DuckDBPyConnection) -> None:
        for table in (self._numeric, self._text):
            if table.tail.rows >= self.flush_rows:
                with transaction(con):
                    table.compact(con)
                table.compacted()

    # -- reading ------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[DuckDBPyConnection]:
        """A connection that sees everything appended so far in this process."""
        with self._connector.session() as con:
            if self._staged():
                self._flush_in(con)
            if self.mode == "shared":
                self._tags.load(con)  # paths another process added
            yield con

    def paths(self, selector: str | Pattern = "#") -> list[str]:
        """Every stored path that ``selector`` matches, sorted."""
        pat = selector_pattern(selector)
        with self._reading():
            return [path for path, _ in self._tags.select(pat)]

    def raw(
        self, selector: str | Pattern, start_ns: int, end_ns: int, *, limit: int | None = None
    ) -> SampleBatch:
        """Numeric samples in ``[start_ns, end_ns)``, ordered by path, then time."""
        return self._raw(SampleBatch, "samples", selector, start_ns, end_ns, limit)

    def raw_text(
        self, selector: str | Pattern, start_ns: int, end_ns: int, *, limit: int | None = None
    ) -> TextBatch:
        """Text samples in ``[start_ns, end_ns)``, ordered by path, then time."""
        return self._raw(TextBatch, "text_samples", selector, start_ns, end_ns, limit)

    def _raw(
        self,
        kind: type[read.B],
        table: str,
        selector: str | Pattern,
        start_ns: int,
        end_ns: int,
        limit: int | None,
    ) -> read.B:
        pat = selector_pattern(selector)
        check_limit(limit)
        with self._reading() as con:
            selection = self._tags.select(pat)
            if not selection or start_ns >= end_ns or limit == 0:
                return kind.empty()
            return read.read_samples(con, kind, table, selection, start_ns, end_ns, limit)

    def downsample(
        self,
        selector: str | Pattern,
        start_ns: int,
        end_ns: int,
        every_ns: int,
        aggregates: Sequence[Aggregate] = ALL_AGGREGATES,
    ) -> Downsampled:
        """Per-bucket aggregates of the selected tags, buckets ``[start_ns + k*every_ns,
        ...)`` clipped to ``end_ns``; one SQL query whatever the number of buckets."""
        pat = selector_pattern(selector)
        aggs = downsample_aggregates(every_ns, aggregates)
        with self._reading() as con:
            selection = self._tags.select(pat)
            if not selection or start_ns >= end_ns:
                return _no_buckets(aggs)
            every_tag = len(selection) == len(self._tags)
            span = (start_ns, end_ns, every_ns)
            return read.read_downsampled(con, selection, every_tag, span, aggs)

    def latest(self, selector: str | Pattern = "#") -> SampleBatch:
        """The newest numeric sample (by source time, any quality) of each selected tag."""
        pat = selector_pattern(selector)
        with self._reading() as con:
            selection = self._tags.select(pat)
            return read.read_latest(con, selection) if selection else SampleBatch.empty()

    def events(
        self,
        *,
        asset: str | Pattern | None = None,
        kind: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        """Events newest first. ``asset``: a path selects that asset and everything under
        it, a pattern (``+``, ``#``) what it matches; ``kind``: ``alarm`` selects ``alarm``
        and every ``alarm.*`` kind."""
        regex = None if asset is None else pattern_regex(asset_pattern(asset))
        check_limit(limit)
        with self._reading() as con:
            return read.read_events(
                con, asset_regex=regex, kind=kind, start_ns=start_ns, end_ns=end_ns, limit=limit
            )

    # -- housekeeping -------------------------------------------------------------------

    def apply_retention(self, policy: RetentionPolicy, now_ns: int) -> RetentionReport:
        """Delete what ``policy`` no longer keeps at ``now_ns``; see :mod:`.retention`."""
        self._check_writable()
        with self._reading() as con:
            selection = self._tags.select(Pattern("#"))
            cutoffs = sample_cutoffs(policy, [p for p, _ in selection], now_ns)
            ids = [i for _, i in selection]
            with transaction(con):
                report = delete_expired(con, ids, cutoffs, events_cutoff(policy, now_ns))
            self._load_state(con)
        return report

    @property
    def _link(self) -> Connector:
        return self._connector


def _no_buckets(aggregates: Sequence[Aggregate]) -> Downsampled:
    return Downsampled(
        (),
        np.zeros(0, np.int32),
        np.zeros(0, np.int64),
        {a: np.zeros(0, np.float64) for a in aggregates},
    )
