"""From decoded metrics to samples: what a birth declared, and how each payload shape maps.

An NBIRTH or DBIRTH declares the metrics of an edge node or device: names, aliases and
datatypes. :class:`MetricTable` keeps that declaration with each metric's tag, numbered in
the host's :class:`PathDictionary`. For every payload shape it builds a :class:`Plan` once
(which rows are numeric, which text, which tag each row is, how to read its value) and then
applies it to every payload of that shape with array operations. Data payloads take the
learned layouts of :mod:`~shopfloor.connect.sparkplug.wire` when their shape repeats.

Metrics that are not tags: ``bdSeq`` and the ``Node Control/*`` and ``Device Control/*``
commands. Datatypes without a sample representation (DataSet, Bytes, File, Template,
arrays) are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shopfloor.connect.sparkplug import wire
from shopfloor.connect.sparkplug.codec import (
    BD_SEQ,
    NUMERIC_TYPES,
    TEXT_TYPES,
    Metrics,
    Payload,
    ValueField,
    decode,
    integers_as_numbers,
)
from shopfloor.connect.sparkplug.mapping import AssetMapping
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.quality import StatusCode

Index = npt.NDArray[np.intp]
Int32s = npt.NDArray[np.int32]
UInt32s = npt.NDArray[np.uint32]
Stamps = npt.NDArray[np.int64] | int  # a column, or one time for every row
MAX_MS = 9_223_372_036_853  # the last millisecond whose nanoseconds fit in int64 (year 2262)
_NUMERIC, _TEXT, _SKIP = 0, 1, 2
_CONTROL = ("Node Control/", "Device Control/")
# Plain ints, not enum members: plans compare them once per metric.
_NONE, _STRING = int(ValueField.NONE), int(ValueField.STRING)
_FLOATING = frozenset(int(f) for f in (ValueField.FLOAT, ValueField.DOUBLE, ValueField.BOOLEAN))
_INTEGER = frozenset(int(f) for f in (ValueField.INT, ValueField.LONG))
_MAX_SIZES = 64  # payload sizes whose layouts a table keeps


class PathDictionary:
    """Paths numbered in the order first seen; :attr:`paths` is every batch's dictionary.

    Batches share one tuple until a birth adds a path, so the bus and the historian match
    and look up the dictionary once, not once per batch.
    """

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._paths: tuple[str, ...] = ()

    def index(self, path: str) -> int:
        """The number of ``path``, adding it when new."""
        found = self._index.get(path)
        if found is None:
            found = self._index[path] = len(self._index)
            self._paths = ()
        return found

    @property
    def paths(self) -> tuple[str, ...]:
        if len(self._paths) != len(self._index):
            self._paths = tuple(self._index)
        return self._paths

    def __len__(self) -> int:
        return len(self._index)


@dataclass(frozen=True, eq=False)
class Plan:
    """How the metrics of one payload shape become samples."""

    num_rows: Index
    num_tags: Int32s
    num_status: UInt32s
    int_rows: Index  # positions within num_rows whose value is an integer field
    int_types: npt.NDArray[np.uint8]
    null_rows: Index  # positions within num_rows without a usable value
    text_rows: Index
    text_tags: Int32s
    text_status: UInt32s
    unknown: int
    skipped: int
    direct: bool  # every row is a numeric float/double sample: values need no gathering

    @property
    def empty(self) -> bool:
        return not len(self.num_rows) and not len(self.text_rows)


class Rows:
    """Samples gathered from many messages, published as one batch of each kind."""

    def __init__(self) -> None:
        self.num: list[tuple[Int32s, Stamps, npt.NDArray[np.float64], UInt32s]] = []
        self.text: list[tuple[Int32s, npt.NDArray[np.int64], list[str], UInt32s]] = []
        self.count = 0

    def add(self, plan: Plan, payload: Payload, receive_ms: int) -> int:
        """The samples of ``payload`` by ``plan``; returns the newest time added (ms, or -1)."""
        m = payload.metrics
        fallback = payload.timestamp_ms
        if fallback is None or not 0 <= fallback <= MAX_MS:
            fallback = receive_ms
        newest = -1
        if len(plan.num_rows):
            values = _values(plan, m)
            stamps = m.timestamps if plan.direct else m.timestamp_ms[plan.num_rows]
            stamps = _sane(stamps, fallback)
            self.num.append((plan.num_tags, stamps, values, plan.num_status))
            self.count += len(values)
            newest = stamps if isinstance(stamps, int) else int(stamps.max())
        if len(plan.text_rows):
            texts = [m.text.get(int(r), "") for r in plan.text_rows]
            times = _sane(m.timestamp_ms[plan.text_rows], fallback)
            assert not isinstance(times, int)
            self.text.append((plan.text_tags, times, texts, plan.text_status))
            self.count += len(texts)
            newest = max(newest, int(times.max()))
        return newest

    def add_many(self, plan: Plan, scans: wire.Scans, receive_ms: int) -> int:
        """The samples of many payloads of one shape, decoded together (no text rows);
        returns the newest time added (ms, or -1)."""
        n, k = len(scans), len(plan.num_rows)
        if not n or not k:
            return -1
        if plan.direct:
            values = scans.number.reshape(-1)
        else:
            picked = scans.number[:, plan.num_rows]
            if len(plan.int_rows) and scans.integer is not None:
                raw = scans.integer[:, plan.num_rows[plan.int_rows]].reshape(-1)
                kinds = np.tile(plan.int_types, n)
                picked[:, plan.int_rows] = integers_as_numbers(raw, kinds).reshape(n, -1)
            if len(plan.null_rows):
                picked[:, plan.null_rows] = np.nan
            values = picked.reshape(-1)
        fallback = _fallbacks(scans.payload_ms, n, receive_ms)
        stamps = scans.stamps
        if stamps.ndim == 1:  # one time per scan
            stamps = np.repeat(_sane_many(stamps, fallback), k)
        else:
            stamps = _sane_many(stamps[:, plan.num_rows], fallback[:, None]).reshape(-1)
        tags, status = np.tile(plan.num_tags, n), np.tile(plan.num_status, n)
        self.num.append((tags, stamps, values, status))
        self.count += n * k
        return int(stamps.max())

    def mark(self) -> tuple[int, int, int]:
        """Where the gathered samples end now (see :meth:`undo`)."""
        return len(self.num), len(self.text), self.count

    def undo(self, mark: tuple[int, int, int]) -> None:
        """Drop what was added since ``mark``."""
        del self.num[mark[0] :], self.text[mark[1] :]
        self.count = mark[2]

    def take(
        self, numeric: tuple[str, ...], text: tuple[str, ...], receive_ns: int
    ) -> tuple[SampleBatch | None, TextBatch | None]:
        """The gathered samples as batches over the host's dictionaries; starts afresh."""
        num, txt = self.num, self.text
        self.num, self.text, self.count = [], [], 0
        return _numeric_batch(num, numeric, receive_ns), _text_batch(txt, text, receive_ns)


def _values(plan: Plan, m: Metrics) -> npt.NDArray[np.float64]:
    if plan.direct:
        return m.number
    values = m.number[plan.num_rows]
    if len(plan.int_rows):
        raw = m.integer[plan.num_rows[plan.int_rows]]
        values[plan.int_rows] = integers_as_numbers(raw, plan.int_types)
    if len(plan.null_rows):
        values[plan.null_rows] = np.nan
    return values


def _fallbacks(payload_ms: list[int] | None, n: int, receive_ms: int) -> npt.NDArray[np.int64]:
    """Each payload's own timestamp where sane, else the receive time."""
    if payload_ms is None:
        return np.full(n, receive_ms, np.int64)
    stamps = np.array(payload_ms, np.uint64)
    return np.where(stamps > MAX_MS, receive_ms, stamps).astype(np.int64)


def _sane_many(stamps: npt.NDArray[np.int64], fallback: npt.NDArray[np.int64]) -> Any:
    bad = stamps.view(np.uint64) > MAX_MS
    return np.where(bad, fallback, stamps) if bad.any() else stamps


def _sane(stamps: Stamps, fallback: int) -> Stamps:
    """Timestamps, with absent (-1) and impossible ones replaced by ``fallback``."""
    if isinstance(stamps, int):
        return stamps if 0 <= stamps <= MAX_MS else fallback
    bad = stamps.view(np.uint64) > MAX_MS
    if bad.any():
        return np.where(bad, fallback, stamps)
    return stamps


def _numeric_batch(
    parts: list[tuple[Int32s, Stamps, npt.NDArray[np.float64], UInt32s]],
    paths: tuple[str, ...],
    receive_ns: int,
) -> SampleBatch | None:
    if not parts:
        return None
    tag_parts, stamps, values, status = zip(*parts, strict=True)
    tags = np.concatenate(tag_parts)
    return SampleBatch(
        paths=paths,
        tag=tags,
        source_ns=_stamp_column(stamps, [len(v) for v in values]) * 1_000_000,
        receive_ns=np.full(len(tags), receive_ns, np.int64),
        status=np.concatenate(status),
        value=np.concatenate(values),
    )


def _stamp_column(stamps: Sequence[Stamps], counts: list[int]) -> npt.NDArray[np.int64]:
    """One column of the parts' timestamps; parts that share one time take one op in all."""
    if all(isinstance(s, int) for s in stamps):
        return np.repeat(np.array(stamps, np.int64), counts)
    return np.concatenate(
        [
            np.full(n, s, np.int64) if isinstance(s, int) else s
            for s, n in zip(stamps, counts, strict=True)
        ]
    )


def _text_batch(
    parts: list[tuple[Int32s, npt.NDArray[np.int64], list[str], UInt32s]],
    paths: tuple[str, ...],
    receive_ns: int,
) -> TextBatch | None:
    if not parts:
        return None
    texts = np.empty(sum(len(p[2]) for p in parts), dtype=object)
    texts[:] = [t for p in parts for t in p[2]]
    return TextBatch(
        paths=paths,
        tag=np.concatenate([p[0] for p in parts]),
        source_ns=np.concatenate([p[1] for p in parts]) * 1_000_000,
        receive_ns=np.full(len(texts), receive_ns, np.int64),
        status=np.concatenate([p[3] for p in parts]),
        value=texts,
    )


class MetricTable:
    """The metrics one birth declared, with their tags, and the plans of payload shapes."""

    def __init__(
        self,
        asset: str,
        birth: Metrics,
        mapping: AssetMapping,
        numeric: PathDictionary,
        text: PathDictionary,
    ) -> None:
        self.asset = asset
        names = birth.names or ("",) * len(birth)
        self._by_name: dict[str, int] = {}
        self._by_alias: dict[int, int] = {}
        kinds, tags, types = [], [], []
        for i, name in enumerate(names):
            kind, tag = _declare(name, int(birth.datatype[i]), asset, mapping, numeric, text)
            if name:
                self._by_name[name] = i
            if birth.has_alias[i]:
                self._by_alias[int(birth.alias[i])] = i
            kinds.append(kind)
            tags.append(tag)
            types.append(int(birth.datatype[i]))
        self._kind = kinds
        self._tag = tags
        self._type = types
        self.tags_numeric = {tags[i] for i, k in enumerate(kinds) if k == _NUMERIC}
        self.tags_text = {tags[i] for i, k in enumerate(kinds) if k == _TEXT}
        self._shapes: dict[int, list[tuple[wire.Layout, Plan]]] = {}
        self._sizes_seen: set[int] = set()

    def plan(self, m: Metrics, *, birth: bool = False) -> Plan:
        """How ``m``'s rows become samples (one Python pass; cached per payload shape).

        In a ``birth``, a null metric only declares itself: it gives no sample.
        """
        fields, nulls = m.field.tolist(), m.is_null.tolist()
        slots = self._slots(m)
        num: list[int] = []
        text: list[int] = []
        unknown = skipped = 0
        for i, slot in enumerate(slots):
            if slot is None:
                unknown += 1
            elif birth and nulls[i]:
                continue
            elif not _usable(self._kind[slot], fields[i], nulls[i]):
                skipped += 1
            else:
                (text if self._kind[slot] == _TEXT else num).append(i)
        return self._plan(m, slots, fields, nulls, num, text, unknown, skipped)

    def _slots(self, m: Metrics) -> list[int | None]:
        """The declared metric behind each row: by alias, else by name."""
        names = m.names or ("",) * len(m)
        by_alias, by_name = self._by_alias, self._by_name
        slots: list[int | None] = []
        for alias, has_alias, name in zip(
            m.alias.tolist(), m.has_alias.tolist(), names, strict=True
        ):
            slot = by_alias.get(alias) if has_alias else None
            if slot is None and name:
                slot = by_name.get(name)
            slots.append(slot)
        return slots

    def _plan(
        self,
        m: Metrics,
        slots: list[int | None],
        fields: list[int],
        nulls: list[bool],
        num: list[int],
        text: list[int],
        unknown: int,
        skipped: int,
    ) -> Plan:
        numeric = [slots[i] or 0 for i in num]  # known rows: never None here
        null = [j for j, i in enumerate(num) if nulls[i] or fields[i] == _NONE]
        ints = [j for j, i in enumerate(num) if fields[i] in _INTEGER and not nulls[i]]
        floating = all(fields[i] in _FLOATING for i in num) and not null
        return Plan(
            num_rows=np.array(num, np.intp),
            num_tags=np.array([self._tag[s] for s in numeric], np.int32),
            num_status=_status(len(num), null),
            int_rows=np.array(ints, np.intp),
            int_types=np.array([self._type[numeric[j]] for j in ints], np.uint8),
            null_rows=np.array(null, np.intp),
            text_rows=np.array(text, np.intp),
            text_tags=np.array([self._tag[slots[i] or 0] for i in text], np.int32),
            text_status=_status(len(text), [j for j, i in enumerate(text) if i not in m.text]),
            unknown=unknown,
            skipped=skipped,
            direct=floating and len(num) == len(m) and len(m) > 0,
        )

    def shape(self, size: int) -> tuple[wire.Layout, Plan] | None:
        """A learned layout of payloads of ``size`` that many can be decoded by at once."""
        for layout, plan in self._shapes.get(size, ()):
            if layout.bulk and not len(plan.text_rows):
                return layout, plan
        return None

    def decode(self, data: bytes) -> tuple[Payload, Plan]:
        """Decode a data payload of this node or device, by a learned layout when one fits.

        Raises :class:`~shopfloor.connect.sparkplug.codec.PayloadError` for bad payloads.
        """
        for layout, plan in self._shapes.get(len(data), ()):
            payload = layout.decode(data)
            if payload is not None:
                return payload, plan
        payload = decode(data)
        plan = self.plan(payload.metrics)
        self._learn(data, plan)
        return payload, plan

    def _learn(self, data: bytes, plan: Plan) -> None:
        # Learn a size the second time it comes: one-off sizes (messages with changing
        # strings) then cost nothing extra.
        size = len(data)
        if size not in self._sizes_seen:
            if len(self._sizes_seen) >= 4 * _MAX_SIZES:
                self._sizes_seen.clear()
            self._sizes_seen.add(size)
            return
        layout = wire.learn(data)
        if layout is None:
            return
        shapes = self._shapes.setdefault(size, [])
        shapes.insert(0, (layout, plan))
        del shapes[4:]
        if len(self._shapes) > _MAX_SIZES:
            del self._shapes[next(iter(self._shapes))]


def _declare(
    name: str,
    datatype: int,
    asset: str,
    mapping: AssetMapping,
    numeric: PathDictionary,
    text: PathDictionary,
) -> tuple[int, int]:
    if not name or name == BD_SEQ or name.startswith(_CONTROL):
        return _SKIP, -1
    if datatype in NUMERIC_TYPES:
        return _NUMERIC, numeric.index(mapping.metric_path(asset, name))
    if datatype in TEXT_TYPES:
        return _TEXT, text.index(mapping.metric_path(asset, name))
    return _SKIP, -1


def _usable(kind: int, field: int, null: bool) -> bool:
    if kind == _SKIP:
        return False
    if null or field == _NONE:
        return True
    return field == _STRING if kind == _TEXT else field in _FLOATING or field in _INTEGER


def _status(n: int, bad: Sequence[int]) -> UInt32s:
    status = np.zeros(n, np.uint32)
    status[list(bad)] = StatusCode.BAD
    return status
