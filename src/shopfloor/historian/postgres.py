"""The server historian: history in PostgreSQL, shared by any number of processes.

>>> h = PostgresHistorian("postgresql://postgres@127.0.0.1/test?schema=plant")  # doctest: +SKIP
>>> h.append(SampleBatch.of("acme/site/line1/press/temp", [1, 2], [20.5, 20.7]))  # doctest: +SKIP
>>> h.latest().value.tolist()  # doctest: +SKIP
[20.7]

One PostgreSQL schema holds one plant's history (``tags``, ``samples``, ``text_samples``,
``events``, and views for SQL tools); opening a historian read-write creates or migrates it
(see :mod:`._pg_schema`). Appends are staged in memory and flushed in one transaction with
binary ``COPY`` (see :mod:`._pg_write`); reads are single SQL queries that select tags in
SQL, so every process sees what the others have committed. ``docs/historian-postgres.md``
describes the design; :mod:`shopfloor.historian.base` states the rules every historian
follows. A historian object is not thread-safe: use it from one thread, or from async code
through :class:`~shopfloor.historian.aio.AsyncHistorian`.
"""

from __future__ import annotations

from collections.abc import Sequence

from shopfloor.historian._pg_connect import Conn, Location, Session, parse_location
from shopfloor.historian._pg_copy import copy_samples, copy_text_samples
from shopfloor.historian._pg_read import Selection, as_batch, as_downsampled, as_event, no_buckets
from shopfloor.historian._pg_schema import LATEST_VERSION, check_known, migrate, stored_version
from shopfloor.historian._pg_sql import (
    LATEST_SQL,
    downsample_sql,
    events_sql,
    raw_sql,
    select_tags,
)
from shopfloor.historian._pg_tags import TagIds
from shopfloor.historian._pg_write import (
    EventWriter,
    SampleWriter,
    StageTables,
    Written,
    delete_expired,
)
from shopfloor.historian._query_args import (
    asset_pattern,
    check_limit,
    downsample_aggregates,
    selector_pattern,
)
from shopfloor.historian._staged import StagedHistorian
from shopfloor.historian.base import (
    ALL_AGGREGATES,
    Aggregate,
    Downsampled,
    RetentionPolicy,
    RetentionReport,
)
from shopfloor.historian.retention import events_cutoff, sample_cutoffs
from shopfloor.historian.staging import Int32s, Staging
from shopfloor.model.batch import B, SampleBatch, TextBatch
from shopfloor.model.errors import HistorianError
from shopfloor.model.event import Event
from shopfloor.model.namespace import Pattern

DEFAULT_FLUSH_ROWS = 500_000
"""Rows staged before an automatic flush: big sorted COPYs write fast and keep each tag's
rows together in the table's pages."""


class PostgresHistorian(StagedHistorian[TagIds]):
    """A :class:`~shopfloor.historian.base.Historian` in a PostgreSQL schema.

    ``url`` is a libpq URI (``postgresql://user@host:5432/db``); its ``?schema=name``
    parameter, or ``schema``, names the schema (default ``shopfloor``). ``flush_rows``
    staged rows trigger a flush; a writer that others read should also call :meth:`flush`
    every second or two. ``read_only`` opens a reader: it never migrates and the server
    refuses its writes. ``mode`` is accepted for :func:`open_historian` callers that pass
    DuckDB's: PostgreSQL is always shared by its processes.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        flush_rows: int = DEFAULT_FLUSH_ROWS,
        read_only: bool = False,
        mode: str = "shared",
        connect_timeout_s: float = 10.0,
    ) -> None:
        if mode not in ("exclusive", "shared"):
            raise HistorianError(f"mode must be 'exclusive' or 'shared', not {mode!r}")
        if flush_rows < 1:
            raise HistorianError("flush_rows must be at least 1")
        self.location: Location = parse_location(url, schema)
        self.schema = self.location.schema
        self.read_only = read_only
        self.flush_rows = flush_rows
        super().__init__(TagIds())
        self._session = Session(
            self.location, read_only=read_only, connect_timeout_s=connect_timeout_s
        )
        self._numeric = SampleWriter("samples", copy_samples)
        self._text = SampleWriter("text_samples", copy_text_samples)
        self._event_writer = EventWriter()
        self._stages = StageTables()
        try:
            self._open_schema()
        except BaseException:
            self._session.close()
            raise

    def __repr__(self) -> str:
        access = "read-only" if self.read_only else "read-write"
        return f"PostgresHistorian({self.location.display!r}, schema={self.schema!r}, {access})"

    # -- schema -------------------------------------------------------------------------

    def _open_schema(self) -> None:
        self._session.run("opening the history schema", self._check_or_migrate)

    def _check_or_migrate(self, con: Conn) -> None:
        version = stored_version(con, self.schema)
        if version == LATEST_VERSION:
            return
        if version is not None:
            check_known(version, self.schema)
        if self.read_only:
            found = "no shopfloor history" if version is None else f"version {version}"
            raise HistorianError(
                f"{self.location.display} schema {self.schema!r} holds {found}; open it"
                f" read-write once to bring it to version {LATEST_VERSION}"
            )
        migrate(con, self.schema)

    # -- writing ------------------------------------------------------------------------

    def _check_writable(self) -> None:
        self._check_open()
        if self.read_only:
            raise HistorianError(f"historian {self.location.display} was opened read-only")

    def _check_open(self) -> None:
        if self._session.closed:
            raise HistorianError(f"historian {self.location.display} is closed")

    def flush(self) -> None:
        """Write everything staged, in one transaction."""
        self._check_open()
        if self._staged():
            self._session.run("writing history", self._flush_in)

    def _flush_in(self, con: Conn) -> None:
        self._stages.ensure(con, self._session.generation)
        with con.transaction():
            resolved = self._tags.resolve(con.cursor()) if self._tags.has_provisional else None
            ids = None if resolved is None else resolved.ids
            numeric = self._write(con, self._numeric, self._numeric_staging, ids)
            text = self._write(con, self._text, self._text_staging, ids)
            if self._event_staging:
                self._event_writer.write(con.cursor(), self._event_staging)
        # Committed: only now does the in-memory state move on.
        if resolved is not None:
            self._tags.adopt(resolved)
        for writer, staging, written in (
            (self._numeric, self._numeric_staging, numeric),
            (self._text, self._text_staging, text),
        ):
            if written is not None:
                writer.adopt(written)
            staging.clear()
        self._event_staging.clear()

    @staticmethod
    def _write(
        con: Conn, writer: SampleWriter, staging: Staging, ids: Int32s | None
    ) -> Written | None:
        return writer.write(con, staging.rows(ids)) if len(staging) else None

    # -- reading ------------------------------------------------------------------------

    def _flush_staged(self) -> None:
        """Write what this process appended, so that the query that follows sees it."""
        self._check_open()
        if self._staged():
            self.flush()

    def _select(self, con: Conn, pat: Pattern) -> Selection:
        query, params = select_tags(pat)
        return [(str(path), int(i)) for path, i in con.execute(query, params).fetchall()]

    def paths(self, selector: str | Pattern = "#") -> list[str]:
        """Every stored path that ``selector`` matches, sorted."""
        pat = selector_pattern(selector)
        self._flush_staged()
        selection = self._session.run("listing paths", lambda con: self._select(con, pat))
        return [path for path, _ in selection]

    def raw(
        self, selector: str | Pattern, start_ns: int, end_ns: int, *, limit: int | None = None
    ) -> SampleBatch:
        """Numeric samples in ``[start_ns, end_ns)``, ordered by path, then time."""
        return self._raw(SampleBatch, "samples", selector, (start_ns, end_ns), limit)

    def raw_text(
        self, selector: str | Pattern, start_ns: int, end_ns: int, *, limit: int | None = None
    ) -> TextBatch:
        """Text samples in ``[start_ns, end_ns)``, ordered by path, then time."""
        return self._raw(TextBatch, "text_samples", selector, (start_ns, end_ns), limit)

    def _raw(
        self,
        kind: type[B],
        table: str,
        selector: str | Pattern,
        span: tuple[int, int],
        limit: int | None,
    ) -> B:
        pat = selector_pattern(selector)
        check_limit(limit)
        self._flush_staged()

        def read(con: Conn) -> B:
            selection = self._select(con, pat)
            if not selection or span[0] >= span[1] or limit == 0:
                return kind.empty()
            ids = [i for _, i in selection]
            params = {"ids": ids, "start": span[0], "end": span[1], "limit": limit}
            rows = con.cursor(binary=True).execute(raw_sql(table), params).fetchall()
            return as_batch(kind, selection, rows)

        return self._session.run("reading samples", read)

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
        self._flush_staged()

        def read(con: Conn) -> Downsampled:
            selection = self._select(con, pat)
            if not selection or start_ns >= end_ns:
                return no_buckets(aggs)
            query, params = downsample_sql(aggs, end_ns, every_ns)
            ids = [i for _, i in selection]
            params.update(ids=ids, start=start_ns, end=end_ns, every=every_ns)
            rows = con.cursor(binary=True).execute(query, params).fetchall()
            return as_downsampled(selection, rows, aggs, start_ns, every_ns)

        return self._session.run("downsampling samples", read)

    def latest(self, selector: str | Pattern = "#") -> SampleBatch:
        """The newest numeric sample (by source time, any quality) of each selected tag."""
        pat = selector_pattern(selector)
        self._flush_staged()

        def read(con: Conn) -> SampleBatch:
            selection = self._select(con, pat)
            if not selection:
                return SampleBatch.empty()
            ids = [i for _, i in selection]
            rows = con.cursor(binary=True).execute(LATEST_SQL, {"ids": ids}).fetchall()
            return as_batch(SampleBatch, selection, rows)

        return self._session.run("reading the latest samples", read)

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
        selected = None if asset is None else asset_pattern(asset)
        check_limit(limit)
        query, params = events_sql(
            asset=selected, kind=kind, start_ns=start_ns, end_ns=end_ns, limit=limit
        )
        self._flush_staged()
        rows = self._session.run(
            "reading events", lambda con: con.execute(query, params).fetchall()
        )
        return [as_event(row) for row in rows]

    # -- housekeeping -------------------------------------------------------------------

    def apply_retention(self, policy: RetentionPolicy, now_ns: int) -> RetentionReport:
        """Delete what ``policy`` no longer keeps at ``now_ns``; see :mod:`.retention`."""
        self._check_writable()
        self._flush_staged()

        def delete(con: Conn) -> RetentionReport:
            with con.transaction():
                selection = self._select(con, Pattern("#"))
                cutoffs = sample_cutoffs(policy, [p for p, _ in selection], now_ns)
                ids = [i for _, i in selection]
                return delete_expired(con.cursor(), ids, cutoffs, events_cutoff(policy, now_ns))

        report = self._session.run("applying retention", delete)
        self._numeric.forget_marks()
        self._text.forget_marks()
        return report

    @property
    def _link(self) -> Session:
        return self._session
