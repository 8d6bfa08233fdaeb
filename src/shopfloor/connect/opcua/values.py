"""OPC UA data values and shopfloor samples, both ways.

A data value carries a value, a status code and two timestamps. shopfloor keeps all three:

* **status**: the 32-bit OPC UA status code is stored unchanged as the sample's ``status``;
  its two top bits give the quality (good, uncertain, bad), as in
  :mod:`shopfloor.model.quality`, so a reader still sees *why* a value is bad;
* **time**: the source timestamp (when the device measured the value), else the server
  timestamp, else the time the notification was received;
* **value**: Boolean and numeric values become float64 samples (integers beyond 2**53 are
  refused, float64 could not hold them exactly); String and LocalizedText values become text
  samples; a missing value (common with bad status) becomes NaN or empty text. Anything else
  (arrays, structures, byte strings) is refused and goes to the dead letters.

Python's ``datetime`` holds microseconds, so source timestamps keep microsecond precision
(OPC UA itself has 100 ns).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from asyncua import ua

from shopfloor.model.batch import EXACT_INT_LIMIT, SampleBatch, TextBatch
from shopfloor.model.quality import Quality, StatusCode, quality_of

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# OPC UA encodes "no time" as 1601-01-01 (DateTime 0); anything before 1970 is no real time.
_NO_TIME_BEFORE = _EPOCH
_SHOWN_CHARS = 4096  # of a refused value's repr kept as the dead letter's payload


def ns_of(time: dt.datetime) -> int:
    """Nanoseconds since the Unix epoch of a datetime (naive ones are UTC), exactly."""
    if time.tzinfo is None:
        time = time.replace(tzinfo=dt.UTC)
    delta = time - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def datetime_of(ns: int) -> ua.DateTime:
    """The UTC datetime of nanoseconds since the epoch (truncated to microseconds)."""
    # ua.DateTime only marks the field type for the encoder; any datetime is one.
    return cast(ua.DateTime, _EPOCH + dt.timedelta(microseconds=ns // 1_000))


def _now() -> ua.DateTime:
    return cast(ua.DateTime, dt.datetime.now(dt.UTC))


def _status(code: int) -> ua.StatusCode:
    return ua.StatusCode(cast(ua.UInt32, code))


def _usable(time: dt.datetime | None) -> bool:
    if time is None:
        return False
    aware = time if time.tzinfo is not None else time.replace(tzinfo=dt.UTC)
    return aware > _NO_TIME_BEFORE


def source_ns(value: ua.DataValue, receive_ns: int) -> int:
    """The sample time of a data value: source, else server, else receive time."""
    if _usable(value.SourceTimestamp):
        return ns_of(value.SourceTimestamp)  # type: ignore[arg-type]
    if _usable(value.ServerTimestamp):
        return ns_of(value.ServerTimestamp)  # type: ignore[arg-type]
    return receive_ns


def status_of(value: ua.DataValue) -> int:
    """The data value's status code as an unsigned 32-bit integer (absent means Good)."""
    return 0 if value.StatusCode is None else int(value.StatusCode.value)


class UnsupportedValueError(ValueError):
    """A value that no sample column can hold."""


def as_number(value: Any) -> float:
    """A Boolean or numeric OPC UA value as float64; :class:`UnsupportedValueError` otherwise."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        if abs(value) > EXACT_INT_LIMIT:
            raise UnsupportedValueError(f"integer {value} is beyond 2**53, float64 would change it")
        return float(value)
    if isinstance(value, float):
        return value
    raise UnsupportedValueError(f"{type(value).__name__} values are not supported")


def as_text(value: Any) -> str | None:
    """The text of a String or LocalizedText value, or None if ``value`` is not text."""
    if isinstance(value, str):
        return value
    if isinstance(value, ua.LocalizedText):
        return value.Text or ""
    return None


@dataclass(frozen=True)
class Point:
    """A followed node: its id, the tag path its values go to, and whether it holds text."""

    node_id: ua.NodeId
    path: str
    text: bool = False


class _Columns:
    """Growing columns of one kind of sample over a dictionary of paths."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self.index = {p: i for i, p in enumerate(paths)}
        self._frozen: tuple[str, ...] = ()
        self._clear()

    def _clear(self) -> None:
        self.tag: list[int] = []
        self.source: list[int] = []
        self.receive: list[int] = []
        self.status: list[int] = []
        self.value: list[Any] = []

    def slot(self, path: str) -> int:
        found = self.index.get(path)
        if found is None:
            found = self.index[path] = len(self.paths)
            self.paths.append(path)
        return found

    def add(self, slot: int, source: int, receive: int, status: int, value: Any) -> None:
        self.tag.append(slot)
        self.source.append(source)
        self.receive.append(receive)
        self.status.append(status)
        self.value.append(value)

    def dictionary(self) -> tuple[str, ...]:
        # The same tuple batch after batch, so the bus and the historian can skip their
        # per-dictionary lookups (they compare dictionaries by identity first).
        if len(self._frozen) != len(self.paths):
            self._frozen = tuple(self.paths)
        return self._frozen

    def take(self) -> tuple[dict[str, Any], list[Any]] | None:
        """The columns but the value (as arrays) and the raw values; then start afresh."""
        if not self.tag:
            return None
        cols = {
            "paths": self.dictionary(),
            "tag": np.array(self.tag, np.int32),
            "source_ns": np.array(self.source, np.int64),
            "receive_ns": np.array(self.receive, np.int64),
            "status": np.array(self.status, np.uint32),
        }
        values = self.value
        self._clear()
        return cols, values


@dataclass(frozen=True)
class Refused:
    """A notification that could not become a sample, for the dead letters."""

    reason: str
    source: str
    payload: bytes


class Rows:
    """Data-change notifications gathered between two publishes, taken out as batches.

    ``handle`` is the index of a :class:`Point` in ``points``. Numeric and text samples keep
    one path dictionary each for the whole connection.
    """

    def __init__(self, points: Sequence[Point]) -> None:
        self.points = tuple(points)
        self._numeric = _Columns([p.path for p in points if not p.text])
        self._text = _Columns([p.path for p in points if p.text])
        self.refused: list[Refused] = []

    def __len__(self) -> int:
        return len(self._numeric.tag) + len(self._text.tag)

    def add(self, handle: int, value: Any, data: ua.DataValue, receive_ns: int) -> None:
        """One notification: ``value`` is the variant's Python value, ``data`` the data value."""
        point = self.points[handle]
        status = status_of(data)
        when = source_ns(data, receive_ns)
        text = as_text(value)
        if text is not None or (value is None and point.text):
            self._text.add(self._text.slot(point.path), when, receive_ns, status, text or "")
            return
        try:
            number = math.nan if value is None else as_number(value)
        except UnsupportedValueError as exc:
            shown = repr(value)[:_SHOWN_CHARS].encode()
            self.refused.append(Refused(str(exc), point.node_id.to_string(), shown))
            return
        self._numeric.add(self._numeric.slot(point.path), when, receive_ns, status, number)

    def take(self) -> tuple[SampleBatch | None, TextBatch | None, list[Refused]]:
        """Everything gathered since the last call, as batches, and what was refused."""
        refused, self.refused = self.refused, []
        return self._samples(), self._texts(), refused

    def _samples(self) -> SampleBatch | None:
        taken = self._numeric.take()
        if taken is None:
            return None
        cols, values = taken
        return SampleBatch(value=np.array(values, np.float64), **cols)

    def _texts(self) -> TextBatch | None:
        taken = self._text.take()
        if taken is None:
            return None
        cols, values = taken
        column = np.empty(len(values), dtype=object)
        column[:] = values
        return TextBatch(value=column, **cols)


# -- the server side: samples to data values --------------------------------------------

VARIANT_OF_TYPE = {
    "float": ua.VariantType.Double,
    "int": ua.VariantType.Int64,
    "bool": ua.VariantType.Boolean,
    "text": ua.VariantType.String,
}
"""The OPC UA type of a variable for each tag data type."""


def wire_value(value: float | str, variant: ua.VariantType) -> Any:
    """A sample value as the Python value of a variant of type ``variant``; None if absent."""
    if isinstance(value, str):
        return value if variant is ua.VariantType.String else None
    if math.isnan(value):
        return None
    if variant is ua.VariantType.Boolean:
        return value != 0.0
    if variant is ua.VariantType.Int64:
        return int(value)
    if variant is ua.VariantType.String:
        return repr(value)
    return float(value)


def data_value(
    value: float | str, variant: ua.VariantType, status: int, source_ns: int
) -> ua.DataValue:
    """The data value a server writes for one sample.

    An absent value, and any value of a bad sample, is a Null variant: OPC UA Part 4 (7.7.1)
    says a value with a bad status code is to be ignored.
    """
    plain = None if quality_of(status) is Quality.BAD else wire_value(value, variant)
    return ua.DataValue(
        Value=ua.Variant() if plain is None else ua.Variant(plain, variant),
        StatusCode=_status(int(status)),
        SourceTimestamp=datetime_of(source_ns),
        ServerTimestamp=_now(),
    )


def initial_value(since_ns: int | None = None) -> ua.DataValue:
    """What a variable holds before its first sample: no value, BadWaitingForInitialData.

    ``since_ns`` is the source time of that state (a simulation's start, say); without it
    the value carries only the server time.
    """
    return ua.DataValue(
        Value=ua.Variant(),
        StatusCode=_status(StatusCode.BAD_WAITING_FOR_INITIAL_DATA),
        SourceTimestamp=None if since_ns is None else datetime_of(since_ns),
        ServerTimestamp=_now(),
    )
