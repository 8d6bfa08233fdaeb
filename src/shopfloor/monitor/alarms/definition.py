"""Alarm definitions: the plant file's entries resolved onto concrete tag paths.

An :class:`AlarmDefinition` is one alarm on one tag, with everything the engine needs and
nothing that changes. Its :meth:`~AlarmDefinition.evaluate` turns a tag's samples into the
alarm condition for each of them at once (numpy), so the engine does Python work only where
the condition changes.

>>> import numpy as np
>>> from shopfloor.model.spec_alarms import AlarmsSpec
>>> spec = AlarmsSpec.model_validate({"limits": [{"tags": "a/+/temp", "h": 80, "deadband": 5}]})
>>> [d] = Catalogue(spec).definitions_for("a/m1/temp")
>>> d.id, d.condition
('a/m1/temp:h', '> 80')
>>> d.evaluate(np.array([70.0, 81.0, 78.0, 74.0]), False).tolist()
[False, True, True, False]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shopfloor.model.clock import NS_PER_S
from shopfloor.model.event import Severity
from shopfloor.model.namespace import Pattern
from shopfloor.model.spec_alarms import (
    AlarmPriority,
    AlarmsSpec,
    DiscreteAlarmSpec,
    LimitAlarmSpec,
    LimitLevel,
)

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]

LIMIT = "limit"
DISCRETE = "discrete"
_LIMIT_MESSAGE = "{machine} {name} {level} ({condition})"
_DISCRETE_MESSAGE = "{machine} {level} ({name} {condition})"


@dataclass(frozen=True)
class AlarmDefinition:
    """One alarm on one tag: its condition, delays, priority and message."""

    id: str
    tag: str
    asset: str
    level: str
    """``hh``, ``h``, ``l`` or ``ll`` for limit alarms; the entry's name for discrete ones."""
    kind: str
    priority: AlarmPriority
    message: str
    """The message template (placeholders as in ``spec_alarms.MESSAGE_FIELDS``)."""
    condition: str
    """The condition in short text: ``> 95``, ``== unplanned_stop``, ``not in (1, 2)``."""
    on_delay_ns: int = 0
    off_delay_ns: int = 0
    suppressible: bool = True
    limit: float | None = None
    high: bool = True
    deadband: float = 0.0
    codes: tuple[float, ...] = ()
    negated: bool = False
    values_text: str = ""
    """The values a discrete alarm compares with, as written: ``unplanned_stop``."""

    @property
    def severity(self) -> Severity:
        """The severity of this alarm's events."""
        return self.priority.severity

    def evaluate(self, values: Floats, previous: bool) -> Bools:
        """The condition after each of ``values`` (in time order), given the one before."""
        if self.kind == DISCRETE:
            hit: Bools = np.isin(values, self.codes)
            return ~hit if self.negated else hit
        return self._hysteresis(values, previous)

    def steady(self, low: float, high: float, previous: bool) -> bool:
        """True when no value within ``[low, high]`` can change the condition from ``previous``.

        A cheap test on a batch's minimum and maximum that spares most alarms most of the
        time the per-sample evaluation; NaN bounds are never steady.
        """
        if self.kind == DISCRETE:
            if low != high:  # NaN too
                return False
            return ((low in self.codes) != self.negated) == previous
        assert self.limit is not None
        if self.high:
            return low > self.limit - self.deadband if previous else high <= self.limit
        return high < self.limit + self.deadband if previous else low >= self.limit

    def _hysteresis(self, values: Floats, previous: bool) -> Bools:
        # A value past the limit sets the condition, one back past limit -/+ deadband resets
        # it, anything between (and NaN) keeps what was before: carry the last decision
        # forward with a running maximum of the deciding indices.
        assert self.limit is not None
        if self.high:
            on, off = values > self.limit, values <= self.limit - self.deadband
        else:
            on, off = values < self.limit, values >= self.limit + self.deadband
        decided = np.where(on | off, np.arange(len(values)), -1)
        np.maximum.accumulate(decided, out=decided)
        held: Bools = np.where(decided >= 0, on[np.maximum(decided, 0)], previous)
        return held

    def render(self, value: float | None) -> str:
        """The message with this alarm's fields and ``value`` filled in."""
        machine = self.asset.rpartition("/")[2]
        fields: dict[str, object] = {
            "tag": self.tag,
            "name": self.tag.rpartition("/")[2],
            "asset": self.asset,
            "machine": machine,
            "level": _level_words(self.level) if self.kind == LIMIT else self.level,
            "limit": self.limit if self.kind == LIMIT else self.values_text,
            "value": math.nan if value is None else value,
            "condition": self.condition,
        }
        return self.message.format_map(fields)


def _level_words(level: str) -> str:
    return LimitLevel(level).text


def _ns(seconds: float) -> int:
    return round(seconds * NS_PER_S)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class Catalogue:
    """Finds the alarms of a tag path among the plant file's entries.

    When several limit entries select a tag, the last one applies; likewise for discrete
    entries of the same name. That lets a general pattern come first and exceptions after.
    """

    def __init__(self, spec: AlarmsSpec) -> None:
        self.spec = spec
        self._limits = [(Pattern(e.tags), e) for e in spec.limits]
        self._discrete = [(Pattern(e.tags), e) for e in spec.discrete]
        gate = spec.suppression
        self.gate_tag = gate.tag if gate is not None else None
        self.gate_codes = gate.codes() if gate is not None else ()

    def definitions_for(self, path: str) -> tuple[AlarmDefinition, ...]:
        """Every alarm on the tag at ``path``; none when no entry selects it."""
        asset = path.rpartition("/")[0]
        if not asset:
            return ()
        found: list[AlarmDefinition] = []
        limit = next((e for p, e in reversed(self._limits) if p.matches(path)), None)
        if limit is not None:
            found.extend(_limit_definitions(limit, path, asset))
        named: dict[str, DiscreteAlarmSpec] = {}
        for pat, entry in self._discrete:
            if pat.matches(path):
                named[entry.name] = entry
        found.extend(_discrete_definition(e, path, asset) for e in named.values())
        return tuple(found)

    def gate_asset(self, path: str) -> str | None:
        """The asset whose suppression the tag at ``path`` decides, if it is a state tag."""
        asset, _, name = path.rpartition("/")
        return asset if asset and name == self.gate_tag else None

    def unused_entries(self, paths: Iterable[str]) -> list[str]:
        """Entries that select none of ``paths``, as ``limits[0] (pattern)``: likely typos."""
        known = list(paths)
        unused = []
        for section, entries in (("limits", self._limits), ("discrete", self._discrete)):
            for i, (pat, entry) in enumerate(entries):
                if not any(pat.matches(p) for p in known):
                    unused.append(f"{section}[{i}] ({entry.tags})")
        return unused


def _limit_definitions(entry: LimitAlarmSpec, path: str, asset: str) -> Iterable[AlarmDefinition]:
    for level, spec in entry.levels().items():
        condition = f"{'>' if level.is_high else '<'} {spec.value:g}"
        yield AlarmDefinition(
            id=f"{path}:{level.value}",
            tag=path,
            asset=asset,
            level=level.value,
            kind=LIMIT,
            priority=spec.priority or entry.priority or level.default_priority,
            message=spec.message or entry.message or _LIMIT_MESSAGE,
            condition=condition,
            on_delay_ns=_ns(entry.on_delay),
            off_delay_ns=_ns(entry.off_delay),
            suppressible=entry.suppress,
            limit=spec.value,
            high=level.is_high,
            deadband=entry.deadband,
        )


def _discrete_definition(entry: DiscreteAlarmSpec, path: str, asset: str) -> AlarmDefinition:
    shown = [_show(v) for v in entry.values]
    if len(shown) == 1:
        condition = f"{'!=' if entry.negated else '=='} {shown[0]}"
    else:
        condition = f"{'not in' if entry.negated else 'in'} ({', '.join(shown)})"
    return AlarmDefinition(
        id=f"{path}:{entry.name}",
        tag=path,
        asset=asset,
        level=entry.name,
        kind=DISCRETE,
        priority=entry.priority or AlarmPriority.MEDIUM,
        message=entry.message or _DISCRETE_MESSAGE,
        condition=condition,
        on_delay_ns=_ns(entry.on_delay),
        off_delay_ns=_ns(entry.off_delay),
        suppressible=entry.suppress,
        codes=entry.codes(),
        negated=entry.negated,
        values_text=", ".join(shown),
    )
