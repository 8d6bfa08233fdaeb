"""The one event schema that alarms, anomalies, predictions, plans and the audit trail share.

An :class:`Event` says that something happened at a time on an asset: a machine changed
state, an alarm went active, a detector saw an anomaly, a model predicted a failure, a user
acknowledged an alarm. ``kind`` is a dotted name whose first part is the family
(``state.change``, ``alarm.active``, ``anomaly.score``, ``rul.prediction``, ``audit.login``),
``payload`` holds the kind's details as JSON-compatible data, and ``actor`` says who or what
caused it (``system``, a component such as ``sim`` or ``detector:press3``, or ``user:alice``).

>>> e = Event.new(time_ns=0, asset="acme/site/line1/press", kind="state.change",
...               payload={"from": "idle", "to": "running"})
>>> Event.from_dict(e.to_dict()) == e
True
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

JsonValue = Any
_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


class Severity(IntEnum):
    """How much an event matters, low to high; alarms map their priority onto it."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"severity must be one of {names}, not {text!r}") from None


@dataclass(frozen=True)
class Event:
    """Something that happened at a time on an asset."""

    id: str
    time_ns: int
    asset: str
    kind: str
    severity: Severity = Severity.INFO
    payload: Mapping[str, JsonValue] = field(default_factory=dict)
    actor: str = "system"

    def __post_init__(self) -> None:
        if not _KIND.match(self.kind):
            raise ValueError(f"event kind {self.kind!r} must be dotted lower-case words")
        if not self.asset:
            raise ValueError("event asset must not be empty")
        object.__setattr__(self, "severity", Severity(self.severity))

    @classmethod
    def new(
        cls,
        *,
        time_ns: int,
        asset: str,
        kind: str,
        severity: Severity = Severity.INFO,
        payload: Mapping[str, JsonValue] | None = None,
        actor: str = "system",
    ) -> Event:
        """An event with a fresh random id."""
        return cls(str(uuid.uuid4()), time_ns, asset, kind, severity, dict(payload or {}), actor)

    @property
    def family(self) -> str:
        """The first part of the kind: ``alarm`` for ``alarm.active``."""
        return self.kind.split(".", 1)[0]

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "time_ns": self.time_ns,
            "asset": self.asset,
            "kind": self.kind,
            "severity": self.severity.label,
            "payload": dict(self.payload),
            "actor": self.actor,
        }

    def payload_json(self) -> str:
        return json.dumps(dict(self.payload), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, JsonValue]) -> Event:
        severity = data.get("severity", Severity.INFO)
        payload = data.get("payload") or {}
        if isinstance(payload, str):
            payload = json.loads(payload)
        return cls(
            id=str(data["id"]),
            time_ns=int(data["time_ns"]),
            asset=str(data["asset"]),
            kind=str(data["kind"]),
            severity=Severity.parse(severity) if isinstance(severity, str) else Severity(severity),
            payload=payload,
            actor=str(data.get("actor", "system")),
        )
