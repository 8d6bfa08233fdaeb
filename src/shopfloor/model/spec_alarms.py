"""The plant file's ``alarms:`` section: limit and discrete alarms after ISA-18.2.

An entry selects tags with a unified-namespace pattern (``+`` one segment, ``#`` the rest),
so one entry covers the same tag on many machines. A limit entry sets any of the levels
``hh``, ``h``, ``l``, ``ll`` (each becomes its own alarm, id ``<tag path>:<level>``); a
discrete entry names one alarm (id ``<tag path>:<name>``) that is active while the tag
equals, or does not equal, one of some values. Machine states are written by name
(``unplanned_stop``) and booleans as ``true`` / ``false``.

When several limit entries select one tag, the last one in the file applies to it, so a
general pattern can come first and exceptions for single machines after it. The same holds
for discrete entries with the same name.

.. code-block:: yaml

    alarms:
      limits:
        - tags: acme/+/+/+/+/vibration_rms
          h: 4.5                      # ISO 10816 alarm zone for medium machines
          hh: {value: 7.1, priority: urgent, message: "{machine}: bearing damage likely"}
          deadband: 0.3
          on_delay: 10s
      discrete:
        - name: fault
          tags: acme/+/+/+/+/state
          equals: unplanned_stop
          priority: high
      suppression: {tag: state, states: [planned_stop]}

Priorities follow ISA-18.2's advice of three or four levels: ``urgent``, ``high``,
``medium``, ``low`` (or 1 to 4, 1 being urgent). Without one, ``hh`` and ``ll`` are high,
``h``, ``l`` and discrete alarms medium.
"""

from __future__ import annotations

import math
import string
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from shopfloor.model.event import Severity
from shopfloor.model.namespace import Pattern
from shopfloor.model.spec_types import Duration, Name, NonNegativeDuration
from shopfloor.model.states import MachineState


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlarmPriority(StrEnum):
    """How quickly an operator must respond, most urgent first (ISA-18.2, four levels)."""

    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """1 for urgent to 4 for low: sorting by rank puts the most urgent first."""
        return _RANKS[self]

    @property
    def severity(self) -> Severity:
        """The event severity of this priority: urgent is critical, the rest by name."""
        return _SEVERITIES[self]

    @classmethod
    def parse(cls, value: object) -> AlarmPriority:
        """A priority from its name or its rank 1-4; ``ValueError`` names what is accepted."""
        if isinstance(value, AlarmPriority):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value in _BY_RANK:
            return _BY_RANK[value]
        if isinstance(value, str) and value.strip().lower() in _BY_NAME:
            return _BY_NAME[value.strip().lower()]
        raise ValueError(
            f"priority must be one of urgent, high, medium, low (or 1-4), not {value!r}"
        )


_RANKS = {
    AlarmPriority.URGENT: 1,
    AlarmPriority.HIGH: 2,
    AlarmPriority.MEDIUM: 3,
    AlarmPriority.LOW: 4,
}
_BY_RANK = {rank: p for p, rank in _RANKS.items()}
_BY_NAME = {p.value: p for p in AlarmPriority}
_SEVERITIES = {
    AlarmPriority.URGENT: Severity.CRITICAL,
    AlarmPriority.HIGH: Severity.HIGH,
    AlarmPriority.MEDIUM: Severity.MEDIUM,
    AlarmPriority.LOW: Severity.LOW,
}

Priority = Annotated[
    AlarmPriority,
    BeforeValidator(
        AlarmPriority.parse, json_schema_input_type=AlarmPriority | Literal[1, 2, 3, 4]
    ),
]


class LimitLevel(StrEnum):
    """The four limits of an analog tag, from high-high down to low-low."""

    HH = "hh"
    H = "h"
    L = "l"
    LL = "ll"

    @property
    def is_high(self) -> bool:
        """True for hh and h: the alarm is active above the limit, not below."""
        return self in (LimitLevel.HH, LimitLevel.H)

    @property
    def text(self) -> str:
        """The level in words, for messages: ``high-high``."""
        return _LEVEL_TEXT[self]

    @property
    def default_priority(self) -> AlarmPriority:
        """hh and ll are high, h and l medium, unless the plant file says otherwise."""
        return (
            AlarmPriority.HIGH if self in (LimitLevel.HH, LimitLevel.LL) else AlarmPriority.MEDIUM
        )


_LEVEL_TEXT = {
    LimitLevel.HH: "high-high",
    LimitLevel.H: "high",
    LimitLevel.L: "low",
    LimitLevel.LL: "low-low",
}

MESSAGE_FIELDS = ("tag", "name", "asset", "machine", "level", "limit", "value", "condition")
"""The placeholders an alarm message may use, as in ``"{machine} {name} {value:.1f}"``."""


def check_message(template: str, *, numeric_limit: bool) -> str:
    """Return ``template`` if it formats with the alarm placeholders, else ``ValueError``."""
    sample: dict[str, object] = dict.fromkeys(MESSAGE_FIELDS, "x")
    sample.update(value=1.0, limit=1.0 if numeric_limit else "x")
    try:
        template.format_map(sample)
    except KeyError as exc:
        allowed = ", ".join("{" + name + "}" for name in MESSAGE_FIELDS)
        raise ValueError(f"message: unknown placeholder {{{exc.args[0]}}}; use {allowed}") from None
    except (ValueError, IndexError, TypeError, AttributeError) as exc:
        raise ValueError(f"message {template!r} cannot be formatted: {exc}") from None
    names = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    if any(not name.isidentifier() for name in names):
        raise ValueError(f"message {template!r}: placeholders are plain names such as {{value}}")
    return template


def _check_pattern(text: str) -> str:
    Pattern(text)  # raises ValueError with the reason
    if "/" not in text:
        raise ValueError(f"tags {text!r} must select tags on an asset: <asset path>/<tag>")
    return text


class _AlarmCommon(_Spec):
    tags: str = Field(
        description="unified-namespace pattern of the tags, e.g. acme/+/+/+/+/temperature"
    )
    on_delay: NonNegativeDuration = Field(
        0.0, description="the condition must hold this long before the alarm goes active"
    )
    off_delay: NonNegativeDuration = Field(
        0.0, description="the condition must be gone this long before the alarm clears"
    )
    priority: Priority | None = Field(None, description="urgent, high, medium, low (or 1-4)")
    message: str | None = Field(None, description="text with {machine}, {name}, {value}, ...")
    suppress: bool = Field(
        True, description="suppressed while the machine is in a suppressing state (planned stop)"
    )
    description: str = ""

    _check_tags = field_validator("tags")(_check_pattern)


class LevelSpec(_Spec):
    """One limit of a limit alarm: its value and, optionally, its own priority and message."""

    value: float = Field(description="the limit, in the tag's engineering units")
    priority: Priority | None = None
    message: str | None = None

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"a limit must be a finite number, not {value}")
        return value

    @field_validator("message")
    @classmethod
    def _message(cls, value: str | None) -> str | None:
        return None if value is None else check_message(value, numeric_limit=True)


def _level_shorthand(value: object) -> object:
    # ``h: 85`` is short for ``h: {value: 85}``.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"value": value}
    return value


Level = Annotated[
    LevelSpec | None,
    BeforeValidator(_level_shorthand, json_schema_input_type=float | LevelSpec | None),
]


class LimitAlarmSpec(_AlarmCommon):
    """Analog limits on the selected tags; each level given becomes one alarm per tag."""

    hh: Level = Field(None, description="high-high limit: a number or {value, priority, message}")
    h: Level = Field(None, description="high limit")
    l: Level = Field(None, description="low limit")  # noqa: E741 - ISA-18.2's name for it
    ll: Level = Field(None, description="low-low limit")
    deadband: float = Field(
        0.0,
        ge=0,
        description="engineering units the value must come back past a limit to clear it",
    )

    @field_validator("message")
    @classmethod
    def _message(cls, value: str | None) -> str | None:
        return None if value is None else check_message(value, numeric_limit=True)

    @model_validator(mode="after")
    def _ordered_levels(self) -> LimitAlarmSpec:
        given = [(lvl, spec.value) for lvl, spec in self.levels().items()]
        if not given:
            raise ValueError("a limit alarm needs at least one of hh, h, l, ll")
        for (upper, a), (lower, b) in pairwise(given):
            if not a > b:
                raise ValueError(
                    f"limits must be ordered hh > h > l > ll: {upper.value} ({a:g}) must be "
                    f"greater than {lower.value} ({b:g})"
                )
        if not math.isfinite(self.deadband):
            raise ValueError("deadband must be a finite number")
        return self

    def levels(self) -> dict[LimitLevel, LevelSpec]:
        """The levels set, from hh down to ll."""
        found = {lvl: getattr(self, lvl.value) for lvl in LimitLevel}
        return {lvl: spec for lvl, spec in found.items() if spec is not None}


DiscreteValue = bool | int | float | str


def discrete_code(value: DiscreteValue) -> float:
    """The numeric value a discrete alarm compares with: a machine state's code, a boolean
    as 1.0 / 0.0, a number as itself."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"a discrete alarm value must be finite, not {value}")
        return float(value)
    try:
        return float(MachineState.parse(value).code)
    except ValueError:
        states = ", ".join(s.value for s in MachineState)
        raise ValueError(
            f"{value!r} is neither a number, true/false nor a machine state ({states}); "
            "discrete alarms compare numeric tags"
        ) from None


def _as_list(value: object) -> object:
    return value if isinstance(value, list | tuple) or value is None else [value]


Values = Annotated[
    tuple[DiscreteValue, ...] | None,
    BeforeValidator(_as_list, json_schema_input_type=DiscreteValue | list[DiscreteValue] | None),
]


class DiscreteAlarmSpec(_AlarmCommon):
    """An alarm that is active while a tag equals (or does not equal) one of some values."""

    name: Name = Field(description="the alarm's name on each tag; its id is <tag path>:<name>")
    equals: Values = Field(None, description="a value or list: active while the tag is one")
    not_equals: Values = Field(None, description="a value or list: active while it is none")

    @field_validator("name")
    @classmethod
    def _not_a_level(cls, value: str) -> str:
        if value in {lvl.value for lvl in LimitLevel}:
            raise ValueError(f"name {value!r} is reserved for limit alarms; choose another")
        return value

    @field_validator("equals", "not_equals")
    @classmethod
    def _known_values(cls, values: tuple[DiscreteValue, ...] | None) -> Any:
        if values is not None:
            if not values:
                raise ValueError("give at least one value")
            for value in values:
                discrete_code(value)
        return values

    @field_validator("message")
    @classmethod
    def _message(cls, value: str | None) -> str | None:
        return None if value is None else check_message(value, numeric_limit=False)

    @model_validator(mode="after")
    def _one_condition(self) -> DiscreteAlarmSpec:
        if (self.equals is None) == (self.not_equals is None):
            raise ValueError("a discrete alarm needs exactly one of equals, not_equals")
        return self

    @property
    def negated(self) -> bool:
        """True for ``not_equals``: active while the tag is none of the values."""
        return self.equals is None

    @property
    def values(self) -> tuple[DiscreteValue, ...]:
        """The values compared with, as written."""
        return self.equals if self.equals is not None else self.not_equals or ()

    def codes(self) -> tuple[float, ...]:
        """The values compared with, as numbers."""
        return tuple(discrete_code(v) for v in self.values)


def _state(value: object) -> object:
    return MachineState.parse(value) if isinstance(value, str) else value


class SuppressionSpec(_Spec):
    """Suppression by design: a machine's alarms are not annunciated in some of its states."""

    tag: Name = Field("state", description="the machine's tag that holds its state code")
    states: tuple[Annotated[MachineState, BeforeValidator(_state)], ...] = Field(
        (MachineState.PLANNED_STOP,), min_length=1, description="states that suppress alarms"
    )

    def codes(self) -> tuple[float, ...]:
        """The state codes that suppress."""
        return tuple(float(s.code) for s in self.states)


class AlarmsSpec(_Spec):
    """The ``alarms:`` section: limit and discrete alarms, suppression and shelving limits."""

    limits: tuple[LimitAlarmSpec, ...] = ()
    discrete: tuple[DiscreteAlarmSpec, ...] = ()
    suppression: SuppressionSpec | None = Field(
        SuppressionSpec(), description="null: never suppress; default: while in planned stop"
    )
    max_shelve: Duration = Field(
        8 * 3600.0, description="the longest an operator may shelve an alarm (default 8h)"
    )


__all__ = [
    "MESSAGE_FIELDS",
    "AlarmPriority",
    "AlarmsSpec",
    "DiscreteAlarmSpec",
    "LevelSpec",
    "LimitAlarmSpec",
    "LimitLevel",
    "SuppressionSpec",
    "check_message",
    "discrete_code",
]
