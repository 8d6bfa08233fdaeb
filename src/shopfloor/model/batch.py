"""Columnar sample batches: the unit that moves on the hot path.

A :class:`SampleBatch` holds many samples of many tags as parallel numpy columns. Tags are
dictionary-encoded: ``paths`` lists each distinct unified-namespace path once and the
``tag`` column indexes into it, as Arrow's dictionary arrays do. Timestamps are int64
nanoseconds since the Unix epoch, UTC: ``source_ns`` when the device measured the value,
``receive_ns`` when shopfloor received it. ``status`` is the OPC UA status code, from which
the coarse :class:`~shopfloor.model.quality.Quality` is derived.

Numeric values travel as float64. Integers and booleans stay exact: float64 represents every
integer up to 2**53 (:data:`EXACT_INT_LIMIT`) and booleans as 0.0 and 1.0. Text values (batch
ids, recipe names) travel in a :class:`TextBatch` with the same columns and a text ``value``.

Batches carry no order guarantee: late and out-of-order samples are ordinary.

>>> b = SampleBatch.of("acme/site/line1/press/temp", [1, 2], [20.5, 20.7])
>>> len(b), b.paths
(2, ('acme/site/line1/press/temp',))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, Self, TypeVar

import numpy as np
import numpy.typing as npt

from shopfloor.model.namespace import Pattern, pattern
from shopfloor.model.quality import Quality, StatusCode, qualities

EXACT_INT_LIMIT = 2**53
"""Largest integer magnitude that float64 values represent exactly."""

Int32s = npt.NDArray[np.int32]
Int64s = npt.NDArray[np.int64]
Float64s = npt.NDArray[np.float64]
UInt32s = npt.NDArray[np.uint32]
Objects = npt.NDArray[np.object_]


class Sample(NamedTuple):
    """One sample, for convenience APIs and tests; hot paths use batches."""

    path: str
    source_ns: int
    value: float | str
    status: int = int(StatusCode.GOOD)
    receive_ns: int | None = None

    @property
    def quality(self) -> Quality:
        return Quality(min((self.status >> 30) & 0b11, 2))


@dataclass(frozen=True, eq=False)
class _Columns:
    paths: tuple[str, ...]
    tag: Int32s
    source_ns: Int64s
    receive_ns: Int64s
    status: UInt32s
    value: npt.NDArray[Any]

    def _check(self, value: npt.NDArray[Any]) -> None:
        n = len(self.tag)
        for name, col in (
            ("source_ns", self.source_ns),
            ("receive_ns", self.receive_ns),
            ("status", self.status),
            ("value", value),
        ):
            if len(col) != n:
                raise ValueError(f"batch column {name} has {len(col)} rows, tag has {n}")
        if n and (int(self.tag.min()) < 0 or int(self.tag.max()) >= len(self.paths)):
            raise ValueError("batch tag index out of range of its paths")

    def __len__(self) -> int:
        return len(self.tag)

    @property
    def quality(self) -> npt.NDArray[np.uint8]:
        """Coarse quality per row: 0 good, 1 uncertain, 2 bad."""
        return qualities(self.status)

    def path_of(self) -> Objects:
        """The path of every row, as an object array (convenience, not for hot paths)."""
        return np.asarray(self.paths, dtype=object)[self.tag]

    def matching(self, selector: str | Pattern) -> npt.NDArray[np.bool_]:
        """A row mask of the samples whose path matches ``selector``."""
        pat = pattern(selector)
        hit = np.fromiter((pat.matches(p) for p in self.paths), bool, len(self.paths))
        if hit.all():
            return np.ones(len(self), dtype=bool)
        return hit[self.tag]

    def take(self, index: npt.NDArray[np.bool_] | npt.NDArray[np.intp]) -> Self:
        """The rows picked by a boolean mask or an index array, same dictionary."""
        return replace(
            self,
            tag=self.tag[index],
            source_ns=self.source_ns[index],
            receive_ns=self.receive_ns[index],
            status=self.status[index],
            value=self.value[index],
        )

    def filter(self, selector: str | Pattern) -> Self:
        """Only the samples whose path matches ``selector``."""
        mask = self.matching(selector)
        return self if mask.all() else self.take(mask)


def _as(col: Any, dtype: type[np.generic]) -> Any:
    return np.ascontiguousarray(col, dtype=dtype)


def _encode_paths(paths: Sequence[str]) -> tuple[tuple[str, ...], Int32s]:
    index: dict[str, int] = {}
    tag = np.fromiter((index.setdefault(p, len(index)) for p in paths), np.int32, len(paths))
    return tuple(index), tag


@dataclass(frozen=True, eq=False)
class SampleBatch(_Columns):
    """Numeric samples of one or more tags, column by column."""

    value: Float64s

    def __post_init__(self) -> None:
        object.__setattr__(self, "tag", _as(self.tag, np.int32))
        object.__setattr__(self, "source_ns", _as(self.source_ns, np.int64))
        object.__setattr__(self, "receive_ns", _as(self.receive_ns, np.int64))
        object.__setattr__(self, "status", _as(self.status, np.uint32))
        object.__setattr__(self, "value", _as(self.value, np.float64))
        self._check(self.value)

    @classmethod
    def empty(cls) -> SampleBatch:
        return _empty(cls, np.zeros(0, np.float64))

    @classmethod
    def of(
        cls,
        path: str,
        source_ns: Iterable[int] | Int64s,
        values: Iterable[float] | Float64s,
        status: int | Iterable[int] = StatusCode.GOOD,
        receive_ns: Iterable[int] | Int64s | None = None,
    ) -> SampleBatch:
        """A batch of one tag."""
        ts = _as(list(source_ns) if not isinstance(source_ns, np.ndarray) else source_ns, np.int64)
        vals = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
        return cls(
            paths=(path,),
            tag=np.zeros(len(ts), np.int32),
            source_ns=ts,
            receive_ns=ts if receive_ns is None else _as(receive_ns, np.int64),
            status=_status_column(status, len(ts)),
            value=vals.astype(np.float64),
        )

    @classmethod
    def from_samples(cls, samples: Iterable[Sample]) -> SampleBatch:
        """Build a batch from per-sample tuples (convenience API)."""
        rows = list(samples)
        paths, tag = _encode_paths([s.path for s in rows])
        return cls(
            paths=paths,
            tag=tag,
            source_ns=np.array([s.source_ns for s in rows], np.int64),
            receive_ns=np.array(
                [s.source_ns if s.receive_ns is None else s.receive_ns for s in rows], np.int64
            ),
            status=np.array([s.status for s in rows], np.uint32),
            value=np.array([float(s.value) for s in rows], np.float64),
        )

    def samples(self) -> Iterator[Sample]:
        """Iterate rows as :class:`Sample` (convenience, not for hot paths)."""
        for i in range(len(self)):
            yield Sample(
                self.paths[self.tag[i]],
                int(self.source_ns[i]),
                float(self.value[i]),
                int(self.status[i]),
                int(self.receive_ns[i]),
            )


@dataclass(frozen=True, eq=False)
class TextBatch(_Columns):
    """Text samples (batch ids, recipe names) with the same columns as :class:`SampleBatch`."""

    value: Objects

    def __post_init__(self) -> None:
        object.__setattr__(self, "tag", _as(self.tag, np.int32))
        object.__setattr__(self, "source_ns", _as(self.source_ns, np.int64))
        object.__setattr__(self, "receive_ns", _as(self.receive_ns, np.int64))
        object.__setattr__(self, "status", _as(self.status, np.uint32))
        texts = np.empty(len(self.value), dtype=object)
        texts[:] = [str(v) for v in self.value]
        object.__setattr__(self, "value", texts)
        self._check(self.value)

    @classmethod
    def empty(cls) -> TextBatch:
        return _empty(cls, np.zeros(0, object))

    @classmethod
    def of(
        cls,
        path: str,
        source_ns: Iterable[int],
        values: Iterable[str],
        status: int | Iterable[int] = StatusCode.GOOD,
    ) -> TextBatch:
        ts = np.asarray(list(source_ns), np.int64)
        texts = np.empty(len(ts), dtype=object)
        texts[:] = list(values)
        return cls(
            (path,), np.zeros(len(ts), np.int32), ts, ts, _status_column(status, len(ts)), texts
        )

    @classmethod
    def from_samples(cls, samples: Iterable[Sample]) -> TextBatch:
        rows = list(samples)
        paths, tag = _encode_paths([s.path for s in rows])
        texts = np.empty(len(rows), dtype=object)
        texts[:] = [str(s.value) for s in rows]
        return cls(
            paths,
            tag,
            np.array([s.source_ns for s in rows], np.int64),
            np.array(
                [s.source_ns if s.receive_ns is None else s.receive_ns for s in rows], np.int64
            ),
            np.array([s.status for s in rows], np.uint32),
            texts,
        )

    def samples(self) -> Iterator[Sample]:
        for i in range(len(self)):
            yield Sample(
                self.paths[self.tag[i]],
                int(self.source_ns[i]),
                str(self.value[i]),
                int(self.status[i]),
                int(self.receive_ns[i]),
            )


AnyBatch = SampleBatch | TextBatch
B = TypeVar("B", SampleBatch, TextBatch)


def _status_column(status: int | Iterable[int], n: int) -> UInt32s:
    if isinstance(status, int):
        return np.full(n, status, np.uint32)
    return np.asarray(list(status), np.uint32)


def _empty(cls: type[B], value: Any) -> B:
    return cls(
        (),
        np.zeros(0, np.int32),
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        np.zeros(0, np.uint32),
        value,
    )


def concat(batches: Sequence[B]) -> B:
    """Concatenate batches of one kind, merging their path dictionaries."""
    if not batches:
        raise ValueError("concat needs at least one batch")
    if len(batches) == 1:
        return batches[0]
    index: dict[str, int] = {}
    tags = []
    for b in batches:
        remap = np.fromiter(
            (index.setdefault(p, len(index)) for p in b.paths), np.int32, len(b.paths)
        )
        tags.append(remap[b.tag] if len(b.paths) else b.tag)
    first = batches[0]
    return replace(
        first,
        paths=tuple(index),
        tag=np.concatenate(tags),
        source_ns=np.concatenate([b.source_ns for b in batches]),
        receive_ns=np.concatenate([b.receive_ns for b in batches]),
        status=np.concatenate([b.status for b in batches]),
        value=np.concatenate([b.value for b in batches]),
    )
