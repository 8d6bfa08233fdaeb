"""Sparkplug B payloads to columns and back.

:func:`decode` reads any payload with the protobuf runtime (the module generated from the
published schema, kept apart in ``_generated/``) and returns its metrics column by column
(:class:`Metrics`). It is complete but walks the metrics in Python; data messages take the
fast path of :mod:`shopfloor.connect.sparkplug.wire` instead, which learns each payload's
byte layout once and then decodes whole messages with a handful of numpy operations.

The encoders (:func:`encode`, :func:`rebirth_request`) serve the edge node of the twin and
the tests; they are not on a hot path.

Integers travel the Sparkplug way: ``Int8`` to ``UInt32`` in ``int_value`` (uint32),
``Int64``, ``UInt64`` and ``DateTime`` in ``long_value`` (uint64), signed types in two's
complement. Decoding reinterprets the low bits by the metric's datatype, so both the 32-bit
and the narrow two's complement forms read back right.

>>> data = encode([OutMetric("temp", 1, DataType.DOUBLE, 21.5, timestamp_ms=5)], seq=3)
>>> p = decode(data)
>>> p.seq, p.metrics.names, p.metrics.number.tolist(), p.metrics.timestamp_ms.tolist()
(3, ('temp',), [21.5], [5])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from shopfloor.connect.sparkplug._generated import sparkplug_b_pb2 as _pb

UInt64s = npt.NDArray[np.uint64]
Int64s = npt.NDArray[np.int64]
Float64s = npt.NDArray[np.float64]
UInt8s = npt.NDArray[np.uint8]
Bools = npt.NDArray[np.bool_]

_PB: Any = _pb  # generated code is untyped; keep Any at this one boundary


class PayloadError(ValueError):
    """A payload is not a Sparkplug B protobuf message."""


class DataType(IntEnum):
    """Sparkplug B metric datatypes (specification 3.0, 6.4.16)."""

    UNKNOWN = 0
    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BOOLEAN = 11
    STRING = 12
    DATETIME = 13
    TEXT = 14
    UUID = 15
    DATASET = 16
    BYTES = 17
    FILE = 18
    TEMPLATE = 19


NUMERIC_TYPES = frozenset(range(1, 12)) | {DataType.DATETIME}
"""Datatypes that become numeric samples (booleans as 0 and 1, DateTime as epoch ms)."""
TEXT_TYPES = frozenset({DataType.STRING, DataType.TEXT, DataType.UUID})
"""Datatypes that become text samples."""


class ValueField(IntEnum):
    """Which member of the ``value`` oneof a metric carries (its protobuf field number)."""

    NONE = 0
    INT = 10
    LONG = 11
    FLOAT = 12
    DOUBLE = 13
    BOOLEAN = 14
    STRING = 15
    BYTES = 16
    DATASET = 17
    TEMPLATE = 18
    EXTENSION = 19


_FIELD_OF_NAME = {f.name.lower() + "_value": f for f in ValueField if f is not ValueField.NONE}


@dataclass(frozen=True, eq=False)
class Metrics:
    """The metrics of one payload, one numpy column per attribute.

    ``names`` is None when no metric has a name (data messages use aliases); absent
    attributes read as 0 (``alias``, ``datatype``, ``field``) or -1 (timestamps).
    ``timestamps`` is a column, or one int when every metric has that timestamp (a scan
    cycle; the fast path finds this without building a column).
    ``number`` holds float, double and boolean values (NaN elsewhere), ``integer`` the raw
    bits of int and long values, ``text`` the string values by row.
    """

    names: tuple[str, ...] | None
    alias: UInt64s
    has_alias: Bools
    timestamps: Int64s | int
    datatype: UInt8s
    field: UInt8s
    is_null: Bools
    number: Float64s
    integer: UInt64s
    text: dict[int, str]

    def __len__(self) -> int:
        return len(self.alias)

    @cached_property
    def timestamp_ms(self) -> Int64s:
        """Each metric's timestamp in ms, -1 where it has none."""
        stamps = self.timestamps
        return np.full(len(self), stamps, np.int64) if isinstance(stamps, int) else stamps


@dataclass(frozen=True, eq=False)
class Payload:
    """A decoded payload: its timestamp and sequence number (when present) and metrics."""

    timestamp_ms: int | None
    seq: int | None
    metrics: Metrics

    def value(self, name: str) -> float | str | None:
        """The value of the metric called ``name`` (convenience for births and commands)."""
        m = self.metrics
        if m.names is None or name not in m.names:
            return None
        i = m.names.index(name)
        if i in m.text:
            return m.text[i]
        if m.field[i] in (ValueField.INT, ValueField.LONG):
            return float(integers_as_numbers(m.integer[i : i + 1], m.datatype[i : i + 1])[0])
        return float(m.number[i])


def decode(data: bytes) -> Payload:
    """Decode a payload completely; raises :class:`PayloadError` if it is not Sparkplug B."""
    try:
        message = _PB.Payload.FromString(data)
    except Exception as exc:  # DecodeError and whatever else the runtime raises for garbage
        raise PayloadError(f"not a Sparkplug B payload: {exc}") from None
    rows = [_row(m) for m in message.metrics]
    columns = list(zip(*rows, strict=True)) if rows else [()] * 10
    names, alias, has_alias, ts, dtype, field, null, number, integer, text = columns
    return Payload(
        int(message.timestamp) if message.HasField("timestamp") else None,
        int(message.seq) if message.HasField("seq") else None,
        Metrics(
            names=tuple(names) if any(names) else None,
            alias=np.array(alias, np.uint64),
            has_alias=np.array(has_alias, bool),
            timestamps=np.array(ts, np.int64),
            datatype=np.array(dtype, np.uint8),
            field=np.array(field, np.uint8),
            is_null=np.array(null, bool),
            number=np.array(number, np.float64),
            integer=np.array(integer, np.uint64),
            text={i: t for i, t in enumerate(text) if t is not None},
        ),
    )


def _row(m: Any) -> tuple[Any, ...]:
    kind = m.WhichOneof("value")
    field = _FIELD_OF_NAME.get(kind, ValueField.NONE) if kind else ValueField.NONE
    number = float("nan")
    integer = 0
    text = None
    if field in (ValueField.FLOAT, ValueField.DOUBLE, ValueField.BOOLEAN):
        number = float(getattr(m, kind))
    elif field in (ValueField.INT, ValueField.LONG):
        integer = int(getattr(m, kind))
    elif field is ValueField.STRING:
        text = m.string_value
        if isinstance(text, bytes):  # proto2 lets a string field hold invalid UTF-8
            text = text.decode("utf-8", "replace")
    return (
        m.name,
        m.alias,
        m.HasField("alias"),
        m.timestamp if m.HasField("timestamp") else -1,
        min(m.datatype, 255),
        int(field),
        m.is_null,
        number,
        integer,
        text,
    )


_SIGNED = {DataType.INT8: np.int8, DataType.INT16: np.int16, DataType.INT32: np.int32}
_UNSIGNED = {DataType.UINT8: np.uint8, DataType.UINT16: np.uint16, DataType.UINT32: np.uint32}


def integers_as_numbers(raw: UInt64s, datatype: UInt8s) -> Float64s:
    """The float64 values of raw ``int_value``/``long_value`` bits by datatype."""
    out = raw.astype(np.float64)
    for dt in np.unique(datatype).tolist():
        if dt == DataType.INT64:
            sel = datatype == dt
            out[sel] = raw[sel].view(np.int64)
        elif dt in _SIGNED or dt in _UNSIGNED:
            sel = datatype == dt
            narrow = _SIGNED.get(dt) or _UNSIGNED[dt]
            out[sel] = raw[sel].astype(narrow)
    return out


# -- encoding (edge node, tests) -------------------------------------------------------------


@dataclass(frozen=True)
class OutMetric:
    """A metric to encode: ``name`` and/or ``alias``, datatype, value and timestamp."""

    name: str | None
    alias: int | None
    datatype: DataType
    value: float | int | bool | str | None
    timestamp_ms: int | None = None


def encode(
    metrics: Iterable[OutMetric],
    *,
    seq: int | None = None,
    timestamp_ms: int | None = None,
    with_datatype: bool = True,
) -> bytes:
    """A Sparkplug B payload. Data messages leave the datatype out (``with_datatype=False``),
    as the specification recommends: the birth said it already."""
    message = _PB.Payload()
    if timestamp_ms is not None:
        message.timestamp = timestamp_ms
    if seq is not None:
        message.seq = seq
    for metric in metrics:
        _fill(message.metrics.add(), metric, with_datatype)
    data: bytes = message.SerializeToString()
    return data


def _fill(m: Any, metric: OutMetric, with_datatype: bool) -> None:
    if metric.name is not None:
        m.name = metric.name
    if metric.alias is not None:
        m.alias = metric.alias
    if metric.timestamp_ms is not None:
        m.timestamp = metric.timestamp_ms
    if with_datatype:
        m.datatype = int(metric.datatype)
    value, dt = metric.value, metric.datatype
    if value is None or (isinstance(value, float) and value != value and dt not in _FLOATS):
        m.is_null = True
    elif dt in _FLOATS:
        setattr(m, "float_value" if dt is DataType.FLOAT else "double_value", float(value))
    elif dt is DataType.BOOLEAN:
        m.boolean_value = bool(value)
    elif dt in TEXT_TYPES:
        m.string_value = str(value)
    elif dt in (DataType.INT64, DataType.UINT64, DataType.DATETIME):
        m.long_value = int(value) & 0xFFFF_FFFF_FFFF_FFFF
    elif dt in NUMERIC_TYPES:
        m.int_value = int(value) & 0xFFFF_FFFF
    else:
        raise ValueError(f"cannot encode a {dt.name} metric")


_FLOATS = (DataType.FLOAT, DataType.DOUBLE)

REBIRTH = "Node Control/Rebirth"
BD_SEQ = "bdSeq"


def rebirth_request(timestamp_ms: int) -> bytes:
    """The NCMD payload that asks an edge node to publish its births again."""
    return encode([OutMetric(REBIRTH, None, DataType.BOOLEAN, True)], timestamp_ms=timestamp_ms)
