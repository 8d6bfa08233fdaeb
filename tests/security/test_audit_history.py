"""Audit events stored in the embedded historian still verify when read back."""

from __future__ import annotations

from pathlib import Path

from shopfloor.bus.memory import MemoryBus
from shopfloor.historian import DuckDBHistorian
from shopfloor.model.clock import SimClock
from shopfloor.security import (
    AuditAction,
    AuditTrail,
    MemorySecurityDB,
    Principal,
    Role,
    chain_order,
    verify_chain,
)

ALICE = Principal("alice", Role.ENGINEER)


async def test_the_chain_verifies_after_a_round_trip_through_the_historian(
    tmp_path: Path, clock: SimClock
) -> None:
    bus = MemoryBus()
    trail = AuditTrail(bus, MemorySecurityDB().chain, clock=clock, root_asset="acme")
    written = [
        await trail.record(AuditAction.LOGIN, actor=ALICE, details={"client": "10.0.0.7"}),
        await trail.config_changed(
            ALICE, asset="acme/p1/press3", setting="alarm.temp.high", before=85.0, after=1e16
        ),
        await trail.alarm_shelved(ALICE, asset="acme/p1/press3", alarm="temp_high", until_ns=7),
    ]
    await bus.close()
    historian = DuckDBHistorian(tmp_path / "history.duckdb")
    historian.append_events(written)
    historian.flush()
    stored = chain_order(historian.events(kind="audit"))
    historian.close()
    assert stored == written
    assert verify_chain(stored, head=trail.head())
