"""Walking one Sparkplug payload's protobuf bytes to learn its layout.

:class:`Walker` reads a payload field by field, as protobuf parses it, and records which
bytes are **structural** (field keys, aliases, datatypes, flags, length prefixes: they must
match exactly) and which varints hold **values** (only their continuation bits must match,
so that each keeps its length), and where each value lies. It models the fields that
data messages use; anything else (properties, metadata, datasets, templates, bytes,
repeated or unknown fields) raises :class:`UnusualError`, and such payloads go the full
way through :func:`shopfloor.connect.sparkplug.codec.decode`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_PAYLOAD_FIELDS = {1: 0, 2: 2, 3: 0, 4: 2}  # field number -> wire type we model
# field number -> wire type: name, alias, timestamp, datatype, flags, the scalar values
_METRIC_FIELDS = {
    **{1: 2, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0},
    **{10: 0, 11: 0, 12: 5, 13: 1, 14: 0, 15: 2},
}


class UnusualError(Exception):
    """The payload has something the layout model does not cover."""


@dataclass
class WalkedMetric:
    """One metric as the walker found it: its identity and where its values are."""

    name: str = ""
    alias: int | None = None
    datatype: int = 0
    is_null: bool = False
    value_field: int = 0
    timestamp: tuple[int, int] | None = None  # (start, length) of the varint
    value: tuple[int, int] | None = None  # (start, length) of the value bytes
    seen: set[int] = field(default_factory=set)


class Walker:
    """Reads one payload, recording structural bytes and where values are."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.exact: list[int] = []
        self.msb: list[int] = []
        self.metrics: list[WalkedMetric] = []
        self.timestamp: tuple[int, int] | None = None
        self.seq: tuple[int, int] | None = None

    def varint(self, pos: int, end: int) -> tuple[int, int]:
        value, shift, start = 0, 0, pos
        while True:
            if pos >= end or pos - start >= 10:
                raise UnusualError
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
                raise UnusualError
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
            raise UnusualError

    def metric(self, pos: int, end: int) -> None:
        if end > len(self.data):
            raise UnusualError
        m = WalkedMetric()
        while pos < end:
            key, pos = self.structural(pos, end)
            number, wire = key >> 3, key & 7
            if _METRIC_FIELDS.get(number) != wire or number in m.seen:
                raise UnusualError
            m.seen.add(number)
            pos = self.metric_field(m, number, pos, end)
        if pos != end or len(m.seen & set(range(10, 20))) > 1:
            raise UnusualError
        self.metrics.append(m)

    def metric_field(self, m: WalkedMetric, number: int, pos: int, end: int) -> int:
        if number == 1 or number == 15:
            size, pos = self.structural(pos, end)
            if pos + size > end:
                raise UnusualError
            if number == 1:
                self.exact.extend(range(pos, pos + size))
                try:
                    m.name = self.data[pos : pos + size].decode()
                except UnicodeDecodeError:
                    raise UnusualError from None
            else:
                m.value_field, m.value = number, (pos, size)
            return pos + size
        if number in (12, 13):
            width = 4 if number == 12 else 8
            if pos + width > end:
                raise UnusualError
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
