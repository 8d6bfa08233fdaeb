"""The read side of the DuckDB historian: one SQL query per call, results as batches.

A *selection* is the list of (path, tag id) pairs a selector matched, ordered by path; a
row's position in it is its rank, and results come ordered by rank, then time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from duckdb import DuckDBPyConnection

from shopfloor.historian._duckdb_sql import (
    SAMPLE_FIELDS,
    downsample_sql,
    events_sql,
    raw_sql,
    tag_filter,
)
from shopfloor.historian.base import Aggregate, Downsampled
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.event import Event, Severity

Selection = Sequence[tuple[str, int]]
B = TypeVar("B", SampleBatch, TextBatch)


def _numpy(table: pa.Table, column: str, dtype: type[np.generic]) -> npt.NDArray[Any]:
    # Arrow turns NULL floats into NaN here: empty aggregates read as NaN.
    return np.asarray(table.column(column).to_numpy(), dtype=dtype)


def _dictionary(selection: Selection, rank: npt.NDArray[np.int32]) -> tuple[tuple[str, ...], Any]:
    """The paths present in ``rank`` (in rank order) and each row's index into them."""
    present = np.unique(rank)
    paths = tuple(selection[int(r)][0] for r in present)
    return paths, np.searchsorted(present, rank).astype(np.int32)


def _as_batch(kind: type[B], selection: Selection, result: pa.Table) -> B:
    rank = _numpy(result, "rank", np.int32)
    paths, tag = _dictionary(selection, rank)
    value = result.column("value").to_numpy(zero_copy_only=False)
    return kind(
        paths=paths,
        tag=tag,
        source_ns=_numpy(result, "ts", np.int64),
        receive_ns=_numpy(result, "recv", np.int64),
        status=_numpy(result, "status", np.uint32),
        value=value,
    )


def _selection_table(selection: Selection) -> pa.Table:
    return pa.table(
        {
            "tag_id": pa.array([i for _, i in selection], pa.int32()),
            "rank": pa.array(np.arange(len(selection), dtype=np.int32)),
        }
    )


def read_samples(
    con: DuckDBPyConnection,
    kind: type[B],
    table: str,
    selection: Selection,
    start_ns: int,
    end_ns: int,
    limit: int | None,
) -> B:
    """Samples of the selected tags in ``[start_ns, end_ns)``, by path then time."""
    con.register("selection", _selection_table(selection))
    try:
        ids = [i for _, i in selection]
        result = con.sql(raw_sql(table, ids, start_ns, end_ns, limit)).to_arrow_table()
    finally:
        con.unregister("selection")
    return _as_batch(kind, selection, result)


def read_latest(con: DuckDBPyConnection, selection: Selection) -> SampleBatch:
    """The newest sample of each selected tag that has one, by path."""
    ids = [i for _, i in selection]
    fields = ", ".join(SAMPLE_FIELDS)
    result = con.sql(f"SELECT {fields} FROM latest WHERE {tag_filter(ids)}").to_arrow_table()
    rank_of = {tag_id: r for r, (_, tag_id) in enumerate(selection)}
    rank = np.array([rank_of[int(t)] for t in result.column("tag_id").to_pylist()], np.int32)
    order = np.argsort(rank, kind="stable")
    result = result.take(pa.array(order)).append_column("rank", pa.array(rank[order]))
    return _as_batch(SampleBatch, selection, result)


def read_downsampled(
    con: DuckDBPyConnection,
    selection: Selection,
    every_tag: bool,
    span: tuple[int, int, int],
    aggregates: Sequence[Aggregate],
) -> Downsampled:
    """Buckets of the selected tags; ``every_tag`` drops the tag filter when the selection
    holds every stored tag; ``span`` is (start_ns, end_ns, every_ns)."""
    start_ns, end_ns, every_ns = span
    ids = None if every_tag else [i for _, i in selection]
    sql = downsample_sql("samples", ids, start_ns, end_ns, every_ns, aggregates)
    result = con.sql(sql).to_arrow_table()
    tag_id = _numpy(result, "tag_id", np.int32)
    k = _numpy(result, "k", np.int64)
    rank_of = np.zeros(max((i for _, i in selection), default=-1) + 1, np.int32)
    rank_of[[i for _, i in selection]] = np.arange(len(selection), dtype=np.int32)
    rank = rank_of[tag_id]
    order = np.lexsort((k, rank))  # SQL orders by tag id; callers want path order
    paths, tag = _dictionary(selection, rank[order])
    columns = {a: _numpy(result, a.value, np.float64)[order] for a in aggregates}
    return Downsampled(paths, tag, start_ns + k[order] * every_ns, columns)


def read_events(
    con: DuckDBPyConnection,
    *,
    asset_regex: str | None,
    kind: str | None,
    start_ns: int | None,
    end_ns: int | None,
    limit: int | None,
) -> list[Event]:
    """Events that match every given filter, newest first."""
    sql, params = events_sql(
        asset_regex=asset_regex, kind=kind, start_ns=start_ns, end_ns=end_ns, limit=limit
    )
    return [
        Event(
            id=str(eid),
            time_ns=int(ts),
            asset=str(asset),
            kind=str(kind_),
            severity=Severity(int(severity)),
            payload=json.loads(payload),
            actor=str(actor),
        )
        for eid, ts, asset, kind_, severity, payload, actor in con.execute(sql, params).fetchall()
    ]
