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
MAX_MS = 9_223_372_036_853  # the last millisecond whose nanoseconds fit in int64 (year 2262)
_NUMERIC, _TEXT, _SKIP = 0, 1, 2
_CONTROL = ("Node Control/", "Device Control/")
_FLOATING = (ValueField.FLOAT, ValueField.DOUBLE, ValueField.BOOLEAN)
_INTEGER = (ValueField.INT, ValueField.LONG)
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
        self.num: list[tuple[Int32s, npt.NDArray[np.int64], npt.NDArray[np.float64], UInt32s]]
        self.num = []
        self.text: list[tuple[Int32s, npt.NDArray[np.int64], list[str], UInt32s]] = []
        self.count = 0

    def add(self, plan: Plan, payload: Payload, receive_ms: int) -> None:
        """The samples of ``payload`` by ``plan``."""
        m = payload.metrics
        fallback = payload.timestamp_ms
        if fallback is None or not 0 <= fallback <= MAX_MS:
            fallback = receive_ms
        if len(plan.num_rows):
            values = _values(plan, m)
            stamps = m.timestamp_ms if plan.direct else m.timestamp_ms[plan.num_rows]
            self.num.append((plan.num_tags, _sane(stamps, fallback), values, plan.num_status))
            self.count += len(values)
        if len(plan.text_rows):
            texts = [m.text.get(int(r), "") for r in plan.text_rows]
            stamps = _sane(m.timestamp_ms[plan.text_rows], fallback)
            self.text.append((plan.text_tags, stamps, texts, plan.text_status))
            self.count += len(texts)

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


def _sane(stamps: npt.NDArray[np.int64], fallback: int) -> npt.NDArray[np.int64]:
    """Timestamps, with absent (-1) and impossible ones replaced by ``fallback``."""
    bad = stamps.view(np.uint64) > MAX_MS
    if bad.any():
        return np.where(bad, fallback, stamps)
    return stamps


def _numeric_batch(
    parts: list[tuple[Int32s, npt.NDArray[np.int64], npt.NDArray[np.float64], UInt32s]],
    paths: tuple[str, ...],
    receive_ns: int,
) -> SampleBatch | None:
    if not parts:
        return None
    tags, stamps, values, status = (np.concatenate(col) for col in zip(*parts, strict=True))
    return SampleBatch(
        paths=paths,
        tag=tags,
        source_ns=stamps * 1_000_000,
        receive_ns=np.full(len(tags), receive_ns, np.int64),
        status=status,
        value=values,
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
        rows: dict[int, list[int]] = {_NUMERIC: [], _TEXT: []}
        unknown = skipped = 0
        for i in range(len(m)):
            slot = self._slot(m, i)
            if slot is None:
                unknown += 1
            elif birth and m.is_null[i]:
                continue
            elif self._kind[slot] == _SKIP or not _usable(m, i, self._kind[slot]):
                skipped += 1
            else:
                rows[self._kind[slot]].append(i)
        return self._plan(m, rows[_NUMERIC], rows[_TEXT], unknown, skipped)

    def _slot(self, m: Metrics, i: int) -> int | None:
        if m.has_alias[i]:
            slot = self._by_alias.get(int(m.alias[i]))
            if slot is not None:
                return slot
        if m.names is not None and m.names[i]:
            return self._by_name.get(m.names[i])
        return None

    def _plan(
        self, m: Metrics, num: list[int], text: list[int], unknown: int, skipped: int
    ) -> Plan:
        slots = [self._slot(m, i) or 0 for i in num]
        null = [j for j, i in enumerate(num) if m.is_null[i] or m.field[i] == ValueField.NONE]
        ints = [j for j, i in enumerate(num) if m.field[i] in _INTEGER and j not in set(null)]
        floating = all(m.field[i] in _FLOATING for i in num) and not null
        text_slots = [self._slot(m, i) or 0 for i in text]
        return Plan(
            num_rows=np.array(num, np.intp),
            num_tags=np.array([self._tag[s] for s in slots], np.int32),
            num_status=_status(len(num), null),
            int_rows=np.array(ints, np.intp),
            int_types=np.array([self._type[slots[j]] for j in ints], np.uint8),
            null_rows=np.array(null, np.intp),
            text_rows=np.array(text, np.intp),
            text_tags=np.array([self._tag[s] for s in text_slots], np.int32),
            text_status=_status(len(text), [j for j, i in enumerate(text) if i not in m.text]),
            unknown=unknown,
            skipped=skipped,
            direct=floating and len(num) == len(m) and len(m) > 0,
        )

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


def _usable(m: Metrics, i: int, kind: int) -> bool:
    field = m.field[i]
    if kind == _TEXT:
        return field in (ValueField.STRING, ValueField.NONE) or bool(m.is_null[i])
    return field in (*_FLOATING, *_INTEGER, ValueField.NONE) or bool(m.is_null[i])


def _status(n: int, bad: Sequence[int]) -> UInt32s:
    status = np.zeros(n, np.uint32)
    status[list(bad)] = StatusCode.BAD
    return status
