"""Staging: appended samples wait in memory, column by column, until a flush writes them.

Appends copy each batch's columns into growable numpy buffers (one copy, so a caller may
reuse its arrays), keyed by tag id. A flush takes the buffer as :class:`Rows`: sorted by
(tag, source time) with a stable sort, and with one row per (tag, source time), the one
appended last. Writing whole sorted chunks keeps each tag's rows together on disk, which
is what lets a range query of one tag skip most of the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Int32s = npt.NDArray[np.int32]
Int64s = npt.NDArray[np.int64]
UInt32s = npt.NDArray[np.uint32]
Index = npt.NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class Rows:
    """Samples ready to write: sorted by (tag, source time), one row per pair."""

    tag: Int32s
    ts: Int64s
    recv: Int64s
    value: npt.NDArray[Any]
    status: UInt32s

    def __len__(self) -> int:
        return len(self.tag)

    def take(self, index: Index | npt.NDArray[np.bool_]) -> Rows:
        """The rows picked by an index array or a mask, order kept."""
        return Rows(
            self.tag[index],
            self.ts[index],
            self.recv[index],
            self.value[index],
            self.status[index],
        )

    def last_of_each_tag(self) -> Index:
        """Index of each tag's last (newest) row; rows of a tag are contiguous."""
        if not len(self):
            return np.zeros(0, np.intp)
        ends = np.flatnonzero(self.tag[1:] != self.tag[:-1])
        return np.append(ends, len(self) - 1).astype(np.intp)


class Staging:
    """A growable columnar buffer of samples, keyed by tag id.

    Keys at or above zero are stored tag ids; negative keys are provisional ones for paths
    not yet in the tags table, which the flush replaces by their new ids (see :meth:`rows`).
    """

    def __init__(self, value_dtype: type[np.generic]) -> None:
        self._value_dtype = value_dtype
        self._n = 0
        self._tag: Int32s = np.zeros(0, np.int32)
        self._ts: Int64s = np.zeros(0, np.int64)
        self._recv: Int64s = np.zeros(0, np.int64)
        self._value: npt.NDArray[Any] = np.zeros(0, value_dtype)
        self._status: UInt32s = np.zeros(0, np.uint32)

    def __len__(self) -> int:
        return self._n

    def add(
        self,
        tag: Int32s,
        ts: Int64s,
        recv: Int64s,
        value: npt.NDArray[Any],
        status: UInt32s,
    ) -> None:
        """Copy one batch's columns in."""
        k = len(tag)
        self._reserve(self._n + k)
        end = self._n + k
        self._tag[self._n : end] = tag
        self._ts[self._n : end] = ts
        self._recv[self._n : end] = recv
        self._value[self._n : end] = value
        self._status[self._n : end] = status
        self._n = end

    def _reserve(self, need: int) -> None:
        if need <= len(self._tag):
            return
        cap = max(need, 2 * len(self._tag), 1024)
        self._tag = _grown(self._tag, cap, self._n)
        self._ts = _grown(self._ts, cap, self._n)
        self._recv = _grown(self._recv, cap, self._n)
        self._value = _grown(self._value, cap, self._n)
        self._status = _grown(self._status, cap, self._n)

    def rows(self, ids: Int32s | None = None) -> Rows:
        """The staged samples sorted by (tag, time), the last of each duplicate kept.

        ``ids`` gives the ids of provisional keys (``ids[i]`` for key ``-1 - i``); they are
        replaced in the returned rows only. The buffer itself is left as it is: the caller
        clears it once the rows are written.
        """
        n = self._n
        tag, ts = self._tag[:n], self._ts[:n]
        if ids is not None and len(ids):
            tag = tag.copy()
            provisional = tag < 0
            tag[provisional] = ids[-1 - tag[provisional]]
        order = np.lexsort((ts, tag))  # stable: duplicates stay in append order
        tag, ts = tag[order], ts[order]
        keep = np.ones(n, dtype=bool)
        if n > 1:
            # Keep a row unless the next one has the same tag and time (it came later).
            np.not_equal(ts[1:], ts[:-1], out=keep[:-1])
            keep[:-1] |= tag[1:] != tag[:-1]
        if not keep.all():
            order, tag, ts = order[keep], tag[keep], ts[keep]
        return Rows(tag, ts, self._recv[:n][order], self._value[:n][order], self._status[:n][order])

    def clear(self) -> None:
        """Forget the staged rows; the buffers are kept for the next ones."""
        self._n = 0
        if self._value.dtype == object:
            self._value[:] = None  # let go of the strings


def _grown(array: npt.NDArray[Any], capacity: int, used: int) -> npt.NDArray[Any]:
    bigger = np.empty(capacity, dtype=array.dtype)
    bigger[:used] = array[:used]
    return bigger
