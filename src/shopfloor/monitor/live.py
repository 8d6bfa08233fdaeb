"""Live view of machines from the bus: latest values, OEE since start, recent events.

:class:`LiveMonitor` follows the same tags as :mod:`shopfloor.monitor.history_oee` (``state``,
``state_reason``, ``good_count``, ``scrap_count``) plus any tags named for display, as they
arrive on the bus. OEE uses the same ISO 22400 computation as stored history
(:func:`~shopfloor.monitor.oee.compute_oee`) over the time since the monitor started.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from shopfloor.bus.base import Bus, Message, Overflow, Subscription
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.event import Event
from shopfloor.model.states import MachineState
from shopfloor.monitor.oee import OeeRecord, PartCount, Window, WindowCounts, compute_oee
from shopfloor.monitor.timeline import StateTimeline

STATE_TAGS = ("state", "good_count", "scrap_count")
DISPLAY_TAGS = ("temperature", "vibration_rms", "power")
"""The values the live views show beside each machine's state."""


@dataclass
class MachineLive:
    """What is known of one machine right now."""

    path: str
    state: MachineState | None = None
    reason: str = ""
    values: dict[str, float] = field(default_factory=dict)
    times: list[int] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    first_count: dict[str, float] = field(default_factory=dict)
    last_count: dict[str, float] = field(default_factory=dict)
    increments: dict[str, float] = field(default_factory=dict)

    def count(self, tag: str, values: Iterable[float]) -> None:
        for value in values:
            last = self.last_count.get(tag)
            if last is not None:
                # A drop is a counter reset: the new value is what was counted since.
                self.increments[tag] = self.increments.get(tag, 0.0) + (
                    value - last if value >= last else value
                )
            self.last_count[tag] = value


class LiveMonitor:
    """Keeps the live picture of ``machines`` from a bus subscription."""

    def __init__(
        self,
        bus: Bus,
        machines: Iterable[str],
        *,
        display: Iterable[str] = (),
        events: int = 12,
    ) -> None:
        self.machines = {m: MachineLive(m) for m in machines}
        self.display = tuple(display)
        tags = (*STATE_TAGS, "state_reason", *self.display)
        patterns = [f"{m}/{t}" for m in self.machines for t in tags]
        self.subscription: Subscription = bus.subscribe(
            [*patterns, *self.machines, *self._lines()],
            capacity=1_000_000,
            overflow=Overflow.DROP_OLDEST,
        )
        self._tags = set(tags)
        self.events: deque[Event] = deque(maxlen=events)
        self.start_ns: int | None = None
        self.now_ns: int | None = None

    def _lines(self) -> set[str]:
        return {m.rsplit("/", 1)[0] for m in self.machines}

    def drain(self) -> None:
        """Take in every message waiting on the subscription."""
        while (message := self.subscription.get_nowait()) is not None:
            self.take(message)

    def take(self, message: Message) -> None:
        if isinstance(message, tuple):
            self.events.extend(
                e
                for e in message
                if e.kind != "state.change" or e.payload.get("to") != MachineState.IDLE.value
            )
        elif isinstance(message, SampleBatch):
            self._numeric(message)
        elif isinstance(message, TextBatch):
            self._text(message)

    def _split(
        self, batch: SampleBatch | TextBatch
    ) -> Iterable[tuple[MachineLive, str, np.ndarray]]:
        for index, path in enumerate(batch.paths):
            machine_path, _, tag = path.rpartition("/")
            machine = self.machines.get(machine_path)
            if machine is None or tag not in self._tags:
                continue
            rows = np.flatnonzero(batch.tag == index)
            if len(rows):
                yield machine, tag, rows[np.argsort(batch.source_ns[rows], kind="stable")]

    def _numeric(self, batch: SampleBatch) -> None:
        if len(batch):
            end = int(batch.source_ns.max())
            self.now_ns = end if self.now_ns is None else max(self.now_ns, end)
            first = int(batch.source_ns.min())
            self.start_ns = first if self.start_ns is None else min(self.start_ns, first)
        for machine, tag, found in self._split(batch):
            # A sample without a value (bad quality: lost link, no data yet) says nothing
            # about the machine's state or counts.
            rows = found[np.isfinite(batch.value[found])]
            if not len(rows):
                continue
            values = batch.value[rows]
            machine.values[tag] = float(values[-1])
            if tag == "state":
                self._states(machine, batch.source_ns[rows], values)
            elif tag in ("good_count", "scrap_count"):
                machine.count(tag, values.tolist())

    def _states(self, machine: MachineLive, times: np.ndarray, codes: np.ndarray) -> None:
        # A code that names no state (a device's 0 before it starts, say) is not a state.
        known = np.isin(codes, [s.code for s in MachineState])
        times, codes = times[known], codes[known]
        if not len(codes):
            return
        for t, code in zip(times.tolist(), codes.astype(int).tolist(), strict=True):
            if not machine.codes or machine.codes[-1] != code:
                machine.times.append(t)
                machine.codes.append(code)
        machine.state = MachineState.from_code(machine.codes[-1])

    def _text(self, batch: TextBatch) -> None:
        for machine, tag, rows in self._split(batch):
            if tag == "state_reason":
                machine.reason = str(batch.value[rows[-1]])

    def oee(self, ideal_cycle_s: Mapping[str, float]) -> dict[str, OeeRecord]:
        """OEE per machine since the first sample seen."""
        if self.start_ns is None or self.now_ns is None or self.now_ns <= self.start_ns:
            return {}
        window = Window("live", self.start_ns, self.now_ns)
        timelines, counts = {}, {}
        for path, m in self.machines.items():
            if not m.codes or path not in ideal_cycle_s:
                continue
            timelines[path] = StateTimeline.from_samples(m.times, m.codes, end_ns=self.now_ns)
            good = int(m.increments.get("good_count", 0))
            scrap = int(m.increments.get("scrap_count", 0))
            counts[path] = WindowCounts({window: PartCount(good, scrap)})
        records = compute_oee(timelines, counts, ideal_cycle_s, [window], group_by=("machine",))
        return {r.machine: r for r in records if r.machine is not None}

    def close(self) -> None:
        self.subscription.close()
