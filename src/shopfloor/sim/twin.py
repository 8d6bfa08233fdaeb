"""The factory twin: a discrete production line that behaves like a real one.

:class:`Twin` builds a SimPy model of the line described by the plant file's ``sim:``
section and advances it chunk by chunk. Each call to :meth:`Twin.advance_to` runs the
discrete-event simulation up to a time and returns what the line's sensors and controllers
reported in that chunk, as one :class:`SampleBatch`, one :class:`TextBatch` and the events.
Because noise depends only on the seed and sample index, the history is the same for a seed
whatever the chunk sizes (and so whatever the run's speed).

>>> from shopfloor.sim.default import default_plant
>>> twin = Twin.from_plant(default_plant(), seed=7, start_ns=0)
>>> out = twin.advance_to(3600 * 10**9)
>>> len(out.samples) > 0 and twin.now_ns == 3600 * 10**9
True
"""

from __future__ import annotations

import uuid
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import simpy

from shopfloor.model.assets import Asset, AssetLevel, AssetTree, Tag
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.calendar import Calendar
from shopfloor.model.calendar_spec import CalendarSpec
from shopfloor.model.clock import NS_PER_S
from shopfloor.model.errors import ConfigError
from shopfloor.model.event import Event, Severity
from shopfloor.model.plant import Plant
from shopfloor.model.sim_spec import SimSpec
from shopfloor.model.states import MachineState
from shopfloor.sim.kinds import Kind, kind_of, resolve
from shopfloor.sim.machine import Buffer, Dispatch, Failure, LineContext, MachineSim, Part
from shopfloor.sim.orders import OrderBook, OrderProgress
from shopfloor.sim.signals import TEXT_TAGS, ChunkSignals, MachineSignals, numeric_tags

_ROUND_OFF_S = 1e-6
_SIM_NAMESPACE = uuid.UUID("6f1c1d2e-8a53-4c2b-9a55-3d1f0b7e5a10")


@dataclass(frozen=True)
class TwinOutput:
    """What the line reported in one chunk."""

    samples: SampleBatch
    texts: TextBatch
    events: tuple[Event, ...]


@dataclass(frozen=True)
class MachineStatus:
    """A machine's state and running totals, for live views."""

    path: str
    name: str
    kind: str
    state: MachineState
    reason: str
    good: int
    scrap: int
    wear: float
    time_in: dict[MachineState, float]
    ideal_cycle_s: float

    @property
    def oee(self) -> float | None:
        """OEE since the start from the running totals (ISO 22400, as in ``monitor.oee``)."""
        planned = sum(self.time_in.values()) - self.time_in[MachineState.PLANNED_STOP]
        if planned <= 0:
            return None
        return self.ideal_cycle_s * self.good / planned


@dataclass
class GroundTruth:
    """What really happened, for scoring detectors and predictions later."""

    failures: list[Failure] = field(default_factory=list)
    start_ns: int = 0

    def failure_times_ns(self, machine: str | None = None) -> list[int]:
        return [
            self.start_ns + round(f.t * NS_PER_S)
            for f in self.failures
            if machine is None or f.machine == machine
        ]


class Twin:
    """A simulated production line. Build it with :meth:`from_plant`."""

    def __init__(
        self,
        tree: AssetTree,
        spec: SimSpec,
        *,
        calendar: CalendarSpec | None = None,
        seed: int = 0,
        start_ns: int = 0,
    ) -> None:
        self.spec = spec
        self.seed = seed
        self.start_ns = int(start_ns)
        self.env = simpy.Environment()
        self.line = LineContext(self.env)
        self.truth = GroundTruth(self.line.failures, self.start_ns)
        self.calendar = Calendar(calendar) if calendar is not None else Calendar()
        self._seeds = np.random.SeedSequence(seed)
        line_asset = _find_line(tree, spec.line)
        self.line_path = line_asset.path
        self.machines: list[MachineSim] = []
        self.kinds: dict[str, Kind] = {}
        self._assets = {a.name: a for a in line_asset.walk() if a.level is AssetLevel.MACHINE}
        self._events: list[Event] = []
        self._event_count = 0
        self.orders = OrderBook(spec, self._rng(), lambda: float(self.env.now), self._order_event)
        self.line.next_part = self.orders.next_part
        self.line.on_lost = lambda part: self.orders.finished(part, good=False)
        self.orders.on_added = self._wake_first_station
        self._build()
        self.tree = _with_twin_tags(tree, self)
        self._numeric_paths, self._text_paths = self._tag_paths()
        self._emitted_s = 0.0

    @classmethod
    def from_plant(cls, plant: Plant, *, seed: int = 0, start_ns: int = 0) -> Twin:
        """The twin of the plant file's ``sim:`` section."""
        if plant.sim is None:
            raise ConfigError(f"{plant.source}: the plant file has no 'sim:' section")
        return cls(plant, plant.sim, calendar=plant.calendar, seed=seed, start_ns=start_ns)

    # -- construction --------------------------------------------------------------------
    def _rng(self) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64(self._seeds.spawn(1)[0]))

    def _build(self) -> None:
        inbox: Buffer | None = None
        self._buffers: list[Buffer] = []
        for station in self.spec.stations:
            outbox = Buffer(self.env, capacity=station.buffer)
            self._buffers.append(outbox)
            for name in station.machines:
                machine = self._machine(name, station.name)
                self.env.process(machine.run(inbox, outbox))
            inbox = outbox
        assert inbox is not None
        self.env.process(self._sink(inbox))
        self.env.process(self._shifts())

    def _machine(self, name: str, station: str) -> MachineSim:
        asset = self._assets.get(name)
        if asset is None:
            raise ConfigError(
                f"sim: station {station!r} names machine {name!r}, which is not "
                f"a machine under {self.spec.line!r}"
            )
        settings = self.spec.machines.get(name)
        kind_name = (settings.kind if settings and settings.kind else None) or asset.kind
        try:
            kind = kind_of(kind_name)
        except ValueError as exc:
            raise ConfigError(f"sim: machine {name!r}: {exc}") from None
        self.kinds[name] = kind
        machine = MachineSim(
            name=name,
            path=asset.path,
            station=station,
            params=resolve(kind, settings),
            rng=self._rng(),
            line=self.line,
            wear_acceleration=self.spec.wear_acceleration,
            fault_acceleration=self.spec.fault_acceleration,
        )
        machine.signals = MachineSignals(  # type: ignore[attr-defined]
            machine,
            kind,
            seed=self.seed,
            index=len(self.machines),
            period=self.spec.sample_period,
            heartbeat=self.spec.heartbeat,
            ambient=self.spec.ambient_temperature,
        )
        self.machines.append(machine)
        return machine

    def _sink(self, last: simpy.Store) -> Generator[simpy.Event, Part, None]:
        while True:
            part = yield last.get()
            self.orders.finished(part, good=True)

    def _shifts(self) -> Generator[simpy.Event, object, None]:
        """Open and close the line along the calendar's working time."""
        horizon = 7 * 86_400.0
        while True:
            a = float(self.env.now)
            b = a + horizon
            for interval in self.calendar.working_intervals(self._ns(a), self._ns(b)):
                start, end = self._s(interval.start_ns), self._s(interval.end_ns)
                # Tolerate float round-off of the ns <-> s conversions: no sub-ns stops.
                if start > self.env.now + _ROUND_OFF_S:
                    self._set_working(False, start)
                    yield self.env.timeout(start - self.env.now)
                self._set_working(True, start)
                # Work to the end also when the horizon clips the interval: the next horizon
                # then starts working at once, instead of the line stopping until ``b``.
                yield self.env.timeout(max(0.0, end - self.env.now))
            if self.env.now < b - _ROUND_OFF_S:
                self._set_working(False, b)
                yield self.env.timeout(b - self.env.now)

    def _set_working(self, working: bool, at: float) -> None:
        if self.line.working == working:
            return
        if not working:
            shift = self.calendar.shift_at(self._ns(float(self.env.now)))
            self.line.stop_reason = "break" if shift is not None else "no_shift"
        self.line.working = working
        if working and self.line.resumed is not None and not self.line.resumed.triggered:
            self.line.resumed.succeed()
        for machine in self.machines:
            machine.on_break(starting=not working)

    def _wake_first_station(self) -> None:
        """A new order: a first station idle for want of orders takes it now."""
        waiting = self.line.orders_changed
        if waiting is not None and not waiting.triggered:
            waiting.succeed()

    def _order_event(self, kind: str, progress: OrderProgress) -> None:
        payload: dict[str, object] = {
            "order": progress.spec.id,
            "product": progress.spec.product,
            "quantity": progress.spec.quantity,
        }
        if kind == "order.completed":
            payload.update(good=progress.good, scrapped=progress.scrapped)
        self.line.note(self.line_path, kind, 0, payload)

    # -- running -------------------------------------------------------------------------
    def _ns(self, t: float) -> int:
        return self.start_ns + round(t * NS_PER_S)

    def _s(self, ns: int) -> float:
        return (ns - self.start_ns) / NS_PER_S

    @property
    def now_ns(self) -> int:
        return self._ns(self._emitted_s)

    def dispatch_by(self, dispatch: Dispatch | None) -> None:
        """Let ``dispatch`` choose every machine's next part from now on, e.g. to run a plan;
        None goes back to the order book's queue and first-in-first-out buffers."""
        self.line.dispatch = dispatch
        self.redispatch()

    def redispatch(self) -> None:
        """Machines waiting for work ask the dispatch again (its choices have changed)."""
        self._wake_first_station()
        for buffer in self._buffers:
            buffer.recheck()

    def inject_fault(self, machine: str, cause: str, repair_s: float) -> None:
        """Stop ``machine`` for ``repair_s`` seconds before its next cycle (recorded as truth)."""
        for m in self.machines:
            if m.name == machine:
                m.pending_fault = (cause, repair_s)
                return
        raise ValueError(f"no machine {machine!r} in the twin")

    def advance_to(self, until_ns: int) -> TwinOutput:
        """Simulate up to ``until_ns`` and return everything reported since the last call."""
        a, b = self._emitted_s, self._s(until_ns)
        if b < a:
            raise ValueError("the twin cannot go back in time")
        if b > self.env.now:
            self.env.run(until=b)
        chunks = [m.signals.chunk(a, b) for m in self.machines]  # type: ignore[attr-defined]
        self._emitted_s = b
        return TwinOutput(self._samples(chunks), self._texts(chunks), self._take_events(b))

    def advance(self, seconds: float) -> TwinOutput:
        """Simulate ``seconds`` more."""
        return self.advance_to(self.now_ns + round(seconds * NS_PER_S))

    def status(self) -> list[MachineStatus]:
        """Each machine's current state and totals."""
        now = float(self.env.now)
        result = []
        for m in self.machines:
            time_in = dict(m.time_in)
            time_in[m.state] += now - m.log[-1].t
            result.append(
                MachineStatus(
                    m.path,
                    m.name,
                    self.kinds[m.name].name,
                    m.state,
                    m.log[-1].reason,
                    m.good,
                    m.scrap,
                    m.wear,
                    time_in,
                    m.p.cycle_time or 0.0,
                )
            )
        return result

    # -- output assembly -----------------------------------------------------------------
    def _tag_paths(self) -> tuple[list[str], list[str]]:
        numeric = [
            f"{m.path}/{s.name}" for m in self.machines for s in numeric_tags(self.kinds[m.name])
        ]
        text = [f"{m.path}/{name}" for m in self.machines for name in TEXT_TAGS]
        return numeric, text

    def _samples(self, chunks: list[ChunkSignals]) -> SampleBatch:
        # In the order of ``_numeric_paths``, whatever order the synthesiser filled them in.
        series = [
            c.numeric[s.name]
            for m, c in zip(self.machines, chunks, strict=True)
            for s in numeric_tags(self.kinds[m.name])
        ]
        return SampleBatch(
            paths=tuple(self._numeric_paths),
            tag=_tag_column([len(s.t) for s in series]),
            source_ns=self._times(series),
            receive_ns=self._times(series),
            status=np.zeros(sum(len(s.t) for s in series), np.uint32),
            value=np.concatenate([np.asarray(s.values, np.float64) for s in series]),
        )

    def _texts(self, chunks: list[ChunkSignals]) -> TextBatch:
        series = [c.text[name] for c in chunks for name in TEXT_TAGS]
        values = np.empty(sum(len(s.t) for s in series), dtype=object)
        values[:] = [v for s in series for v in s.values]
        return TextBatch(
            paths=tuple(self._text_paths),
            tag=_tag_column([len(s.t) for s in series]),
            source_ns=self._times(series),
            receive_ns=self._times(series),
            status=np.zeros(len(values), np.uint32),
            value=values,
        )

    def _times(self, series: list) -> np.ndarray:  # type: ignore[type-arg]
        if not series:
            return np.zeros(0, np.int64)
        t = np.concatenate([s.t for s in series])
        return self.start_ns + np.round(t * NS_PER_S).astype(np.int64)

    def _take_events(self, b: float) -> tuple[Event, ...]:
        ready = [n for n in self.line.notes if n.t < b]
        self.line.notes = [n for n in self.line.notes if n.t >= b]
        events = []
        # The line and start belong in the id: a historian keeps one event per id, so ids
        # repeated by another line or another run of the same seed would overwrite events.
        run = f"{self.line_path}/{self.seed}/{self.start_ns}"
        for note in ready:
            self._event_count += 1
            events.append(
                Event(
                    id=str(uuid.uuid5(_SIM_NAMESPACE, f"{run}/{self._event_count}")),
                    time_ns=self._ns(note.t),
                    asset=note.asset,
                    kind=note.kind,
                    severity=Severity(note.severity),
                    payload=note.payload,
                    actor="sim",
                )
            )
        return tuple(events)


def ideal_cycle_times(plant: Plant) -> dict[str, float]:
    """Each machine's ideal cycle time in seconds: set on the machine in the plant file, or
    else the twin's cycle time for it (its settings or its kind's default)."""
    ideal = {m.path: m.ideal_cycle_s for m in plant.machines() if m.ideal_cycle_s}
    spec = plant.sim
    if spec is None:
        return ideal
    line = _find_line(plant, spec.line)
    by_name = {a.name: a for a in line.walk() if a.level is AssetLevel.MACHINE}
    for name in (m for station in spec.stations for m in station.machines):
        asset = by_name.get(name)
        settings = spec.machines.get(name)
        kind_name = (settings.kind if settings and settings.kind else None) or (
            asset and asset.kind
        )
        if asset is None or asset.path in ideal or not kind_name:
            continue
        cycle = resolve(kind_of(kind_name), settings).cycle_time
        if cycle:
            ideal[asset.path] = cycle
    return ideal


def _tag_column(counts: list[int]) -> npt.NDArray[np.int32]:
    return np.repeat(np.arange(len(counts), dtype=np.int32), counts)


def _find_line(tree: AssetTree, path: str) -> Asset:
    asset = tree.find_asset(path)
    if asset is None:
        raise ConfigError(f"sim: line {path!r} is not an asset of the plant")
    return asset


def _with_twin_tags(tree: AssetTree, twin: Twin) -> AssetTree:
    """The asset tree with every twin sensor declared on its machine (unless already there)."""
    extra: dict[str, list[Tag]] = {}
    for m in twin.machines:
        kind = twin.kinds[m.name]
        tags = [
            Tag(s.name, s.unit, low=s.low, high=s.high, description=s.description)
            for s in numeric_tags(kind)
        ]
        tags += [Tag(name, data_type="text") for name in TEXT_TAGS]  # type: ignore[arg-type]
        extra[m.path] = tags
    return AssetTree(_graft(tree.root, extra))


def _graft(asset: Asset, extra: dict[str, list[Tag]]) -> Asset:
    from dataclasses import replace

    children = tuple(_graft(c, extra) for c in asset.children)
    have = {t.name for t in asset.tags}
    added = tuple(t for t in extra.get(asset.path, []) if t.name not in have)
    return replace(asset, children=children, tags=asset.tags + added)
