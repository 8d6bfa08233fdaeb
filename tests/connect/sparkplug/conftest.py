"""Fixtures of the Sparkplug tests: the shared broker, a bus with a collector, hosts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from shopfloor.bus import MemoryBus
from shopfloor.connect.base import ConnectorState
from shopfloor.connect.deadletter import MemoryDeadLetters
from shopfloor.connect.mqtt_common import BrokerAddress, MqttClient, client_id
from shopfloor.connect.sparkplug import SparkplugHost
from shopfloor.connect.sparkplug.mapping import state_topic
from shopfloor.model.spec_mqtt import SparkplugConnectorSpec

from .broker import Collector, clear_retained, shared_broker, unique
from .edge import RawEdge

MakeHost = Callable[..., Awaitable[SparkplugHost]]


@pytest.fixture
def broker() -> str:
    return shared_broker()


@pytest.fixture
def group() -> str:
    return unique("g")


@pytest.fixture
async def collector() -> AsyncIterator[Collector]:
    collector = Collector(MemoryBus())
    yield collector
    await collector.close()


@pytest.fixture
def letters() -> MemoryDeadLetters:
    return MemoryDeadLetters()


def host_spec(url: str, group: str, **extra: Any) -> SparkplugConnectorSpec:
    """A host for one test's group, mapped under ``acme``."""
    fields: dict[str, Any] = {
        "name": "sp",
        "type": "sparkplug",
        "broker": url,
        "host_id": unique("host"),
        "groups": [group],
        "mapping": {"prefix": "acme"},
        "backoff": {"initial": 0.05, "max": 0.5},
    }
    return SparkplugConnectorSpec.model_validate(fields | extra)


@pytest.fixture
async def make_host(collector: Collector, letters: MemoryDeadLetters) -> AsyncIterator[MakeHost]:
    """Start hosts on the collector's bus; stop them and clear their retained STATE after."""
    hosts: list[SparkplugHost] = []

    async def make(spec: SparkplugConnectorSpec) -> SparkplugHost:
        host = SparkplugHost(spec, collector.bus, dead_letters=letters)
        hosts.append(host)
        await host.start()
        await host.wait_for(ConnectorState.CONNECTED, 5)
        return host

    yield make
    for host in hosts:
        await host.stop()
        await clear_retained(host.spec.broker, state_topic(host.spec.host_id))


@pytest.fixture
async def edge(broker: str, group: str) -> AsyncIterator[RawEdge]:
    edge = RawEdge(broker, group)
    await edge.connect()
    yield edge
    await edge.close()


async def probe(url: str) -> MqttClient:
    """A connected client for one-off publishes."""
    client = MqttClient(BrokerAddress.parse(url), client_id=client_id("probe"))
    await client.connect()
    return client
