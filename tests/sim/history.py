"""What a twin reported, regrouped by tag, so that tests can ask questions of its history."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.clock import NS_PER_S
from shopfloor.model.event import Event
from shopfloor.model.plant import Plant, parse_plant
from shopfloor.model.states import MachineState
from shopfloor.sim import Twin, TwinOutput
from shopfloor.sim.default import PLANTS

# 2026-11-25 08:00 UTC, 09:00 in Berlin: the early shift's break (09:30-10:00) comes first.
START_NS = 1_795_680_000 * NS_PER_S
HOUR = 3600.0
DAY = 24 * HOUR

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def default_yaml() -> str:
    """The default plant file's text, to change before parsing."""
    return (PLANTS / "default.yaml").read_text(encoding="utf-8")


def plant_with(sim_lines: str, replace: str = "") -> Plant:
    """The default plant with ``sim_lines`` added to its ``sim:`` section (two-space indent),
    after ``replace`` (an exact substring of the file) is cut out."""
    text = default_yaml()
    if replace:
        assert replace in text, f"{replace!r} is not in the default plant"
        text = text.replace(replace, "")
    return parse_plant(text + sim_lines, source="test.yaml")


def run(twin: Twin, seconds: float, step: float = HOUR) -> list[TwinOutput]:
    """Advance ``twin`` by ``seconds`` in steps of ``step`` and keep every chunk."""
    return [twin.advance(step) for _ in range(round(seconds / step))]


@dataclass(frozen=True)
class Series:
    """One tag's samples in time order: ``t`` in ns since the epoch, and values."""

    t: I64
    values: npt.NDArray[np.float64] | npt.NDArray[np.object_]

    def at(self, t: I64) -> npt.NDArray[np.float64] | npt.NDArray[np.object_]:
        """The value in force at each time (the last sample at or before it)."""
        i = np.searchsorted(self.t, t, side="right") - 1
        assert (i >= 0).all(), "asked for a value before the tag's first sample"
        return self.values[i]

    def between(self, a_ns: int, b_ns: int) -> Series:
        keep = (self.t >= a_ns) & (self.t < b_ns)
        return Series(self.t[keep], self.values[keep])


def _by_tag(batches: list[SampleBatch] | list[TextBatch]) -> dict[str, Series]:
    pieces: dict[str, list[tuple[I64, np.ndarray]]] = {}
    for batch in batches:
        order = np.argsort(batch.tag, kind="stable")
        bounds = np.cumsum(np.bincount(batch.tag, minlength=len(batch.paths)))
        for k, path in enumerate(batch.paths):
            rows = order[(bounds[k - 1] if k else 0) : bounds[k]]
            pieces.setdefault(path, []).append((batch.source_ns[rows], batch.value[rows]))
    result = {}
    for path, parts in pieces.items():
        t = np.concatenate([p[0] for p in parts])
        v = np.concatenate([p[1] for p in parts])
        order = np.argsort(t, kind="stable")
        result[path] = Series(t[order], v[order])
    return result


@dataclass
class History:
    """Everything a twin reported over a run, by tag path."""

    line: str
    numeric: dict[str, Series]
    text: dict[str, Series]
    events: list[Event] = field(default_factory=list)

    @classmethod
    def of(cls, twin: Twin, outputs: Iterable[TwinOutput], tags: set[str] | None = None) -> History:
        """Regroup ``outputs``; ``tags`` (tag names such as ``vibration_rms``) keeps only those."""
        outputs = list(outputs)
        samples = [o.samples for o in outputs]
        if tags is not None:
            samples = [s.take(_named(s, tags)) for s in samples]
        return cls(
            twin.line_path,
            _by_tag(samples),
            _by_tag([o.texts for o in outputs]),
            [e for o in outputs for e in o.events],
        )

    def tag(self, machine: str, name: str) -> Series:
        return self.numeric[f"{self.line}/{machine}/{name}"]

    def text_tag(self, machine: str, name: str) -> Series:
        return self.text[f"{self.line}/{machine}/{name}"]

    def state_at(self, machine: str, t: I64) -> npt.NDArray[np.float64]:
        """The state code of ``machine`` at each time."""
        return np.asarray(self.tag(machine, "state").at(t), dtype=np.float64)

    def running(self, machine: str, series: Series) -> Series:
        """The samples of ``series`` taken while ``machine`` was running."""
        keep = self.state_at(machine, series.t) == MachineState.RUNNING.code
        return Series(series.t[keep], series.values[keep])

    def events_of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


def _named(batch: SampleBatch, tags: set[str]) -> npt.NDArray[np.bool_]:
    wanted = np.array([p.rsplit("/", 1)[1] in tags for p in batch.paths], dtype=bool)
    return wanted[batch.tag]


def _canonical(batches: list[SampleBatch] | list[TextBatch]) -> list[np.ndarray]:
    """Path numbers (into the sorted paths), times, statuses and values, sorted by path, then
    time: the same history gives the same columns however it was cut into chunks."""
    paths = sorted({p for b in batches for p in b.paths})
    number = {p: i for i, p in enumerate(paths)}
    tag = np.concatenate(
        [np.array([number[p] for p in b.paths], dtype=np.int32)[b.tag] for b in batches]
    )
    t = np.concatenate([b.source_ns for b in batches])
    status = np.concatenate([b.status for b in batches])
    values = np.concatenate([b.value for b in batches])
    order = np.lexsort((t, tag))
    names = np.array("\x1f".join(paths).encode())
    return [names, tag[order], t[order], status[order], values[order]]


def digest(outputs: list[TwinOutput]) -> str:
    """A hash of every sample, text sample and event column of ``outputs``."""
    h = hashlib.sha256()
    for column in _canonical([o.samples for o in outputs]):
        h.update(np.ascontiguousarray(column).tobytes())
    *columns, texts = _canonical([o.texts for o in outputs])
    for column in columns:
        h.update(np.ascontiguousarray(column).tobytes())
    h.update("\x1f".join(texts.tolist()).encode())
    for e in (e for o in outputs for e in o.events):
        h.update(repr((e.id, e.time_ns, e.asset, e.kind, int(e.severity), e.actor)).encode())
        h.update(e.payload_json().encode())
    return h.hexdigest()


def rows_digest(samples: SampleBatch, texts: TextBatch, events: list[Event]) -> str:
    """A hash of history read back from a historian, in the historian's own row order."""
    h = hashlib.sha256()
    for batch in (samples, texts):
        h.update("\x1f".join(batch.path_of().tolist()).encode())
        h.update(batch.source_ns.tobytes())
        h.update(batch.status.tobytes())
    h.update(np.ascontiguousarray(samples.value, dtype=np.float64).tobytes())
    h.update("\x1f".join(texts.value.tolist()).encode())
    for e in events:
        h.update(repr((e.id, e.time_ns, e.asset, e.kind, int(e.severity), e.actor)).encode())
        h.update(e.payload_json().encode())
    return h.hexdigest()
