"""The ISA-18.2 alarm states and the read-only view of one alarm.

::

                 condition                       condition gone
    NORMAL -------------------> UNACK_ACTIVE -----------------------> RTN_UNACK
     ^  ^                         |      ^                               |  |
     |  |             acknowledge |      +---------- condition ----------+  |
     |  |  condition gone         v                                         |
     |  +------------------- ACKED_ACTIVE                                   |
     +---------------------------------------------------- acknowledge ----+

    NORMAL, UNACK_ACTIVE, ACKED_ACTIVE, RTN_UNACK --shelve--> SHELVED
    SHELVED --unshelve or expiry--> NORMAL, then UNACK_ACTIVE if the condition holds
    (any but SHELVED) --machine enters planned stop--> SUPPRESSED
    SUPPRESSED --machine leaves it--> NORMAL, then UNACK_ACTIVE if the condition holds

A condition that comes back while the alarm is in RTN_UNACK makes it UNACK_ACTIVE again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shopfloor.model.spec_alarms import AlarmPriority


class AlarmState(StrEnum):
    """Where an alarm is in its life cycle (ISA-18.2 states A-F; out of service is not used)."""

    NORMAL = "normal"
    UNACK_ACTIVE = "unacknowledged_active"
    ACKED_ACTIVE = "acknowledged_active"
    RTN_UNACK = "unacknowledged_rtn"
    SHELVED = "shelved"
    SUPPRESSED = "suppressed"

    @property
    def annunciated(self) -> bool:
        """True unless shelved or suppressed: the operator sees changes of this alarm."""
        return self not in (AlarmState.SHELVED, AlarmState.SUPPRESSED)

    @property
    def needs_ack(self) -> bool:
        """True for the two unacknowledged states."""
        return self in (AlarmState.UNACK_ACTIVE, AlarmState.RTN_UNACK)

    @property
    def in_summary(self) -> bool:
        """True for the states an operator's alarm list shows: active or unacknowledged."""
        return self in (AlarmState.UNACK_ACTIVE, AlarmState.ACKED_ACTIVE, AlarmState.RTN_UNACK)


@dataclass(frozen=True)
class AlarmStatus:
    """A snapshot of one alarm, for lists and the API."""

    id: str
    tag: str
    asset: str
    level: str
    kind: str
    priority: AlarmPriority
    state: AlarmState
    message: str
    condition: str
    limit: float | None
    value: float | None
    active: bool
    """Whether the process condition holds now (after delays), also while shelved."""
    since_ns: int | None
    """When the alarm entered its current state."""
    active_since_ns: int | None
    shelved_until_ns: int | None
    shelved_by: str | None

    @property
    def sort_key(self) -> tuple[int, bool, int, str]:
        """Most urgent first, unacknowledged before acknowledged, newest first."""
        acked = not self.state.needs_ack
        return (self.priority.rank, acked, -(self.since_ns or 0), self.id)
