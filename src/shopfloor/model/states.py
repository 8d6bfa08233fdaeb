"""Machine states: a small PackML-like set that OEE is computed from.

Every machine is in exactly one :class:`MachineState` at a time. The states fall into the
time categories of ISO 22400-2: ``running`` is actual production time; ``idle``, ``starved``
and ``blocked`` are the machine waiting while it could produce (idle time); ``setup`` is
changeover; ``unplanned_stop`` is a fault or breakdown (unit down time); ``planned_stop``
(breaks, planned maintenance, no order planned) is outside planned busy time.
"""

from __future__ import annotations

from enum import StrEnum


class MachineState(StrEnum):
    """What a machine is doing now."""

    RUNNING = "running"
    IDLE = "idle"
    STARVED = "starved"
    BLOCKED = "blocked"
    SETUP = "setup"
    PLANNED_STOP = "planned_stop"
    UNPLANNED_STOP = "unplanned_stop"

    @property
    def code(self) -> int:
        """A stable small integer for storing the state as a numeric tag."""
        return _CODES[self]

    @classmethod
    def from_code(cls, code: int) -> MachineState:
        return _BY_CODE[int(code)]

    @classmethod
    def parse(cls, text: str) -> MachineState:
        key = text.strip().lower().replace(" ", "_").replace("-", "_")
        key = _ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"machine state must be one of {names}, not {text!r}") from None

    @property
    def is_planned_stop(self) -> bool:
        return self is MachineState.PLANNED_STOP

    @property
    def is_producing(self) -> bool:
        return self is MachineState.RUNNING

    @property
    def is_down(self) -> bool:
        """Counts against availability: down for a fault or a changeover."""
        return self in (MachineState.UNPLANNED_STOP, MachineState.SETUP)


_CODES = {
    MachineState.RUNNING: 1,
    MachineState.IDLE: 2,
    MachineState.STARVED: 3,
    MachineState.BLOCKED: 4,
    MachineState.SETUP: 5,
    MachineState.PLANNED_STOP: 6,
    MachineState.UNPLANNED_STOP: 7,
}
_BY_CODE = {code: state for state, code in _CODES.items()}
_ALIASES = {"fault": "unplanned_stop", "down": "unplanned_stop", "changeover": "setup"}
