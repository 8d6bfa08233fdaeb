"""SQL of the PostgreSQL historian's reads: tag selection, raw, latest, buckets, events.

Every value travels as a bound parameter; the only names composed into SQL text are the
sample tables' own, through :class:`psycopg.sql.Identifier`. A *selection* is the list of
(path, tag id) pairs a selector matched, ordered by path; queries take the ids as an array
and number them ``WITH ORDINALITY``, so results come ordered by that rank (path), then time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from psycopg import sql

from shopfloor.historian.base import Aggregate
from shopfloor.model.namespace import Pattern, split

BAD_STATUS = 0x80000000
"""Status codes at or above this have severity bits ``10`` or ``11``: bad quality."""

INT64_MIN = -(2**63)

Params = dict[str, object]


def pattern_regex(pat: Pattern) -> str:
    """An anchored POSIX regular expression with exactly ``pat``'s matches.

    >>> pattern_regex(Pattern("acme/+/line-1/#"))
    '^acme/[^/]*/line\\\\-1(/.*)?$'
    """
    out = ""
    for i, seg in enumerate(split(pat.text)):
        sep = "/" if i else ""
        if seg == "#":
            out += "(/.*)?" if i else ".*"
        elif seg == "+":
            out += sep + "[^/]*"  # Pattern.matches lets '+' match an empty segment too
        else:
            out += sep + re.sub(r"([^A-Za-z0-9_])", r"\\\1", seg)
    return f"^{out}$"


def _like_prefix(pat: Pattern) -> str:
    """A LIKE pattern that narrows by the literal prefix (via the b-tree), or matches all."""
    return pat.sql_like() or "%"


def path_filter(column: str, pat: Pattern) -> tuple[sql.Composable, Params]:
    """A predicate on a path ``column`` (one of ours) selecting what ``pat`` matches."""
    col = sql.Identifier(column)
    if pat.is_literal:
        return sql.SQL("{} = %(path)s").format(col), {"path": pat.text}
    # LIKE narrows by an index range, the regex decides; both on the "C" collation.
    predicate = sql.SQL("{col} LIKE %(path_like)s AND {col} ~ %(path_re)s").format(col=col)
    return predicate, {"path_like": _like_prefix(pat), "path_re": pattern_regex(pat)}


def select_tags(pat: Pattern) -> tuple[sql.Composed, Params]:
    """The (path, id) pairs of the stored tags ``pat`` matches, ordered by path."""
    predicate, params = path_filter("path", pat)
    return sql.SQL("SELECT path, id FROM tags WHERE {} ORDER BY path").format(predicate), params


_SELECTION = "unnest(%(ids)s::integer[]) WITH ORDINALITY AS sel(tag_id, rank)"


def raw_sql(table: str) -> sql.Composed:
    """Samples of the selection in ``[start, end)``, by rank then time, ``limit`` rows at
    most (NULL: all). Columns: rank (from 1), ts, recv, value, status.

    Each tag's rows are one ordered range of the primary key, cut at ``limit`` before the
    tags are merged, so a small limit reads few rows however long the range."""
    return sql.SQL(
        "SELECT sel.rank, s.ts, s.recv, s.value, s.status FROM " + _SELECTION + " CROSS JOIN"
        " LATERAL (SELECT ts, recv, value, status FROM {} WHERE tag_id = sel.tag_id"
        " AND ts >= %(start)s::bigint AND ts < %(end)s::bigint ORDER BY ts LIMIT %(limit)s) s"
        " ORDER BY sel.rank, s.ts LIMIT %(limit)s"
    ).format(sql.Identifier(table))


# One index probe per tag: the newest row by source time, whatever its quality.
LATEST_SQL = sql.SQL(
    "SELECT sel.rank, s.ts, s.recv, s.value, s.status FROM " + _SELECTION + " CROSS JOIN LATERAL"
    " (SELECT ts, recv, value, status FROM samples WHERE tag_id = sel.tag_id"
    " ORDER BY ts DESC LIMIT 1) s ORDER BY sel.rank"
)


def _good(column: str = "status") -> str:
    return f"{column} < {BAD_STATUS}"


_PLAIN = {
    Aggregate.MEAN: f"avg(value) FILTER (WHERE {_good()})",
    Aggregate.MIN: f"min(value) FILTER (WHERE {_good()})",
    Aggregate.MAX: f"max(value) FILTER (WHERE {_good()})",
    Aggregate.COUNT: f"count(*) FILTER (WHERE {_good()})::double precision",
    # The time of the bucket's last good sample; its value is looked up by primary key.
    Aggregate.LAST: f"max(ts) FILTER (WHERE {_good()})",
}

# Time-weighted mean: every good sample weighs the time it holds inside its bucket (until the
# next sample of the tag, or the bucket's end b1); the bucket's first sample also lends the
# time from the bucket's start b0 to itself to the previous sample (possibly the look-back
# one before the range), when that one is good. Durations are double precision, so products
# cannot overflow.
_HELD = "(least(coalesce(next_ts, b1), b1) - ts)::double precision"
_HEAD = f"CASE WHEN prev_ts < b0 AND {_good('prev_status')} THEN (ts - b0)::double precision END"
_TWA = (
    f"(coalesce(sum(CASE WHEN {_good()} THEN value * {_HELD} END), 0)"
    f" + coalesce(sum(prev_value * {_HEAD}), 0))"
    f" / nullif(coalesce(sum(CASE WHEN {_good()} THEN {_HELD} END), 0)"
    f" + coalesce(sum({_HEAD}), 0), 0)"
)


def _column(agg: Aggregate) -> str:
    return f'"{agg.value}"'


def _aggregates(aggregates: Sequence[Aggregate]) -> str:
    return ", ".join(
        f"{_TWA if a is Aggregate.TIME_WEIGHTED_MEAN else _PLAIN[a]} AS {_column(a)}"
        for a in aggregates
    )


def _bucket_end(end_ns: int, every_ns: int) -> str:
    """b1 = least(b0 + every, end), written so that it cannot overflow bigint."""
    if end_ns - every_ns < INT64_MIN:
        return "%(end)s::bigint"  # every bucket reaches past the end
    return "least(b0, %(end_less_every)s::bigint) + %(every)s::bigint"


def downsample_sql(
    aggregates: Sequence[Aggregate], end_ns: int, every_ns: int
) -> tuple[sql.SQL, Params]:
    """One query bucketing the selection's samples into ``[start + k*every, ...)``.

    Columns: rank (from 1), k, then one per aggregate named by its value; rows ordered by
    rank, then k. A bucket without a good sample aggregates to NULL (``count``: 0). The
    extra parameters it needs besides ids, start, end and every are returned with it.

    Each tag is bucketed on its own, in a ``LATERAL`` subquery over one range of the
    primary key: the window functions of the time-weighted mean then sort one tag's rows
    by time, and the look-back sample comes in as ``lag``'s default. Measured on 10 M rows
    against one query over all tags' rows (look-back rows added by ``UNION ALL``): 0.6 of
    the time for a day of one tag with every aggregate, 0.5 for an hour's mean of 100 tags.
    """
    params: Params = {"end_less_every": max(end_ns - every_ns, INT64_MIN)}
    twa = Aggregate.TIME_WEIGHTED_MEAN in aggregates
    source = _twa_source(_bucket_end(end_ns, every_ns)) if twa else _plain_source()
    outputs = ", ".join(
        "l.value AS " + _column(a) if a is Aggregate.LAST else "b." + _column(a) for a in aggregates
    )
    look_back = f" LEFT JOIN LATERAL ({_LOOK_BACK}) lb ON TRUE" if twa else ""
    # LAST: swap the last good sample's time for its value, one primary-key probe a bucket.
    last = (
        f" LEFT JOIN samples l ON l.tag_id = sel.tag_id AND l.ts = b.{_column(Aggregate.LAST)}"
        if Aggregate.LAST in aggregates
        else ""
    )
    return sql.SQL(
        f"SELECT sel.rank, b.k, {outputs} FROM {_SELECTION}{look_back}"
        f" CROSS JOIN LATERAL (SELECT k, {_aggregates(aggregates)} FROM ({source}) src"
        f" GROUP BY k) b{last} ORDER BY sel.rank, b.k"
    ), params


_IN_RANGE = (
    "FROM samples WHERE tag_id = sel.tag_id AND ts >= %(start)s::bigint AND ts < %(end)s::bigint"
)
_K = "(ts - %(start)s::bigint) / %(every)s::bigint"
# The tag's last sample before the range: one backward probe of the primary key.
_LOOK_BACK = (
    "SELECT ts AS lb_ts, value AS lb_value, status AS lb_status FROM samples"
    " WHERE tag_id = sel.tag_id AND ts < %(start)s::bigint ORDER BY ts DESC LIMIT 1"
)


def _plain_source() -> str:
    """One tag's samples in the range, with their bucket number k."""
    return f"SELECT ts, value, status, {_K} AS k {_IN_RANGE}"


def _twa_source(bucket_end: str) -> str:
    """One tag's samples in the range, each with its bucket's number k, start b0 and end
    b1, the next sample's time, and the previous sample's time, value and status (for the
    first one, the look-back sample's, or NULL)."""
    neighbours = (
        f"SELECT ts, value, status, {_K} AS k,"
        " lag(ts, 1, lb.lb_ts) OVER w AS prev_ts, lag(value, 1, lb.lb_value) OVER w"
        " AS prev_value, lag(status, 1, lb.lb_status) OVER w AS prev_status,"
        f" lead(ts) OVER w AS next_ts {_IN_RANGE} WINDOW w AS (ORDER BY ts)"
    )
    started = f"SELECT *, %(start)s::bigint + k * %(every)s::bigint AS b0 FROM ({neighbours}) n"
    return f"SELECT *, {bucket_end} AS b1 FROM ({started}) c"


def events_sql(
    *,
    asset: Pattern | None,
    kind: str | None,
    start_ns: int | None,
    end_ns: int | None,
    limit: int | None,
) -> tuple[sql.Composed, Params]:
    """The events query, newest first, with its parameters."""
    where: list[sql.Composable] = []
    params: Params = {"limit": limit}
    if asset is not None:
        predicate, more = path_filter("asset", asset)
        where.append(predicate)
        params.update(more)
    if kind is not None:
        # A kind selects itself and its dotted descendants: 'alarm' selects 'alarm.active'.
        where.append(sql.SQL("(kind = %(kind)s OR kind LIKE %(kind_like)s)"))
        params.update(kind=kind, kind_like=_escape_like(kind) + ".%")
    if start_ns is not None:
        where.append(sql.SQL("ts >= %(start)s::bigint"))
        params["start"] = start_ns
    if end_ns is not None:
        where.append(sql.SQL("ts < %(end)s::bigint"))
        params["end"] = end_ns
    cond = sql.SQL(" AND ").join(where) if where else sql.SQL("TRUE")
    return sql.SQL(
        "SELECT id, ts, asset, kind, severity, payload, actor FROM events WHERE {}"
        " ORDER BY ts DESC, id DESC LIMIT %(limit)s"
    ).format(cond), params


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
