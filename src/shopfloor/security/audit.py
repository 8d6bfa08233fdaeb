"""The audit trail: every write as an ``audit.*`` event on the bus, hash-chained.

Who did what, when and to what: each login, logout, user change, acknowledgement, shelving
and configuration change becomes an :class:`~shopfloor.model.event.Event` of kind
``audit.<action>``, with ``actor`` ``user:<name>`` (or ``system``, ``anonymous``), on the
asset it concerns or the enterprise root. :class:`AuditTrail` publishes it on the bus, so the
historian stores it beside the plant's other events.

Tamper evidence. Each audit event's payload carries ``seq`` (1, 2, 3, ...), ``prev`` (the
``hash`` of the event before, or 64 zeros for the first) and ``hash``, the SHA-256 of the
event's canonical JSON without ``hash`` itself. Changing, removing, inserting or reordering
stored events breaks the chain; :func:`verify_chain` finds the first break. The head of the
chain is kept in the security database, so the trail continues across restarts and cutting
events off its end is detectable too (pass ``head``). This is evidence, not prevention: whoever
can rewrite both the history and the security database can rebuild a consistent chain.

Audit payloads never hold a password or a token; :meth:`AuditTrail.record` refuses details
with such keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shopfloor.bus.base import Bus
from shopfloor.model.clock import Clock
from shopfloor.model.event import Event, JsonValue, Severity
from shopfloor.security.records import GENESIS_HASH, ChainHead, ChainHeads
from shopfloor.security.roles import Principal

AUDIT_FAMILY = "audit"
CHAIN_KEYS = frozenset({"seq", "prev", "hash"})
SECRET_KEYS = frozenset(
    {
        "password",
        "new_password",
        "old_password",
        "current_password",
        "password_hash",
        "token",
        "access_token",
        "refresh_token",
        "bearer",
        "secret",
        "api_key",
    }
)
"""Detail keys refused anywhere in an audit payload: they could only carry a secret."""


class AuditAction(StrEnum):
    """The actions shopfloor audits; the event kind is ``audit.<value>``."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    USER_CREATED = "user_created"
    PASSWORD_CHANGED = "password_changed"
    ROLE_CHANGED = "role_changed"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    USER_DELETED = "user_deleted"
    ALARM_ACKNOWLEDGED = "alarm_acknowledged"
    ALARM_SHELVED = "alarm_shelved"
    ALARM_UNSHELVED = "alarm_unshelved"
    CONFIG_CHANGED = "config_changed"


class AuditTrail:
    """Turns writes into chained ``audit.*`` events and publishes them.

    One trail writes one chain: run a single trail per security database. Records are
    serialised by a lock, and the chain head only moves once the bus took the event, so a
    failed publish leaves no gap.
    """

    def __init__(self, bus: Bus, chain: ChainHeads, *, clock: Clock, root_asset: str) -> None:
        if not root_asset:
            raise ValueError("the audit trail needs a root asset (the enterprise)")
        self._bus = bus
        self._chain = chain
        self._clock = clock
        self.root_asset = root_asset
        self._lock = asyncio.Lock()

    async def record(
        self,
        action: AuditAction | str,
        *,
        actor: Principal | str,
        asset: str | None = None,
        details: Mapping[str, JsonValue] | None = None,
        severity: Severity = Severity.INFO,
    ) -> Event:
        """Publish one audit event and return it; ``details`` say what changed."""
        payload = dict(details or {})
        _check_details(payload)
        who = actor.actor if isinstance(actor, Principal) else actor
        async with self._lock:
            head = self._chain.head()
            payload.update(seq=head.seq + 1, prev=head.hash)
            event = Event.new(
                time_ns=self._clock.now_ns(),
                asset=asset or self.root_asset,
                kind=f"{AUDIT_FAMILY}.{action}",
                severity=severity,
                payload=payload,
                actor=who,
            )
            event = _sealed(event)
            await self._bus.publish((event,))
            self._chain.advance(head, ChainHead(head.seq + 1, event.payload["hash"]))
        return event

    def head(self) -> ChainHead:
        """The last event written: pass it to :func:`verify_chain` to detect a cut-off end."""
        return self._chain.head()

    async def alarm_acknowledged(
        self, actor: Principal, *, asset: str, alarm: str, comment: str = ""
    ) -> Event:
        """Record that ``actor`` acknowledged ``alarm`` on ``asset``."""
        details: dict[str, JsonValue] = {"alarm": alarm, "comment": comment}
        return await self.record(
            AuditAction.ALARM_ACKNOWLEDGED, actor=actor, asset=asset, details=details
        )

    async def alarm_shelved(
        self, actor: Principal, *, asset: str, alarm: str, until_ns: int, reason: str = ""
    ) -> Event:
        """Record that ``actor`` shelved ``alarm`` on ``asset`` until ``until_ns``."""
        details: dict[str, JsonValue] = {"alarm": alarm, "until_ns": until_ns, "reason": reason}
        return await self.record(
            AuditAction.ALARM_SHELVED, actor=actor, asset=asset, details=details
        )

    async def config_changed(
        self,
        actor: Principal,
        *,
        asset: str,
        setting: str,
        before: JsonValue,
        after: JsonValue,
    ) -> Event:
        """Record that ``actor`` changed ``setting`` (an alarm limit, a detector parameter)."""
        details: dict[str, JsonValue] = {"setting": setting, "before": before, "after": after}
        return await self.record(
            AuditAction.CONFIG_CHANGED, actor=actor, asset=asset, details=details
        )


@dataclass(frozen=True)
class ChainCheck:
    """The result of :func:`verify_chain`; true when the chain is whole.

    ``first_break`` is the index (in the events given) of the first event that does not fit,
    ``len(events)`` when events are missing after the last one, and None when all is well.
    """

    ok: bool
    first_break: int | None = None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def event_hash(event: Event) -> str:
    """The SHA-256 (hex) of ``event``'s canonical JSON, leaving out its own ``hash``."""
    data = event.to_dict()
    data["payload"] = {k: v for k, v in event.payload.items() if k != "hash"}
    text = json.dumps(
        _canonical(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_chain(
    events: Sequence[Event],
    *,
    prev: str | None = GENESIS_HASH,
    head: ChainHead | None = None,
) -> ChainCheck:
    """Check that ``events``, in chain order, form an unbroken audit chain.

    ``prev`` is the hash the first event must link to: the genesis hash when checking from
    the start, None to check a window that starts mid-chain. ``head`` (from
    :meth:`AuditTrail.head`) also checks that nothing is missing after the last event.
    """
    expected_prev, expected_seq = prev, None
    for index, event in enumerate(events):
        problem = _link_problem(event, expected_prev, expected_seq)
        if problem:
            return ChainCheck(False, index, problem)
        expected_prev = str(event.payload["hash"])
        expected_seq = int(event.payload["seq"]) + 1
    if head is not None and _tail(events, prev) != head:
        return ChainCheck(False, len(events), "the chain's stored head is not the last event")
    return ChainCheck(True)


def chain_order(events: Iterable[Event]) -> list[Event]:
    """The audit events among ``events``, sorted by their chain sequence number."""
    audit = [
        e for e in events if e.family == AUDIT_FAMILY and isinstance(e.payload.get("seq"), int)
    ]
    return sorted(audit, key=lambda e: int(e.payload["seq"]))


def _link_problem(event: Event, prev: str | None, seq: int | None) -> str:
    payload = event.payload
    if event.family != AUDIT_FAMILY or not CHAIN_KEYS.issubset(payload):
        return "not a chained audit event"
    if payload["hash"] != event_hash(event):
        return "event was changed after it was written"
    if prev is not None and payload["prev"] != prev:
        return "does not link to the event before (one was removed, added or moved)"
    if seq is None and prev == GENESIS_HASH and payload["seq"] != 1:
        return "the chain does not start at sequence number 1"
    if seq is not None and payload["seq"] != seq:
        return f"sequence number {payload['seq']} where {seq} was expected"
    return ""


def _tail(events: Sequence[Event], prev: str | None) -> ChainHead:
    if not events:
        return ChainHead(0, prev or GENESIS_HASH)
    last = events[-1].payload
    return ChainHead(int(last["seq"]), str(last["hash"]))


def _sealed(event: Event) -> Event:
    payload = dict(event.payload)
    payload["hash"] = event_hash(event)
    return Event(
        event.id, event.time_ns, event.asset, event.kind, event.severity, payload, event.actor
    )


def _check_details(details: Mapping[str, JsonValue]) -> None:
    clash = CHAIN_KEYS & details.keys()
    if clash:
        raise ValueError(f"audit details may not set the chain keys {sorted(clash)}")
    _check_no_secrets(details)


def _check_no_secrets(value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() in SECRET_KEYS:
                raise ValueError(f"audit details must not carry secrets (key {key!r})")
            _check_no_secrets(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_no_secrets(item)


def _canonical(value: Any) -> Any:
    """``value`` as the hash sees it: integral floats as integers, tuples as lists.

    Stores such as PostgreSQL's jsonb may hand ``1e16`` back as ``10000000000000000``; both
    must hash the same, or an honest round trip would look like tampering.
    """
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
