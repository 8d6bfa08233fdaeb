"""SQL text of the DuckDB historian: its schema and the queries that read it.

Numbers that go into SQL (tag ids, times, bucket widths) are inlined as integer literals,
formatted from Python ints, so that DuckDB sees constants and can prune row groups by
their zone maps; text (asset paths, kinds) always travels as bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shopfloor.historian.base import Aggregate
from shopfloor.model.namespace import Pattern, split

SCHEMA_VERSION = 1
"""Version of the tables below; stored in ``meta`` and checked on open."""

BAD_STATUS = 0x80000000
"""Status codes at or above this have severity bits ``10`` or ``11``: bad quality."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_SAMPLE_COLUMNS = "tag_id INTEGER NOT NULL, ts BIGINT NOT NULL, recv BIGINT NOT NULL"

SCHEMA: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tags (id INTEGER PRIMARY KEY, path VARCHAR NOT NULL UNIQUE)",
    # No index on the sample tables: inserts stay fast, and flushes write rows clustered
    # by tag so that zone maps prune row groups for one tag's range query.
    f"CREATE TABLE IF NOT EXISTS samples ({_SAMPLE_COLUMNS},"
    " value DOUBLE NOT NULL, status UINTEGER NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS text_samples ({_SAMPLE_COLUMNS},"
    " value VARCHAR NOT NULL, status UINTEGER NOT NULL)",
    # The newest sample of each tag by source time: answers latest() without a scan and
    # gives each tag's high-water mark.
    "CREATE TABLE IF NOT EXISTS latest (tag_id INTEGER PRIMARY KEY, ts BIGINT NOT NULL,"
    " recv BIGINT NOT NULL, value DOUBLE NOT NULL, status UINTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS latest_text (tag_id INTEGER PRIMARY KEY, ts BIGINT NOT NULL,"
    " recv BIGINT NOT NULL, value VARCHAR NOT NULL, status UINTEGER NOT NULL)",
    # Bookkeeping of the rows appended since the last compaction, per samples table.
    "CREATE TABLE IF NOT EXISTS compaction (table_name VARCHAR PRIMARY KEY,"
    " tail_rows BIGINT NOT NULL, tail_min BIGINT NOT NULL, tail_max BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (id VARCHAR PRIMARY KEY, ts BIGINT NOT NULL,"
    " asset VARCHAR NOT NULL, kind VARCHAR NOT NULL, severity UTINYINT NOT NULL,"
    " payload VARCHAR NOT NULL, actor VARCHAR NOT NULL)",
)

SAMPLE_FIELDS = ("tag_id", "ts", "recv", "value", "status")
EVENT_FIELDS = ("id", "ts", "asset", "kind", "severity", "payload", "actor")


def tag_filter(tag_ids: Sequence[int] | None, column: str = "tag_id") -> str:
    """A predicate selecting ``tag_ids``; ``None`` selects every tag."""
    if tag_ids is None:
        return "TRUE"
    return f"{column} IN ({', '.join(str(int(t)) for t in tag_ids)})"


def _good(column: str = "status") -> str:
    return f"{column} < {BAD_STATUS}"


def _plain_aggregate(agg: Aggregate) -> str:
    good = _good()
    return {
        Aggregate.MEAN: f"avg(value) FILTER (WHERE {good})",
        Aggregate.MIN: f"min(value) FILTER (WHERE {good})",
        Aggregate.MAX: f"max(value) FILTER (WHERE {good})",
        Aggregate.LAST: f"arg_max(value, ts) FILTER (WHERE {good})",
        Aggregate.COUNT: f"count(*) FILTER (WHERE {good})",
    }[agg]


# Time-weighted mean: every good sample weighs the time it holds inside its bucket (until the
# next sample of the tag, or the bucket's end); the bucket's first sample also lends the time
# from the bucket's start to itself to the previous sample (possibly the look-back one), when
# that one is good. Durations are DOUBLE so the products cannot overflow.
_HELD = "(least(coalesce(next_ts, b1), b1) - ts)::DOUBLE"
_HEAD = f"CASE WHEN prev_ts < b0 AND {_good('prev_status')} THEN (ts - b0)::DOUBLE END"
_TWA = (
    f"(coalesce(sum(CASE WHEN {_good()} THEN value * {_HELD} END), 0)"
    f" + coalesce(sum(prev_value * {_HEAD}), 0))"
    f" / nullif(coalesce(sum(CASE WHEN {_good()} THEN {_HELD} END), 0)"
    f" + coalesce(sum({_HEAD}), 0), 0)"
)


def _select_list(aggregates: Sequence[Aggregate]) -> str:
    exprs = [
        f'{_TWA if a is Aggregate.TIME_WEIGHTED_MEAN else _plain_aggregate(a)} AS "{a.value}"'
        for a in aggregates
    ]
    return ", ".join(["tag_id", "k", *exprs])


def downsample_sql(
    table: str,
    tag_ids: Sequence[int] | None,
    start_ns: int,
    end_ns: int,
    every_ns: int,
    aggregates: Sequence[Aggregate],
) -> str:
    """One query that buckets ``table`` into ``[start_ns + k*every_ns, ...)`` per tag.

    It returns ``tag_id``, the bucket number ``k`` and one column per aggregate (named by its
    value), one row per (tag, bucket) holding at least one sample, ordered by tag then ``k``.
    """
    tags = tag_filter(tag_ids)
    in_range = f"{tags} AND ts >= {int(start_ns)} AND ts < {int(end_ns)}"
    bucket = f"(ts - {int(start_ns)}) // {int(every_ns)}"
    if Aggregate.TIME_WEIGHTED_MEAN not in aggregates:
        return (
            f"SELECT {_select_list(aggregates)} FROM "
            f"(SELECT tag_id, ts, value, status, {bucket} AS k FROM {table} WHERE {in_range})"
            " GROUP BY tag_id, k ORDER BY tag_id, k"
        )
    # b1 = least(b0 + every, end) written so that it cannot overflow BIGINT.
    end_less_every = max(int(end_ns) - int(every_ns), INT64_MIN)
    return (
        "WITH src AS ("
        f"SELECT tag_id, ts, value, status FROM {table} WHERE {in_range}"
        " UNION ALL "
        "SELECT tag_id, max(ts), arg_max(value, ts), arg_max(status, ts)"
        f" FROM {table} WHERE {tags} AND ts < {int(start_ns)} GROUP BY tag_id"
        "), seq AS ("
        "SELECT tag_id, ts, value, status,"
        " lag(ts) OVER w AS prev_ts, lag(value) OVER w AS prev_value,"
        " lag(status) OVER w AS prev_status, lead(ts) OVER w AS next_ts"
        " FROM src WINDOW w AS (PARTITION BY tag_id ORDER BY ts)"
        "), bucketed AS ("
        f"SELECT *, {bucket} AS k FROM seq WHERE ts >= {int(start_ns)}"
        "), parts AS ("
        f"SELECT *, {int(start_ns)} + k * {int(every_ns)} AS b0,"
        f" least({int(start_ns)} + k * {int(every_ns)}, {end_less_every}) + {int(every_ns)} AS b1"
        " FROM bucketed"
        f") SELECT {_select_list(aggregates)} FROM parts GROUP BY tag_id, k ORDER BY tag_id, k"
    )


def raw_sql(
    table: str, tag_ids: Sequence[int] | None, start_ns: int, end_ns: int, limit: int | None
) -> str:
    """Rows of ``tag_ids``, ordered by the rank that the registered ``selection`` table
    (tag_id, rank) gives each tag, then by time."""
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    return (
        f"SELECT sel.rank, s.ts, s.recv, s.value, s.status FROM {table} s"
        " JOIN selection sel ON sel.tag_id = s.tag_id"
        f" WHERE {tag_filter(tag_ids, 's.tag_id')}"
        f" AND s.ts >= {int(start_ns)} AND s.ts < {int(end_ns)}"
        f" ORDER BY sel.rank, s.ts{cap}"
    )


def pattern_regex(pat: Pattern) -> str:
    """A regular expression (RE2, full match) with the same matches as ``pat``."""
    out = ""
    for i, seg in enumerate(split(pat.text)):
        sep = "/" if i else ""
        if seg == "#":
            out += f"({sep}.*)?" if i else ".*"
        elif seg == "+":
            out += sep + "[^/]+"
        else:
            out += sep + re.escape(seg)
    return out


def events_sql(
    *,
    asset_regex: str | None,
    kind: str | None,
    start_ns: int | None,
    end_ns: int | None,
    limit: int | None,
) -> tuple[str, list[object]]:
    """The events query, newest first, with its parameters."""
    where: list[str] = []
    params: list[object] = []
    if asset_regex is not None:
        where.append("regexp_full_match(asset, ?)")
        params.append(asset_regex)
    if kind is not None:
        # A kind selects itself and its dotted descendants: 'alarm' selects 'alarm.active'.
        where.append("(kind = ? OR starts_with(kind, ?))")
        params += [kind, kind + "."]
    if start_ns is not None:
        where.append(f"ts >= {int(start_ns)}")
    if end_ns is not None:
        where.append(f"ts < {int(end_ns)}")
    cond = " AND ".join(where) or "TRUE"
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    fields = ", ".join(EVENT_FIELDS)
    return f"SELECT {fields} FROM events WHERE {cond} ORDER BY ts DESC, id DESC{cap}", params
