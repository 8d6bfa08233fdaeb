"""The alarm engine: samples and time in, ISA-18.2 alarm events out.

:class:`AlarmEngine` is pure and clock-driven: it does no I/O and never sleeps. Callers
feed it sample batches with :meth:`~AlarmEngine.process`, let time pass with
:meth:`~AlarmEngine.tick` (on- and off-delays and shelving expiries fire there when no new
samples come), and pass operator actions through :meth:`~AlarmEngine.acknowledge`,
:meth:`~AlarmEngine.shelve` and :meth:`~AlarmEngine.unshelve`. Each returns the events of
the transitions it caused, in time order.

Samples are evaluated per tag in time order. The condition of every sample is computed
with numpy; Python runs only where a condition changes. A value holds until the tag's next
sample. Bad-quality samples (and NaN values) are skipped, so they neither raise nor clear
an alarm (nor change a machine's suppression); uncertain ones count. A sample no newer than
the last one evaluated for its tag is late and is skipped too: an alarm's past cannot be
rewritten.

>>> from shopfloor.model.batch import SampleBatch
>>> from shopfloor.model.spec_alarms import AlarmsSpec
>>> spec = AlarmsSpec.model_validate({"limits": [{"tags": "a/+/temp", "h": 80}]})
>>> engine = AlarmEngine(spec, ["a/m1/temp"])
>>> [e.kind for e in engine.process(SampleBatch.of("a/m1/temp", [1, 2], [70, 85]), 2)]
['alarm.active']
>>> [e.actor for e in engine.acknowledge("a/m1/temp:h", "alice", "seen", 3)]
['user:alice']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from shopfloor.model.batch import SampleBatch
from shopfloor.model.event import Event
from shopfloor.model.spec_alarms import AlarmsSpec
from shopfloor.monitor.alarms.alarm import Alarm
from shopfloor.monitor.alarms.definition import AlarmDefinition, Catalogue
from shopfloor.monitor.alarms.errors import UnknownAlarmError
from shopfloor.monitor.alarms.persist import dump_state, load_state
from shopfloor.monitor.alarms.state import AlarmStatus

Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Step = tuple[int, int, bool]
"""(time, order, flag): order 0 is a suppression change, 1 a condition change."""


@dataclass
class Gate:
    """Whether a machine is in a suppressing state, from its state tag."""

    asset: str
    suppressed: bool = False


@dataclass
class TagTrack:
    """A tag the engine follows: its alarms, the gate it decides, its last sample time."""

    path: str
    alarms: tuple[Alarm, ...]
    gate: Gate | None
    last_ns: int | None = None
    asset: str = field(init=False)

    def __post_init__(self) -> None:
        self.asset = self.path.rpartition("/")[0]


class AlarmEngine:
    """Evaluates the ``alarms:`` section over sample batches; see the module docstring.

    ``tags`` are the tag paths known now; alarms on them exist from the start (so they can
    be listed and restored). A tag first seen in a batch gets its alarms then.
    """

    def __init__(self, spec: AlarmsSpec, tags: Iterable[str] = ()) -> None:
        self.spec = spec
        self._catalogue = Catalogue(spec)
        self._gate_codes = np.asarray(self._catalogue.gate_codes, np.float64)
        self._tags: dict[str, TagTrack | None] = {}
        self._alarms: dict[str, Alarm] = {}
        self._by_asset: dict[str, list[Alarm]] = {}
        self._gates: dict[str, Gate] = {}
        self._timed: dict[str, Alarm] = {}
        for path in tags:
            self._track_tag(path)

    # -- reading ---------------------------------------------------------------------------
    def get(self, alarm_id: str) -> AlarmStatus:
        """The alarm with id ``alarm_id`` (``<tag path>:<level or name>``)."""
        return self._alarm(alarm_id).status()

    def active(self) -> list[AlarmStatus]:
        """The operator's alarm list: active or unacknowledged alarms, most urgent first."""
        found = [a.status() for a in self._alarms.values() if a.state.in_summary]
        return sorted(found, key=lambda s: s.sort_key)

    def alarms(self) -> list[AlarmStatus]:
        """Every alarm the engine knows, by id."""
        return [self._alarms[i].status() for i in sorted(self._alarms)]

    def definitions(self) -> list[AlarmDefinition]:
        """The definition of every alarm the engine knows, by id."""
        return [self._alarms[i].d for i in sorted(self._alarms)]

    def unused_entries(self) -> list[str]:
        """Plant-file entries that select none of the tags seen so far (likely typos)."""
        return self._catalogue.unused_entries(self._tags)

    def next_timer_ns(self) -> int | None:
        """When the next delay or shelving expiry falls due, or None: when to tick next."""
        timers = [t for a in self._timed.values() if (t := a.next_timer_ns()) is not None]
        return min(timers) if timers else None

    # -- data and time ---------------------------------------------------------------------
    def process(self, batch: SampleBatch, now_ns: int) -> list[Event]:
        """Evaluate ``batch``, then fire the timers due at ``now_ns``; the events, in time order."""
        out: list[Event] = []
        tracks = [self._track_tag(path) for path in batch.paths]
        series = list(_series(batch, tracks)) if len(batch) else []
        steps = self._gate_steps(series)
        evaluated: set[str] = set()
        for track, times, values in series:
            bounds = (float(values.min()), float(values.max()))
            for alarm in track.alarms:
                gate_steps = steps.get(track.asset, ())
                alarm.batch = (times, values)
                if gate_steps or not alarm.d.steady(*bounds, alarm.raw):
                    self._evaluate(alarm, times, values, gate_steps, out)
                alarm.fire_due(int(times[-1]), out)
                alarm.batch, alarm.value = None, float(values[-1])
                self._watch(alarm)
                evaluated.add(alarm.d.id)
            track.last_ns = int(times[-1])
        for asset, changes in steps.items():
            for alarm in self._by_asset.get(asset, ()):
                if alarm.d.id not in evaluated:
                    for t, _, flag in changes:
                        alarm.on_suppression(t, flag, out)
                    self._watch(alarm)
        self._fire_timers(now_ns, out)
        return _chronological(out)

    def tick(self, now_ns: int) -> list[Event]:
        """Fire the on-/off-delays and shelving expiries due at ``now_ns``."""
        out: list[Event] = []
        self._fire_timers(now_ns, out)
        return _chronological(out)

    # -- operator actions ------------------------------------------------------------------
    def acknowledge(self, alarm_id: str, user: str, comment: str, now_ns: int) -> list[Event]:
        """``user`` acknowledges an unacknowledged alarm; raises if it is not one."""
        return self._act(alarm_id, lambda a: a.acknowledge(user, comment, now_ns))

    def shelve(
        self, alarm_id: str, user: str, duration_s: float, comment: str, now_ns: int
    ) -> list[Event]:
        """``user`` shelves an alarm for ``duration_s`` (at most the section's ``max_shelve``)."""
        max_s = self.spec.max_shelve
        return self._act(alarm_id, lambda a: a.shelve(user, duration_s, comment, now_ns, max_s))

    def unshelve(self, alarm_id: str, user: str, comment: str, now_ns: int) -> list[Event]:
        """``user`` returns a shelved alarm to service before its shelving expires."""
        return self._act(alarm_id, lambda a: a.unshelve(user, comment, now_ns))

    # -- saving ----------------------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """The engine's state as JSON-compatible data, for :meth:`restore_state` after a restart."""
        last = {t.path: t.last_ns for t in self._tracks() if t.last_ns is not None}
        gates = {g.asset: g.suppressed for g in self._gates.values()}
        return dump_state(self._alarms.values(), last, gates)

    def restore_state(self, data: Mapping[str, Any]) -> list[str]:
        """Take back saved state; returns the saved alarm ids that no longer exist (skipped)."""
        saved = load_state(data)
        for path in {*saved.tags, *(r.tag for r in saved.alarms.values())}:
            self._track_tag(path)
        for track in self._tracks():
            track.last_ns = saved.tags.get(track.path, track.last_ns)
        for asset, suppressed in saved.gates.items():
            self._gate(asset).suppressed = suppressed
        skipped = []
        for alarm_id, record in saved.alarms.items():
            alarm = self._alarms.get(alarm_id)
            if alarm is None:
                skipped.append(alarm_id)
                continue
            record.apply(alarm)
            self._watch(alarm)
        return sorted(skipped)

    # -- internals -------------------------------------------------------------------------
    def _alarm(self, alarm_id: str) -> Alarm:
        alarm = self._alarms.get(alarm_id)
        if alarm is None:
            raise UnknownAlarmError(f"no alarm {alarm_id!r}; ids are <tag path>:<level or name>")
        return alarm

    def _act(self, alarm_id: str, action: Callable[[Alarm], list[Event]]) -> list[Event]:
        alarm = self._alarm(alarm_id)
        events = action(alarm)
        self._watch(alarm)
        return events

    def _tracks(self) -> Iterator[TagTrack]:
        return (t for t in self._tags.values() if t is not None)

    def _track_tag(self, path: str) -> TagTrack | None:
        if path in self._tags:
            return self._tags[path]
        definitions = self._catalogue.definitions_for(path)
        gate_asset = self._catalogue.gate_asset(path)
        track = None
        if definitions or gate_asset is not None:
            gate = self._gate(gate_asset) if gate_asset is not None else None
            track = TagTrack(path, tuple(self._new_alarm(d) for d in definitions), gate)
        self._tags[path] = track
        return track

    def _gate(self, asset: str) -> Gate:
        return self._gates.setdefault(asset, Gate(asset))

    def _new_alarm(self, definition: AlarmDefinition) -> Alarm:
        gate = self._gates.get(definition.asset)
        alarm = Alarm(definition, suppressed=gate is not None and gate.suppressed)
        self._alarms[definition.id] = alarm
        self._by_asset.setdefault(definition.asset, []).append(alarm)
        return alarm

    def _gate_steps(self, series: list[tuple[TagTrack, Int64s, Floats]]) -> dict[str, list[Step]]:
        steps: dict[str, list[Step]] = {}
        for track, times, values in series:
            gate = track.gate
            if gate is None:
                continue
            flags = np.isin(values, self._gate_codes)
            flips = _flips(flags, gate.suppressed)
            if len(flips):
                found = [(int(times[k]), 0, bool(flags[k])) for k in flips.tolist()]
                steps.setdefault(gate.asset, []).extend(found)
                gate.suppressed = bool(flags[-1])
        return steps

    def _evaluate(
        self,
        alarm: Alarm,
        times: Int64s,
        values: Floats,
        gate_steps: Iterable[Step],
        out: list[Event],
    ) -> None:
        condition = alarm.d.evaluate(values, alarm.raw)
        own: list[Step] = [
            (int(times[k]), 1, bool(condition[k])) for k in _flips(condition, alarm.raw).tolist()
        ]
        # Suppression first at equal times; the stable sort keeps one tag's samples in order.
        for t, order, flag in sorted([*gate_steps, *own], key=lambda s: (s[0], s[1])):
            if order == 0:
                alarm.on_suppression(t, flag, out)
            else:
                alarm.on_condition(t, flag, out)

    def _watch(self, alarm: Alarm) -> None:
        if alarm.raw == alarm.active and alarm.shelved_until_ns is None:
            self._timed.pop(alarm.d.id, None)  # the common case, without building a list
        elif alarm.next_timer_ns() is None:
            self._timed.pop(alarm.d.id, None)
        else:
            self._timed[alarm.d.id] = alarm

    def _fire_timers(self, now_ns: int, out: list[Event]) -> None:
        for alarm in list(self._timed.values()):
            alarm.fire_due(now_ns, out)
            self._watch(alarm)


def _flips(flags: npt.NDArray[np.bool_], before: bool) -> npt.NDArray[np.intp]:
    """Indices where ``flags`` differs from the flag before it (``before`` for the first)."""
    if not len(flags):
        return np.zeros(0, np.intp)
    previous = np.empty_like(flags)
    previous[0] = before
    previous[1:] = flags[:-1]
    return np.flatnonzero(flags != previous)


def _series(
    batch: SampleBatch, tracks: list[TagTrack | None]
) -> Iterator[tuple[TagTrack, Int64s, Floats]]:
    """Per followed tag: its usable samples (not bad, newer than its last) in time order."""
    wanted = np.fromiter((t is not None for t in tracks), bool, len(tracks))
    if not wanted.any():
        return
    # NaN says no more than a bad-quality sample does, so both are skipped alike.
    usable = (batch.quality < 2) & ~np.isnan(batch.value)
    rows = np.flatnonzero(wanted[batch.tag] & usable)
    # Stable sort by tag: a batch that already holds each tag's rows together (the twin's
    # and most connectors' do) sorts in linear time.
    rows = rows[np.argsort(batch.tag[rows], kind="stable")]
    tag_of = batch.tag[rows]
    starts = np.flatnonzero(np.diff(tag_of)) + 1
    for group in np.split(rows, starts) if len(rows) else ():
        track = tracks[int(batch.tag[group[0]])]
        assert track is not None
        times = batch.source_ns[group]
        if len(times) > 1 and bool(np.any(times[1:] < times[:-1])):
            order = np.argsort(times, kind="stable")
            group, times = group[order], times[order]
        if track.last_ns is not None:
            fresh = times > track.last_ns
            group, times = group[fresh], times[fresh]
        if len(times):
            yield track, times, batch.value[group]


def _chronological(events: list[Event]) -> list[Event]:
    # Stable: one alarm's events, produced in order, keep their order at equal times.
    return sorted(events, key=lambda e: e.time_ns)
