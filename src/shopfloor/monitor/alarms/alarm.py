"""The life cycle of one alarm: condition, delays, acknowledgement, shelving, suppression.

:class:`Alarm` is the engine's mutable record of one alarm. It is driven by three kinds of
input, each at a time in nanoseconds: a change of the (deadbanded) process condition, a
change of its machine's suppression, and the clock passing a timer (an on- or off-delay, or
a shelving expiry). Operators act on it through :meth:`acknowledge`, :meth:`shelve` and
:meth:`unshelve`. Every state change appends exactly one :class:`Event` to the list given.

Two flags sit beside the ISA-18.2 states: ``active`` (the condition after its delays) and
``acked``. While shelved or suppressed the alarm keeps following its condition silently;
when it comes back, it starts from normal and goes unacknowledged active at once if the
condition still holds, so the operator sees it again.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import numpy as np
import numpy.typing as npt

from shopfloor.model.event import Event
from shopfloor.monitor.alarms.definition import AlarmDefinition
from shopfloor.monitor.alarms.errors import AlarmError, AlarmTransitionError
from shopfloor.monitor.alarms.state import AlarmState, AlarmStatus

Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
_EVENT_NAMESPACE = uuid.UUID("0b7f5c2e-3d41-4e8a-9c6f-5a1e2d7b8c90")

ACTIVE = "active"
ACKNOWLEDGED = "acknowledged"
CLEARED = "cleared"
SHELVED = "shelved"
UNSHELVED = "unshelved"
SUPPRESSED = "suppressed"
UNSUPPRESSED = "unsuppressed"


class Alarm:
    """The mutable state of one alarm; the engine owns it, callers see :class:`AlarmStatus`."""

    def __init__(self, definition: AlarmDefinition, *, suppressed: bool = False) -> None:
        self.d = definition
        self.raw = False
        """The condition after deadband, before delays, as of the last sample."""
        self.raw_since_ns: int | None = None
        self.active = False
        """The condition after its on-/off-delay."""
        self.acked = True
        self.suppressed = suppressed and definition.suppressible
        self.shelved_until_ns: int | None = None
        self.shelved_by: str | None = None
        self.value: float | None = None
        """The tag's last sample value before the batch being evaluated."""
        self.batch: tuple[Int64s, Floats] | None = None
        """While a batch is evaluated: its samples of this alarm's tag (times, values)."""
        self.since_ns: int | None = None
        self.active_since_ns: int | None = None
        self.last_event_ns: int | None = None
        self.seq = 0

    # -- reading ---------------------------------------------------------------------------
    @property
    def state(self) -> AlarmState:
        """The ISA-18.2 state: shelving first, then suppression, then condition and ack."""
        if self.shelved_until_ns is not None:
            return AlarmState.SHELVED
        if self.suppressed:
            return AlarmState.SUPPRESSED
        if self.active:
            return AlarmState.ACKED_ACTIVE if self.acked else AlarmState.UNACK_ACTIVE
        return AlarmState.NORMAL if self.acked else AlarmState.RTN_UNACK

    def status(self) -> AlarmStatus:
        """A frozen snapshot for callers."""
        d = self.d
        return AlarmStatus(
            id=d.id,
            tag=d.tag,
            asset=d.asset,
            level=d.level,
            kind=d.kind,
            priority=d.priority,
            state=self.state,
            message=d.render(self.value),
            condition=d.condition,
            limit=d.limit,
            value=self.value,
            active=self.active,
            since_ns=self.since_ns,
            active_since_ns=self.active_since_ns,
            shelved_until_ns=self.shelved_until_ns,
            shelved_by=self.shelved_by,
        )

    def value_at(self, t: int) -> float | None:
        """The tag's value at ``t``: its last sample at or before ``t`` that is known."""
        if self.batch is not None:
            times, values = self.batch
            k = int(np.searchsorted(times, t, side="right")) - 1
            if k >= 0:
                return float(values[k])
        return self.value

    def deadline_ns(self) -> int | None:
        """When the pending on- or off-delay runs out, if the condition differs from ``active``."""
        if self.raw == self.active or self.raw_since_ns is None:
            return None
        delay = self.d.on_delay_ns if self.raw else self.d.off_delay_ns
        return self.raw_since_ns + delay

    def next_timer_ns(self) -> int | None:
        """The earliest pending timer (delay or shelving expiry), or None."""
        timers = [t for t in (self.deadline_ns(), self.shelved_until_ns) if t is not None]
        return min(timers) if timers else None

    # -- driven by data and time -----------------------------------------------------------
    def fire_due(self, now_ns: int, out: list[Event]) -> None:
        """Run every timer that is due at ``now_ns``, in time order."""
        while True:
            deadline, shelf = self.deadline_ns(), self.shelved_until_ns
            if deadline is not None and deadline <= now_ns and (shelf is None or deadline <= shelf):
                self._set_active(deadline, self.raw, out)
            elif shelf is not None and shelf <= now_ns:
                self._unshelve(shelf, "system", {"reason": "expired"}, out)
            else:
                return

    def on_condition(self, t: int, condition: bool, out: list[Event]) -> None:
        """The deadbanded condition changed at ``t``."""
        self.fire_due(t, out)
        self.raw, self.raw_since_ns = condition, t
        if condition != self.active:
            delay = self.d.on_delay_ns if condition else self.d.off_delay_ns
            if delay == 0:
                self._set_active(t, condition, out)

    def on_suppression(self, t: int, suppressed: bool, out: list[Event]) -> None:
        """The machine entered (or left) a suppressing state at ``t``."""
        if not self.d.suppressible or suppressed == self.suppressed:
            return
        self.fire_due(t, out)
        before = self.state
        self.suppressed = suppressed
        if before is AlarmState.SHELVED:
            return  # shelving hides it already; leaving the shelf re-checks suppression
        if suppressed:
            self.acked = True  # ISA-18.2: leaving suppression starts again from normal
            self._emit(out, SUPPRESSED, t, before)
        else:
            self._emit(out, UNSUPPRESSED, t, before, state=AlarmState.NORMAL)
            self._reannunciate(t, out)

    # -- operator actions ------------------------------------------------------------------
    def acknowledge(self, user: str, comment: str, now_ns: int) -> list[Event]:
        """Acknowledge an unacknowledged alarm (active, or returned to normal)."""
        actor = _actor(user)
        out: list[Event] = []
        self.fire_due(now_ns, out)
        before = self.state
        if not before.needs_ack:
            raise AlarmTransitionError(
                f"alarm {self.d.id} is {before.value}: only an unacknowledged alarm "
                "(active or returned to normal) can be acknowledged"
            )
        self.acked = True
        self._emit(out, ACKNOWLEDGED, now_ns, before, actor=actor, comment=comment)
        return out

    def shelve(
        self, user: str, duration_s: float, comment: str, now_ns: int, max_s: float
    ) -> list[Event]:
        """Shelve for ``duration_s`` seconds (at most ``max_s``): hidden until it expires."""
        actor = _actor(user)
        if not (math.isfinite(duration_s) and 0 < duration_s <= max_s):
            raise AlarmError(f"a shelving duration must be more than 0 s and at most {max_s:g} s")
        out: list[Event] = []
        self.fire_due(now_ns, out)
        before = self.state
        if not before.annunciated:
            raise AlarmTransitionError(
                f"alarm {self.d.id} is {before.value}: only an annunciated alarm can be shelved"
            )
        until = now_ns + round(duration_s * 1e9)
        self.acked = True
        self.shelved_until_ns, self.shelved_by = until, actor.removeprefix("user:")
        extra: dict[str, Any] = {"until_ns": until, "duration_s": duration_s, "comment": comment}
        self._emit(out, SHELVED, now_ns, before, actor=actor, **extra)
        return out

    def unshelve(self, user: str, comment: str, now_ns: int) -> list[Event]:
        """Return a shelved alarm to service before its shelving expires."""
        actor = _actor(user)
        out: list[Event] = []
        self.fire_due(now_ns, out)
        if self.state is not AlarmState.SHELVED:
            raise AlarmTransitionError(
                f"alarm {self.d.id} is {self.state.value}: only a shelved alarm can be unshelved"
            )
        self._unshelve(now_ns, actor, {"comment": comment}, out)
        return out

    # -- transitions -----------------------------------------------------------------------
    def _set_active(self, t: int, active: bool, out: list[Event]) -> None:
        before = self.state
        self.active = active
        if not before.annunciated:
            return  # followed silently; annunciated again when shelving or suppression ends
        if active:
            self.acked = False
            self.active_since_ns = t
            self._emit(out, ACTIVE, t, before)
        else:
            self.active_since_ns = None
            self._emit(out, CLEARED, t, before)

    def _unshelve(self, t: int, actor: str, extra: dict[str, Any], out: list[Event]) -> None:
        self.shelved_until_ns, self.shelved_by = None, None
        after = AlarmState.SUPPRESSED if self.suppressed else AlarmState.NORMAL
        self._emit(out, UNSHELVED, t, AlarmState.SHELVED, state=after, actor=actor, **extra)
        if not self.suppressed:
            self._reannunciate(t, out)

    def _reannunciate(self, t: int, out: list[Event]) -> None:
        # Back from the shelf or from suppression, the alarm starts at normal; a condition
        # that still holds makes it a new, unacknowledged activation.
        self.acked = True
        if self.active:
            self.active_since_ns = t
            self.acked = False
            self._emit(out, ACTIVE, t, AlarmState.NORMAL)

    def _emit(
        self,
        out: list[Event],
        transition: str,
        t: int,
        before: AlarmState,
        *,
        state: AlarmState | None = None,
        actor: str = "system",
        **extra: Any,
    ) -> None:
        # One alarm's events never go back in time, even when a late sample or an operator
        # action on a lagging clock asks for an earlier time.
        if self.last_event_ns is not None:
            t = max(t, self.last_event_ns)
        self.last_event_ns = self.since_ns = t
        self.seq += 1
        after = state or self.state
        shown = self.value_at(t)
        out.append(
            Event(
                id=str(uuid.uuid5(_EVENT_NAMESPACE, f"{self.d.id}/{transition}/{t}/{self.seq}")),
                time_ns=t,
                asset=self.d.asset,
                kind=f"alarm.{transition}",
                severity=self.d.severity,
                payload=self._payload(shown, before, after, extra),
                actor=actor,
            )
        )

    def _payload(
        self, value: float | None, before: AlarmState, after: AlarmState, extra: dict[str, Any]
    ) -> dict[str, Any]:
        d = self.d
        return {
            "alarm_id": d.id,
            "tag": d.tag,
            "level": d.level,
            "limit": d.limit,
            "condition": d.condition,
            "value": _json_number(value),
            "priority": d.priority.value,
            "previous_state": before.value,
            "state": after.value,
            "message": d.render(value),
            **extra,
        }


def _actor(user: str) -> str:
    name = user.strip()
    if not name or any(c.isspace() for c in name):
        raise AlarmError(f"an operator action needs a user name without spaces, not {user!r}")
    return f"user:{name}"


def _json_number(value: float | None) -> float | None:
    # JSON has no NaN; an unknown value is null.
    return None if value is None or not math.isfinite(value) else float(value)
