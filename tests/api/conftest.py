"""An API over three simulated hours of the default plant, with a user per role."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from shopfloor.api.app import create_app
from shopfloor.api.context import ApiContext
from shopfloor.api.live import LiveHub
from shopfloor.bus import MemoryBus
from shopfloor.cli.oee import line_of
from shopfloor.historian import AsyncHistorian, DuckDBHistorian
from shopfloor.model.clock import WallClock
from shopfloor.monitor.alarms import AlarmEngine, AlarmService
from shopfloor.monitor.live import LiveMonitor
from shopfloor.security import Argon2Hasher, MemorySecurityDB, Role, Security
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.twin import ideal_cycle_times

HOURS = 3
PASSWORD = "correct horse battery"
ROLES = ("viewer", "operator", "engineer", "admin")


@dataclass
class Api:
    client: TestClient
    ctx: ApiContext
    tokens: dict[str, str]
    start_ns: int
    end_ns: int

    def headers(self, role: str | None) -> dict[str, str]:
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture(scope="package")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    db = tmp_path_factory.mktemp("api") / "h.duckdb"
    plant = default_plant()
    end_ns = WallClock().now_ns() // 10**9 * 10**9
    start_ns = end_ns - HOURS * 3600 * 10**9
    twin = Twin.from_plant(plant, seed=5, start_ns=start_ns)
    engine = AlarmEngine(plant.alarms, [t.path for t in twin.tree.tags()])  # type: ignore[arg-type]
    with DuckDBHistorian(db) as historian:
        for _ in range(HOURS * 4):
            out = twin.advance(900)
            historian.append(out.samples)
            historian.append_text(out.texts)
            historian.append_events(out.events)
            historian.append_events(engine.process(out.samples, twin.now_ns))
    bus = MemoryBus()
    monitor = LiveMonitor(bus, [m.path for m in twin.machines])
    security = Security(
        MemorySecurityDB(),
        bus,
        clock=WallClock(),
        root_asset=plant.root.name,
        hasher=Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    ctx = ApiContext(
        plant=plant,
        tree=twin.tree,
        historian=AsyncHistorian(DuckDBHistorian(db, mode="shared")),
        bus=bus,
        hub=LiveHub(bus),
        monitor=monitor,
        security=security,
        alarms=AlarmService(engine, bus, WallClock()),
        ideal_cycle_s=ideal_cycle_times(plant),
        line_of=line_of(plant),
    )
    tokens = asyncio.run(_users(security))
    with TestClient(create_app(ctx)) as client:
        client.portal.call(ctx.alarms.start)  # type: ignore[union-attr]
        yield Api(client, ctx, tokens, start_ns, end_ns)
        client.portal.call(ctx.alarms.stop)  # type: ignore[union-attr]


async def _users(security: Security) -> dict[str, str]:
    await security.first_start({"SHOPFLOOR_ADMIN_PASSWORD": PASSWORD + " admin"})
    admin = (await security.login("admin", PASSWORD + " admin", client="test")).principal
    tokens = {}
    for role in ROLES:
        name = f"{role}1"
        await security.create_user(
            admin, name, PASSWORD, role=Role.parse(role), must_change_password=False
        )
        tokens[role] = (await security.login(name, PASSWORD, client="test")).token
    return tokens
