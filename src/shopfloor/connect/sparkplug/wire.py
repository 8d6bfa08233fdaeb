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
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from shopfloor.connect.sparkplug.codec import Metrics, Payload, ValueField

Index = npt.NDArray[np.intp]
_WEIGHTS = np.array([1 << (7 * i) for i in range(9)] + [-(1 << 63)], np.int64)
_PAYLOAD_FIELDS = {1: 0, 2: 2, 3: 0, 4: 2}  # field number -> wire type we model
# field number -> wire type: name, alias, timestamp, datatype, flags, the scalar values
_METRIC_FIELDS = {
    **{1: 2, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0},
    **{10: 0, 11: 0, 12: 5, 13: 1, 14: 0, 15: 2},
}


class _UnusualError(Exception):
    """The payload has something the layout model does not cover."""


@dataclass
class _Metric:
    name: str = ""
    alias: int | None = None
    datatype: int = 0
    is_null: bool = False
    value_field: int = 0
    timestamp: tuple[int, int] | None = None  # (start, length) of the varint
    value: tuple[int, int] | None = None  # (start, length) of the value bytes
    seen: set[int] = field(default_factory=set)


class _Walker:
    """Reads one payload, recording structural bytes and where values are."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.exact: list[int] = []
        self.msb: list[int] = []
        self.metrics: list[_Metric] = []
        self.timestamp: tuple[int, int] | None = None
        self.seq: tuple[int, int] | None = None

    def varint(self, pos: int, end: int) -> tuple[int, int]:
        value, shift, start = 0, 0, pos
        while True:
            if pos >= end or pos - start >= 10:
                raise _UnusualError
            byte = self.data[pos]
            value |= (byte & 0x7F) << shift
            shift += 7
            pos += 1
            if not byte & 0x80:
                return value, pos

    def structural(self, pos: int, end: int) -> tuple[int, int]:
        value, after = self.varint(pos, end)
        self.exact.extend(range(pos, after))
        return value, after

    def value_varint(self, pos: int, end: int) -> tuple[tuple[int, int], int]:
        _, after = self.varint(pos, end)
        self.msb.extend(range(pos, after))
        return (pos, after - pos), after

    def payload(self) -> None:
        pos, end, seen = 0, len(self.data), set()
        while pos < end:
            key, pos = self.structural(pos, end)
            number, wire = key >> 3, key & 7
            if _PAYLOAD_FIELDS.get(number) != wire or (number != 2 and number in seen):
                raise _UnusualError
            seen.add(number)
            if number == 2:
                size, pos = self.structural(pos, end)
                self.metric(pos, pos + size)
                pos += size
            elif number == 4:
                size, pos = self.structural(pos, end)
                self.exact.extend(range(pos, pos + size))
                pos += size
            elif number == 1:
                self.timestamp, pos = self.value_varint(pos, end)
            else:
                self.seq, pos = self.value_varint(pos, end)
        if pos != end:
            raise _UnusualError

    def metric(self, pos: int, end: int) -> None:
        if end > len(self.data):
            raise _UnusualError
        m = _Metric()
        while pos < end:
            key, pos = self.structural(pos, end)
            number, wire = key >> 3, key & 7
            if _METRIC_FIELDS.get(number) != wire or number in m.seen:
                raise _UnusualError
            m.seen.add(number)
            pos = self.metric_field(m, number, pos, end)
        if pos != end or len(m.seen & set(range(10, 20))) > 1:
            raise _UnusualError
        self.metrics.append(m)

    def metric_field(self, m: _Metric, number: int, pos: int, end: int) -> int:
        if number == 1 or number == 15:
            size, pos = self.structural(pos, end)
            if pos + size > end:
                raise _UnusualError
            if number == 1:
                self.exact.extend(range(pos, pos + size))
                try:
                    m.name = self.data[pos : pos + size].decode()
                except UnicodeDecodeError:
                    raise _UnusualError from None
            else:
                m.value_field, m.value = number, (pos, size)
            return pos + size
        if number in (12, 13):
            width = 4 if number == 12 else 8
            if pos + width > end:
                raise _UnusualError
            m.value_field, m.value = number, (pos, width)
            return pos + width
        if number in (10, 11, 14):
            m.value, pos = self.value_varint(pos, end)
            m.value_field = number
            return pos
        if number == 3:
            m.timestamp, pos = self.value_varint(pos, end)
            return pos
        value, pos = self.structural(pos, end)
        if number == 2:
            m.alias = value
        elif number == 4:
            m.datatype = min(value, 255)
        elif number == 7:
            m.is_null = bool(value)
        return pos


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


def _varints(buf: npt.NDArray[np.uint8], index: Index) -> npt.NDArray[np.uint64]:
    """Decode the varints whose bytes ``index`` names (one row each), all at once."""
    groups = buf[index]
    if len(groups) > 1 and (groups == groups[0]).all():
        # One scan cycle: every metric has the same timestamp; decode it once.
        return np.full(len(groups), _varint_of(groups[0]), np.uint64)
    # int64 arithmetic wraps modulo 2**64, so even 10-byte varints come out right.
    weights = _WEIGHTS[: index.shape[1]]
    result: npt.NDArray[np.uint64] = ((groups & np.uint8(0x7F)).astype(np.int64) @ weights).view(
        np.uint64
    )
    return result


def _varint_of(raw: npt.NDArray[np.uint8]) -> int:
    return sum((int(b) & 0x7F) << (7 * i) for i, b in enumerate(raw.tolist()))


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
    if isinstance(values, int | np.integer) and (lengths == lengths[0]).all():
        buf[index] = np.array(_padded_varint(int(values), int(lengths[0])), np.uint8)
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
    return sum((data[start + i] & 0x7F) << (7 * i) for i in range(length))


@dataclass(frozen=True, eq=False)
class _Gather:
    """Rows of the metrics table and the byte index that reads their values."""

    rows: Index
    index: Index
    everyone: bool
    lengths: Index  # bytes of each row (varints; fixed-width values: the width)


def _gather(rows: list[int], total: int, index: Index, sentinel: int) -> _Gather:
    lengths = (index != sentinel).sum(axis=1)
    return _Gather(np.array(rows, np.intp), index, len(rows) == total, lengths)


class Layout:
    """The byte layout of one payload shape; decodes payloads of that shape fast."""

    def __init__(self, walker: _Walker) -> None:
        data, metrics = walker.data, walker.metrics
        self.size = len(data)
        positions = np.array(walker.exact + walker.msb, np.intp)
        raw = np.frombuffer(data, np.uint8)
        self._check_at = positions
        self._check_mask = np.concatenate(
            [np.full(len(walker.exact), 0xFF, np.uint8), np.full(len(walker.msb), 0x80, np.uint8)]
        )
        self._check_value = raw[positions] & self._check_mask
        self._timestamp, self._seq = walker.timestamp, walker.seq
        self.identity = _identity(metrics)
        self._times = self._varint_gather([(i, m.timestamp) for i, m in enumerate(metrics)])
        self._ints = self._varint_gather(_values(metrics, (10, 11, 14)))
        self._doubles = self._fixed_gather(_values(metrics, (13,)), 8)
        self._floats = self._fixed_gather(_values(metrics, (12,)), 4)
        self._strings = _values(metrics, (15,))
        self._bools = np.array([m.value_field == ValueField.BOOLEAN for m in metrics], bool)

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

    def matches(self, buf: npt.NDArray[np.uint8]) -> bool:
        """Whether ``buf`` (the payload plus one zero byte) has exactly this structure."""
        if len(buf) != self.size + 1:
            return False
        return bool(((buf[self._check_at] & self._check_mask) == self._check_value).all())

    def decode(self, data: bytes) -> Payload | None:
        """The payload read by this layout, or None when ``data`` has another structure."""
        buf = np.frombuffer(data + b"\x00", np.uint8)
        if not self.matches(buf):
            return None
        ident, k = self.identity, len(self.identity.alias)
        number = self._numbers(buf, k)
        integer = np.zeros(k, np.uint64)
        if self._ints is not None:
            integer[self._ints.rows] = _varints(buf, self._ints.index)
            if self._bools.any():
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
            timestamp_ms=self._timestamps(buf, k),
            datatype=ident.datatype,
            field=ident.field,
            is_null=ident.is_null,
            number=number,
            integer=integer,
            text=text,
        )
        stamp, seq = _small_varint(data, self._timestamp), _small_varint(data, self._seq)
        return Payload(stamp, seq, metrics)

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

    def _timestamps(self, buf: npt.NDArray[np.uint8], k: int) -> npt.NDArray[np.int64]:
        times = self._times
        if times is None:
            return np.full(k, -1, np.int64)
        values = _varints(buf, times.index).view(np.int64)
        if times.everyone:
            return values
        out = np.full(k, -1, np.int64)
        out[times.rows] = values
        return out

    def _numbers(self, buf: npt.NDArray[np.uint8], k: int) -> npt.NDArray[np.float64]:
        doubles, floats = self._doubles, self._floats
        if doubles is not None and doubles.everyone:
            return buf[doubles.index].view(np.float64).reshape(k)
        out = np.full(k, np.nan)
        if doubles is not None:
            out[doubles.rows] = buf[doubles.index].view(np.float64).reshape(-1)
        if floats is not None:
            out[floats.rows] = buf[floats.index].view(np.float32).reshape(-1)
        return out


def _values(metrics: list[_Metric], fields: tuple[int, ...]) -> list[tuple[int, tuple[int, int]]]:
    return [(i, m.value) for i, m in enumerate(metrics) if m.value_field in fields and m.value]


def _identity(metrics: list[_Metric]) -> Metrics:
    """The per-metric attributes that the structure fixes (values left empty)."""
    k = len(metrics)
    names = tuple(m.name for m in metrics)
    return Metrics(
        names=names if any(names) else None,
        alias=np.array([m.alias or 0 for m in metrics], np.uint64),
        has_alias=np.array([m.alias is not None for m in metrics], bool),
        timestamp_ms=np.full(k, -1, np.int64),
        datatype=np.array([m.datatype for m in metrics], np.uint8),
        field=np.array([m.value_field for m in metrics], np.uint8),
        is_null=np.array([m.is_null for m in metrics], bool),
        number=np.full(k, np.nan),
        integer=np.zeros(k, np.uint64),
        text={},
    )


def learn(data: bytes) -> Layout | None:
    """The layout of ``data``, or None when it has parts the layout model does not cover."""
    walker = _Walker(data)
    try:
        walker.payload()
    except _UnusualError:
        return None
    if not walker.metrics:
        return None
    return Layout(walker)
