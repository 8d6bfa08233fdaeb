"""The JSON-over-MQTT connector: default payload, field selectors, rejects, fuzzing."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopfloor.bus import MemoryBus
from shopfloor.connect.base import ConnectorState
from shopfloor.connect.deadletter import MemoryDeadLetters
from shopfloor.connect.mqtt_common import BrokerAddress, MqttClient, client_id
from shopfloor.connect.mqtt_json import MqttJsonConnector
from shopfloor.connect.mqtt_json.client import RejectedError, parse_time, select, topic_matches
from shopfloor.connect.registry import build_connector
from shopfloor.model.quality import StatusCode
from shopfloor.model.spec_mqtt import MqttJsonConnectorSpec

from ..sparkplug.broker import Collector, eventually, shared_broker, unique

T_ISO = "2026-03-01T08:00:00.250Z"
T_NS = 1_772_352_000_250_000_000
Start = Callable[..., Awaitable[tuple[MqttJsonConnector, MqttClient]]]


def spec(url: str, topics: list[dict[str, Any]]) -> MqttJsonConnectorSpec:
    return MqttJsonConnectorSpec.model_validate(
        {"name": "json", "type": "mqtt_json", "broker": url, "topics": topics}
    )


@pytest.fixture
async def collector() -> AsyncIterator[Collector]:
    collector = Collector(MemoryBus())
    yield collector
    await collector.close()


@pytest.fixture
def letters() -> MemoryDeadLetters:
    return MemoryDeadLetters()


@pytest.fixture
async def start(collector: Collector, letters: MemoryDeadLetters) -> AsyncIterator[Start]:
    """A running connector for the given topics, and a client to publish with."""
    running: list[tuple[MqttJsonConnector, MqttClient]] = []

    async def make(topics: list[dict[str, Any]]) -> tuple[MqttJsonConnector, MqttClient]:
        url = shared_broker()
        connector = MqttJsonConnector(spec(url, topics), collector.bus, dead_letters=letters)
        await connector.start()
        await connector.wait_for(ConnectorState.CONNECTED, 5)
        device = MqttClient(BrokerAddress.parse(url), client_id=client_id("device"))
        await device.connect()
        running.append((connector, device))
        return connector, device

    yield make
    for connector, device in running:
        await device.disconnect()
        await connector.stop()


async def test_the_default_payload_gives_a_tag_per_value_at_the_payload_time(
    start: Start, collector: Collector
) -> None:
    root = unique("j")
    _, device = await start([{"topic": f"{root}/#", "asset": "acme/s1/line1/press1"}])
    values = {"temp": 21.5, "running": True, "recipe": "A-12", "fault": None, "count": 7}
    await device.publish(f"{root}/x", json.dumps({"timestamp": T_ISO, "values": values}).encode())
    base = "acme/s1/line1/press1"
    await eventually(
        lambda: bool(collector.of(f"{base}/recipe")) and bool(collector.of(f"{base}/temp"))
    )
    assert collector.of(f"{base}/temp") == [(T_NS, 21.5, 0)]
    assert collector.of(f"{base}/running") == [(T_NS, 1.0, 0)]
    assert collector.of(f"{base}/count") == [(T_NS, 7.0, 0)]
    assert collector.of(f"{base}/recipe") == [(T_NS, "A-12", 0)]
    stamp, value, status = collector.of(f"{base}/fault")[0]
    assert (stamp, math.isnan(float(value)), status) == (T_NS, True, StatusCode.BAD)


async def test_field_selectors_pick_tags_out_of_any_document(
    start: Start, collector: Collector
) -> None:
    root = unique("j")
    topic = {
        "topic": f"{root}/+/telemetry",
        "asset": "acme/s1/{1}",
        "timestamp": "meta.time",
        "timestamp_unit": "s",
        "fields": [
            {"tag": "temp", "field": "data.t"},
            {"tag": "second_reading", "field": "data.readings.1.v"},
        ],
    }
    _, device = await start([topic])
    document = {
        "meta": {"time": 1_772_352_000.25},
        "data": {"t": 20.0, "readings": [{"v": 1}, {"v": 2}]},
    }
    await device.publish(f"{root}/press 7/telemetry", json.dumps(document).encode())
    await eventually(lambda: bool(collector.of("acme/s1/press_7/second_reading")))
    assert collector.of("acme/s1/press_7/temp") == [(T_NS, 20.0, 0)]
    assert collector.of("acme/s1/press_7/second_reading") == [(T_NS, 2.0, 0)]


async def test_without_a_timestamp_field_samples_take_the_receive_time(
    start: Start, collector: Collector
) -> None:
    root = unique("j")
    _, device = await start([{"topic": root, "asset": "acme/s1/m", "timestamp": None}])
    await device.publish(root, b'{"values": {"temp": 1.5}}')
    await eventually(lambda: bool(collector.numeric))
    batch = collector.numeric[0]
    assert batch.source_ns.tolist() == batch.receive_ns.tolist()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not an object"),
        (b'{"values": {"temp": 1}}', "no timestamp field 'timestamp'"),
        (b'{"timestamp": "yesterday", "values": {"temp": 1}}', "is not ISO 8601"),
        (b'{"timestamp": 1, "values": 5}', "no 'values' object"),
        (b'{"timestamp": 1, "values": {"temp": [1, 2]}}', "is not a number, string, boolean"),
    ],
)
async def test_unusable_messages_are_dead_letters_with_the_reason(
    start: Start, collector: Collector, letters: MemoryDeadLetters, payload: bytes, reason: str
) -> None:
    root = unique("j")
    connector, device = await start([{"topic": root, "asset": "acme/s1/m"}])
    await device.publish(root, payload)
    await device.publish(root, json.dumps({"timestamp": T_ISO, "values": {"ok": 1}}).encode())
    await eventually(lambda: bool(collector.of("acme/s1/m/ok")), what="the good message after")
    assert [letter.reason for letter in letters.recent()] == [
        pytest.approx(reason)
    ] or reason in letters.recent()[0].reason
    assert connector.counters.rejects == 1
    assert connector.counters.messages == 2


async def test_a_missing_selected_field_rejects_the_whole_message(
    start: Start, collector: Collector, letters: MemoryDeadLetters
) -> None:
    root = unique("j")
    fields = [{"tag": "a", "field": "a"}, {"tag": "b", "field": "b"}]
    _, device = await start(
        [{"topic": root, "asset": "acme/s1/m", "timestamp": None, "fields": fields}]
    )
    await device.publish(root, b'{"a": 1}')
    await device.publish(root, b'{"a": 2, "b": 3}')
    await eventually(lambda: bool(collector.of("acme/s1/m/b")))
    assert [v for _, v, _ in collector.of("acme/s1/m/a")] == [2.0]
    assert letters.recent()[0].reason == "no field 'b'"


def test_the_registry_builds_the_json_connector() -> None:
    built = build_connector(spec("mqtt://h", [{"topic": "t", "asset": "a"}]), MemoryBus())
    assert isinstance(built, MqttJsonConnector)


def test_topic_filters_capture_their_wildcard_segments() -> None:
    assert topic_matches("a/+/c/+", "a/b/c/d") == ["b", "d"]
    assert topic_matches("a/#", "a") == []
    assert topic_matches("a/+", "a/b/c") is None
    assert topic_matches("a/b", "a/x") is None


def test_selectors_and_timestamps() -> None:
    doc = {"a": {"b": [10, {"c": 3}]}}
    assert select(doc, "a.b.1.c") == 3
    assert select(doc, "a.b.0") == 10
    assert parse_time("2026-03-01T08:00:00.250+00:00", "ms") == T_NS
    assert parse_time("2026-03-01T09:00:00.250+01:00", "ms") == T_NS
    assert parse_time("2026-03-01T08:00:00.250", "ms") == T_NS
    assert parse_time(1_772_352_000_250, "ms") == T_NS
    assert parse_time(1_772_352_000_250_000, "us") == T_NS
    with pytest.raises(RejectedError):
        parse_time(True, "ms")
    with pytest.raises(RejectedError):
        parse_time(-5, "s")


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
documents = st.fixed_dictionaries(
    {"timestamp": st.integers(-10, 2**45) | st.text(max_size=8), "values": json_values}
).map(lambda d: json.dumps(d).encode())


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.binary(max_size=80) | documents | documents.map(lambda d: d[: len(d) // 2]),
        min_size=1,
        max_size=10,
    )
)
async def test_random_and_truncated_payloads_are_read_or_dead_letters(
    payloads: list[bytes],
) -> None:
    url, root = shared_broker(), unique("j")
    letters = MemoryDeadLetters()
    bus = MemoryBus()
    bus.subscribe("#", capacity=10**9)
    connector = MqttJsonConnector(
        spec(url, [{"topic": root, "asset": "acme/s/m"}]), bus, dead_letters=letters
    )
    device = MqttClient(BrokerAddress.parse(url), client_id=client_id("fuzz"))
    await connector.start()
    try:
        await connector.wait_for(ConnectorState.CONNECTED, 5)
        await device.connect()
        for payload in payloads:
            await device.publish(root, payload, qos=1)
        await eventually(lambda: connector.counters.messages >= len(payloads))
        assert connector.counters.messages == len(payloads)
        assert connector.counters.rejects == letters.total
        assert connector.state is ConnectorState.CONNECTED
    finally:
        await device.disconnect()
        await connector.stop()
