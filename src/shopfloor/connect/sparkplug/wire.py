"""The fast path for data messages: learn a payload's byte layout once, then decode by it.

An edge node sends the same metrics in the same order scan after scan; only timestamps and
values change. So the protobuf *structure* of its data messages repeats byte for byte: the
field keys, the aliases, the datatypes, the lengths of the embedded messages, and how many
bytes each varint takes. :func:`learn` walks one payload in Python and records

* the **structural** bytes: every field key, alias, datatype, flag and length prefix (they
  must be equal) and the continuation bit of every value varint (varint lengths must be
  equal), and
* where each **value** is: metric and payload timestamps, seq, numbers, strings.

:meth:`Layout.decode` then checks a new payload of the same size against the structural
bytes with one vectorised comparison and, when it matches, reads every value with a few
numpy gathers; no Python loop runs per metric. The match is exact: protobuf parsing is
decided by keys, lengths and varint boundaries alone, so equal structural bytes mean the
payload parses the same way, and the values read are the ones a full decoder would read.
Payloads the walker does not model (properties, metadata, datasets, templates, bytes,
repeated fields, unknown fields) get no layout and go the full way, through
:func:`shopfloor.connect.sparkplug.codec.decode`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shopfloor.connect.sparkplug.codec import Metrics, Payload, ValueField
from shopfloor.connect.sparkplug.walker import UnusualError, WalkedMetric, Walker

Index = npt.NDArray[np.intp]
_WEIGHTS = np.array([1 << (7 * i) for i in range(9)] + [-(1 << 63)], np.int64)


def _varint_index(spans: list[tuple[int, int]], sentinel: int) -> Index:
    """A (k, longest) index of varint bytes; short rows point at the sentinel zero byte."""
    width = max(length for _, length in spans)
    index = np.full((len(spans), width), sentinel, np.intp)
    for row, (start, length) in enumerate(spans):
        index[row, :length] = np.arange(start, start + length)
    return index


def _fixed_index(spans: list[tuple[int, int]], width: int) -> Index:
    starts = np.array([start for start, _ in spans], np.intp)
    return starts[:, None] + np.arange(width, dtype=np.intp)


def _varints(groups: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """Decode varints, one per row of their (padded) bytes, all at once."""
    if len(groups) > 1 and (groups[1:] == groups[0]).all():
        # One scan cycle: every metric has the same timestamp; decode it once.
        return np.full(len(groups), _varint_of(groups[0]), np.uint64)
    # int64 arithmetic wraps modulo 2**64, so even 10-byte varints come out right.
    weights = _WEIGHTS[: groups.shape[1]]
    result: npt.NDArray[np.uint64] = ((groups & np.uint8(0x7F)).astype(np.int64) @ weights).view(
        np.uint64
    )
    return result


def _varints_3d(groups: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """Decode varints of even width along the last axis (see :func:`_varints`)."""
    weights = _WEIGHTS[: groups.shape[-1]]
    result: npt.NDArray[np.uint64] = ((groups & np.uint8(0x7F)).astype(np.int64) @ weights).view(
        np.uint64
    )
    return result


def _column(good: npt.NDArray[np.uint8], span: tuple[int, int] | None) -> list[int] | None:
    """A payload-level varint (seq, timestamp) of every row, as Python ints."""
    if span is None:
        return None
    start, length = span
    values: list[int] = _varints_3d(good[:, start : start + length]).tolist()
    return values


def _varint_of(raw: npt.NDArray[np.uint8]) -> int:
    value = 0
    for i, byte in enumerate(raw.tolist()):
        value |= (byte & 0x7F) << (7 * i)
    return value


def _padded_varint(value: int, length: int) -> list[int]:
    if value < 0 or value >> (7 * length):
        raise ValueError(f"{value} does not fit a {length}-byte varint")
    return [((value >> (7 * i)) & 0x7F) | (0x80 if i < length - 1 else 0) for i in range(length)]


def _write_varints(
    buf: npt.NDArray[np.uint8], gather: _Gather, values: int | npt.NDArray[np.int64]
) -> None:
    """Write one value per gather row (or the same one to all) into its varint bytes,
    keeping each row's byte length."""
    index, lengths = gather.index, gather.lengths
    if isinstance(values, int | np.integer) and gather.uniform:
        buf[index] = np.array(_padded_varint(int(values), index.shape[1]), np.uint8)
        return
    chosen = np.broadcast_to(np.asarray(values, np.int64), len(gather.rows)).astype(np.uint64)
    if (chosen >> (np.uint64(7) * lengths.astype(np.uint64)) != 0).any():
        raise ValueError("a value does not fit its varint")
    shifts = np.arange(index.shape[1], dtype=np.uint64) * np.uint64(7)
    groups = ((chosen[:, None] >> shifts) & np.uint64(0x7F)).astype(np.uint8)
    more = np.arange(index.shape[1])[None, :] < (lengths - 1)[:, None]
    buf[index] = groups | (more * 0x80).astype(np.uint8)


def _small_varint(data: bytes, span: tuple[int, int] | None) -> int | None:
    if span is None:
        return None
    start, length = span
    if length == 1:
        return data[start]
    value = 0
    for i in range(length):
        value |= (data[start + i] & 0x7F) << (7 * i)
    return value


@dataclass(frozen=True, eq=False)
class _Gather:
    """Rows of the metrics table and the bytes that hold their values.

    When the rows are every metric, evenly spaced and of one width (a scan of like metrics),
    ``strided`` gives (offset, stride) and the bytes are read as a strided view of the
    payload, without an index.
    """

    rows: Index
    index: Index
    everyone: bool
    lengths: Index  # bytes of each row (varints; fixed-width values: the width)
    strided: tuple[int, int] | None
    uniform: bool  # every row as wide as the index

    def raw(self, data: bytes, padded: npt.NDArray[np.uint8] | None) -> npt.NDArray[np.uint8]:
        """The value bytes, one row per metric (``padded``: the payload and a zero byte)."""
        if self.strided is not None:
            offset, stride = self.strided
            shape = (len(self.rows), self.index.shape[1])
            return np.ndarray(shape, np.uint8, data, offset, (stride, 1))
        assert padded is not None
        return padded[self.index]

    def numbers(self, data: bytes, padded: npt.NDArray[np.uint8] | None, dtype: str) -> Any:
        """Fixed-width values (``<f8``, ``<f4``) of the rows."""
        if self.strided is not None:
            offset, stride = self.strided
            return np.ndarray((len(self.rows),), dtype, data, offset, (stride,))
        return self.raw(data, padded).view(dtype).reshape(-1)


def _gather(rows: list[int], total: int, index: Index, sentinel: int) -> _Gather:
    lengths = (index != sentinel).sum(axis=1)
    starts = index[:, 0]
    steps = np.diff(starts)
    regular = (
        len(rows) == total
        and len(rows) > 1
        and bool((lengths == index.shape[1]).all())
        and bool((steps == steps[0]).all())
        and steps[0] > 0
    )
    strided = (int(starts[0]), int(steps[0])) if regular else None
    uniform = bool((lengths == index.shape[1]).all())
    return _Gather(np.array(rows, np.intp), index, len(rows) == total, lengths, strided, uniform)


class _SameTime:
    """Reads the one timestamp of a scan whose metrics all carry the same one.

    With the payload as an integer ``x``, the first metric's timestamp bytes ``t`` are
    ``(x >> shift) & ones``; every metric has them when ``x & spots == t * spread``, where
    ``spread`` puts a 1 at each metric's timestamp. A few big-integer operations check all
    metrics at once.
    """

    def __init__(self, starts: list[int], width: int) -> None:
        self.first = starts[0]
        self.spread = sum(1 << (8 * s) for s in starts)
        self.spots = ((1 << (8 * width)) - 1) * self.spread
        self.width = width

    def read(self, data: bytes, x: int) -> int | None:
        """The shared timestamp of payload ``data`` (``x`` as an integer), or None."""
        t = int.from_bytes(data[self.first : self.first + self.width], "little")
        if x & self.spots != t * self.spread:
            return None
        value = 0
        for i in range(self.width):
            value |= ((t >> (8 * i)) & 0x7F) << (7 * i)
        return value


def _same_time(times: _Gather | None) -> _SameTime | None:
    if times is None or not times.everyone or len(times.rows) < 2:
        return None
    width = int(times.lengths[0])
    if not (times.lengths == width).all():
        return None
    return _SameTime([int(i) for i in times.index[:, 0]], width)


@dataclass(frozen=True, eq=False)
class Scans:
    """Many payloads of one layout, decoded together (the rows that matched it).

    ``seq`` and ``payload_ms`` hold each payload's seq and timestamp (None when the layout
    has none); ``stamps`` is each payload's one metric time (shape ``(n,)``, a scan) or
    each metric's (``(n, metrics)``, -1 where absent); ``number`` and ``integer`` as in
    :class:`~shopfloor.connect.sparkplug.codec.Metrics`, one row per payload.
    """

    ok: npt.NDArray[np.bool_]
    seq: list[int] | None
    payload_ms: list[int] | None
    stamps: npt.NDArray[np.int64]
    number: npt.NDArray[np.float64]
    integer: npt.NDArray[np.uint64] | None

    def __len__(self) -> int:
        return len(self.number)


class Layout:
    """The byte layout of one payload shape; decodes payloads of that shape fast."""

    def __init__(self, walker: Walker) -> None:
        data, metrics = walker.data, walker.metrics
        self.size = len(data)
        # The structural bytes as one big integer mask: a payload has this structure when
        # its bytes, as an integer, AND the mask equal the template's. One C-speed
        # operation over the whole payload, whatever the number of metrics.
        mask = np.zeros(len(data), np.uint8)
        mask[walker.msb] = 0x80
        mask[walker.exact] = 0xFF
        self._mask = int.from_bytes(mask.tobytes(), "little")
        self._expect = int.from_bytes(data, "little") & self._mask
        self._mask_row = mask  # the same, as bytes, for many payloads at once
        self._expect_row = np.frombuffer(data, np.uint8) & mask
        self._padded = False  # set below when some gather needs the sentinel byte
        self._timestamp, self._seq = walker.timestamp, walker.seq
        self.identity = _identity(metrics)
        self._times = self._varint_gather([(i, m.timestamp) for i, m in enumerate(metrics)])
        self._ints = self._varint_gather(_values(metrics, (10, 11, 14)))
        self._doubles = self._fixed_gather(_values(metrics, (13,)), 8)
        self._floats = self._fixed_gather(_values(metrics, (12,)), 4)
        self._strings = _values(metrics, (15,))
        self._bools = np.array([m.value_field == ValueField.BOOLEAN for m in metrics], bool)
        gathers = (self._times, self._ints, self._doubles, self._floats)
        self._padded = any(g is not None and g.strided is None for g in gathers)
        self._has_bools = bool(self._bools.any())
        self._no_ints = np.zeros(len(metrics), np.uint64)
        self._no_ints.flags.writeable = False
        self._same_time = _same_time(self._times)
        self.bulk = not self._strings
        """Whether :meth:`decode_many` can read this layout (it has no strings)."""
        varints = (self._times, self._ints)
        self._uneven = any(g is not None and not g.uniform for g in varints)

    def _varint_gather(self, spans: Sequence[tuple[int, tuple[int, int] | None]]) -> _Gather | None:
        present = [(row, span) for row, span in spans if span is not None]
        if not present:
            return None
        rows = [row for row, _ in present]
        index = _varint_index([span for _, span in present], self.size)
        return _gather(rows, len(self.identity.alias), index, self.size)

    def _fixed_gather(
        self, spans: Sequence[tuple[int, tuple[int, int] | None]], width: int
    ) -> _Gather | None:
        present = [(row, span) for row, span in spans if span is not None]
        if not present:
            return None
        index = _fixed_index([span for _, span in present], width)
        return _gather([row for row, _ in present], len(self.identity.alias), index, self.size)

    def matches(self, data: bytes) -> bool:
        """Whether ``data`` has exactly this structure."""
        return len(data) == self.size and self._matches(int.from_bytes(data, "little"))

    def _matches(self, x: int) -> bool:
        return x & self._mask == self._expect

    def decode(self, data: bytes) -> Payload | None:
        """The payload read by this layout, or None when ``data`` has another structure."""
        if len(data) != self.size:
            return None
        x = int.from_bytes(data, "little")  # once, for the structure and the scan's time
        if not self._matches(x):
            return None
        padded = np.frombuffer(data + b"\x00", np.uint8) if self._padded else None
        ident, k = self.identity, len(self.identity.alias)
        number = self._numbers(data, padded, k)
        integer = self._no_ints
        if self._ints is not None:
            integer = np.zeros(k, np.uint64)
            integer[self._ints.rows] = _varints(self._ints.raw(data, padded))
            if self._has_bools:
                number[self._bools] = (integer[self._bools] != 0).astype(np.float64)
                integer[self._bools] = 0
        text = {
            row: data[start : start + size].decode("utf-8", "replace")
            for row, (start, size) in self._strings
        }
        metrics = Metrics(
            names=ident.names,
            alias=ident.alias,
            has_alias=ident.has_alias,
            timestamps=self._timestamps(data, x, padded, k),
            datatype=ident.datatype,
            field=ident.field,
            is_null=ident.is_null,
            number=number,
            integer=integer,
            text=text,
        )
        stamp, seq = _small_varint(data, self._timestamp), _small_varint(data, self._seq)
        return Payload(stamp, seq, metrics)

    def decode_many(self, block: npt.NDArray[np.uint8]) -> Scans:
        """Decode many payloads of this size at once, one per row of ``block``.

        Rows with another structure are left out; :attr:`Scans.ok` says which were read.
        Only for layouts with :attr:`bulk`.
        """
        ok = ((block & self._mask_row) == self._expect_row).all(axis=1)
        good = block if ok.all() else np.ascontiguousarray(block[ok])
        n, k = len(good), len(self)
        if not n:
            empty = np.zeros((0, k))
            return Scans(ok, [], [], np.zeros(0, np.int64), empty, None)
        if self._uneven:  # short varints' index rows point one past the end: a zero there
            good = np.concatenate([good, np.zeros((n, 1), np.uint8)], axis=1)
        number = self._many_numbers(good, n, k)
        integer = None
        if self._ints is not None:
            integer = np.zeros((n, k), np.uint64)
            integer[:, self._ints.rows] = _varints_3d(good[:, self._ints.index])
            if self._has_bools:
                number[:, self._bools] = (integer[:, self._bools] != 0).astype(np.float64)
                integer[:, self._bools] = 0
        return Scans(
            ok,
            _column(good, self._seq),
            _column(good, self._timestamp),
            self._many_times(good, n, k),
            number,
            integer,
        )

    def _many_times(self, good: npt.NDArray[np.uint8], n: int, k: int) -> npt.NDArray[np.int64]:
        times = self._times
        if times is None:
            return np.full(n, -1, np.int64)
        raw = good[:, times.index]  # (n, metrics with a time, varint width)
        if times.everyone and (raw == raw[:, :1, :]).all():
            return _varints_3d(raw[:, :1, :]).view(np.int64).reshape(n)  # one time per scan
        out = np.full((n, k), -1, np.int64)
        out[:, times.rows] = _varints_3d(raw).view(np.int64)
        return out

    def _many_numbers(self, good: npt.NDArray[np.uint8], n: int, k: int) -> npt.NDArray[np.float64]:
        out = np.full((n, k), np.nan)
        for gather, dtype in ((self._doubles, "<f8"), (self._floats, "<f4")):
            if gather is None:
                continue
            if gather.strided is not None:
                offset, stride = gather.strided
                shape, strides = (n, len(gather.rows)), (good.shape[1], stride)
                values: Any = np.ndarray(shape, dtype, good, offset, strides)
            else:
                values = np.ascontiguousarray(good[:, gather.index]).view(dtype).reshape(n, -1)
            out[:, gather.rows] = values
        return out

    def render(
        self,
        template: bytes,
        *,
        seq: int | None = None,
        timestamp_ms: int | None = None,
        metric_ms: int | npt.NDArray[np.int64] | None = None,
        numbers: npt.NDArray[np.float64] | None = None,
    ) -> bytes:
        """``template``, a payload of this layout, with new values written in place: the
        encoding side of the fast path (a publisher of repeating scans, the benchmark).

        Varints keep their byte length (shorter values are padded, which protobuf allows);
        a value too large for its place raises ``ValueError``: encode the template with
        ``seq`` 255 and timestamps of today's size. ``numbers`` gives the float
        and double metrics' values by metric row.
        """
        out = bytearray(template)
        out.append(0)  # the sentinel that padded index rows point at
        buf = np.frombuffer(out, np.uint8)
        for span, value in ((self._seq, seq), (self._timestamp, timestamp_ms)):
            if value is not None and span is not None:
                buf[span[0] : span[0] + span[1]] = _padded_varint(value, span[1])
        if metric_ms is not None and self._times is not None:
            _write_varints(buf, self._times, metric_ms)
        if numbers is not None:
            for gather, dtype in ((self._doubles, "<f8"), (self._floats, "<f4")):
                if gather is not None:
                    raw = numbers[gather.rows].astype(dtype).view(np.uint8)
                    buf[gather.index] = raw.reshape(gather.index.shape)
        return bytes(out[:-1])

    def __len__(self) -> int:
        return len(self.identity.alias)

    def _timestamps(
        self, data: bytes, x: int, padded: npt.NDArray[np.uint8] | None, k: int
    ) -> npt.NDArray[np.int64] | int:
        times = self._times
        if times is None:
            return np.full(k, -1, np.int64)
        if self._same_time is not None:
            shared = self._same_time.read(data, x)
            if shared is not None:
                return shared
        values = _varints(times.raw(data, padded)).view(np.int64)
        if times.everyone:
            return values
        out = np.full(k, -1, np.int64)
        out[times.rows] = values
        return out

    def _numbers(
        self, data: bytes, padded: npt.NDArray[np.uint8] | None, k: int
    ) -> npt.NDArray[np.float64]:
        doubles, floats = self._doubles, self._floats
        if doubles is not None and doubles.everyone and not self._has_bools:
            values: npt.NDArray[np.float64] = doubles.numbers(data, padded, "<f8")
            return values  # a read-only view of the payload: nothing writes to it
        out = np.full(k, np.nan)
        if doubles is not None:
            out[doubles.rows] = doubles.numbers(data, padded, "<f8")
        if floats is not None:
            out[floats.rows] = floats.numbers(data, padded, "<f4")
        return out


def _values(
    metrics: list[WalkedMetric], fields: tuple[int, ...]
) -> list[tuple[int, tuple[int, int]]]:
    return [(i, m.value) for i, m in enumerate(metrics) if m.value_field in fields and m.value]


def _identity(metrics: list[WalkedMetric]) -> Metrics:
    """The per-metric attributes that the structure fixes (values left empty)."""
    k = len(metrics)
    names = tuple(m.name for m in metrics)
    return Metrics(
        names=names if any(names) else None,
        alias=np.array([m.alias or 0 for m in metrics], np.uint64),
        has_alias=np.array([m.alias is not None for m in metrics], bool),
        timestamps=np.full(k, -1, np.int64),
        datatype=np.array([m.datatype for m in metrics], np.uint8),
        field=np.array([m.value_field for m in metrics], np.uint8),
        is_null=np.array([m.is_null for m in metrics], bool),
        number=np.full(k, np.nan),
        integer=np.zeros(k, np.uint64),
        text={},
    )


def learn(data: bytes) -> Layout | None:
    """The layout of ``data``, or None when it has parts the layout model does not cover."""
    walker = Walker(data)
    try:
        walker.payload()
    except UnusualError:
        return None
    if not walker.metrics:
        return None
    return Layout(walker)
