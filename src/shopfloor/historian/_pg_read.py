"""Result rows of the PostgreSQL historian's queries, turned into batches and events.

Queries return each row's *rank*, its tag's position (from 1) in the selection, the list of
(path, tag id) pairs the selector matched ordered by path; a batch's path dictionary holds
the paths present, in that order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from shopfloor.historian.base import Aggregate, Downsampled
from shopfloor.model.batch import B, SampleBatch
from shopfloor.model.event import Event, Severity

Selection = Sequence[tuple[str, int]]
Row = tuple[Any, ...]


def _dictionary(
    selection: Selection, rank: npt.NDArray[np.int64]
) -> tuple[tuple[str, ...], npt.NDArray[np.int32]]:
    """The paths present in ``rank`` (from 1, in rank order) and each row's index into them."""
    present = np.unique(rank)
    paths = tuple(selection[int(r) - 1][0] for r in present)
    return paths, np.searchsorted(present, rank).astype(np.int32)


def as_batch(kind: type[B], selection: Selection, rows: list[Row]) -> B:
    """Rows of (rank, ts, recv, value, status) as a batch of ``kind``."""
    if not rows:
        return kind.empty()
    rank, ts, recv, value, status = zip(*rows, strict=True)
    paths, tag = _dictionary(selection, np.array(rank, np.int64))
    values: Any = np.array(value, np.float64) if kind is SampleBatch else np.array(value, object)
    return kind(
        paths=paths,
        tag=tag,
        source_ns=np.array(ts, np.int64),
        receive_ns=np.array(recv, np.int64),
        status=np.array(status, np.uint32),
        value=values,
    )


def no_buckets(aggregates: Sequence[Aggregate]) -> Downsampled:
    """An empty result with the asked-for columns."""
    return Downsampled(
        (),
        np.zeros(0, np.int32),
        np.zeros(0, np.int64),
        {a: np.zeros(0, np.float64) for a in aggregates},
    )


def as_downsampled(
    selection: Selection,
    rows: list[Row],
    aggregates: Sequence[Aggregate],
    start_ns: int,
    every_ns: int,
) -> Downsampled:
    """Rows of (rank, k, one value per aggregate) as buckets; NULL (no good sample) is NaN."""
    if not rows:
        return no_buckets(aggregates)
    rank, k, *values = zip(*rows, strict=True)
    paths, tag = _dictionary(selection, np.array(rank, np.int64))
    columns = {a: np.array(v, np.float64) for a, v in zip(aggregates, values, strict=True)}
    return Downsampled(paths, tag, start_ns + np.array(k, np.int64) * every_ns, columns)


def as_event(row: Row) -> Event:
    """A row of (id, ts, asset, kind, severity, payload, actor) as an event."""
    eid, ts, asset, kind, severity, payload, actor = row
    return Event(
        id=eid,
        time_ns=int(ts),
        asset=asset,
        kind=kind,
        severity=Severity(int(severity)),
        payload=json.loads(payload),
        actor=actor,
    )
