"""The Sparkplug host against a hand-driven edge node, through the shared Mosquitto."""

from __future__ import annotations

import json
import math
import time

from shopfloor.connect.deadletter import MemoryDeadLetters
from shopfloor.connect.sparkplug import SparkplugHost
from shopfloor.connect.sparkplug.codec import REBIRTH, DataType, OutMetric, decode, encode
from shopfloor.connect.sparkplug.mapping import state_topic
from shopfloor.model.quality import StatusCode

from .broker import Collector, Listener, eventually
from .conftest import MakeHost, host_spec
from .edge import RawEdge, death

T0 = 1_700_000_000_000
MS = 1_000_000
BIRTH = [
    OutMetric("temp", 1, DataType.DOUBLE, 20.5, T0),
    OutMetric("count", 2, DataType.UINT64, 7, T0),
    OutMetric("Motor/Speed", 3, DataType.FLOAT, 1.5, T0),
    OutMetric("level", 4, DataType.INT16, -3, T0),
    OutMetric("running", 5, DataType.BOOLEAN, True, T0),
    OutMetric("recipe", 6, DataType.STRING, "A-12", T0),
]


def path(group: str, tag: str) -> str:
    return f"acme/{group}/n1/press/{tag}"


async def born(make_host: MakeHost, edge: RawEdge, **extra: object) -> SparkplugHost:
    host = await make_host(host_spec(edge.url, edge.group, **extra))
    await edge.birth("press", BIRTH)
    return host


async def test_births_and_data_arrive_as_samples_under_the_mapped_paths(
    make_host: MakeHost, edge: RawEdge, collector: Collector
) -> None:
    await born(make_host, edge)
    await edge.send(
        "DDATA",
        [
            OutMetric(None, 1, DataType.DOUBLE, 21.25, T0 + 1000),
            OutMetric(None, 2, DataType.UINT64, 2**40 + 1, T0 + 1000),
            OutMetric(None, 4, DataType.INT16, -300, T0 + 2000),
            OutMetric(None, 6, DataType.STRING, "B-7", T0 + 2000),
        ],
        device="press",
    )
    g = edge.group
    await eventually(lambda: len(collector.of(path(g, "recipe"))) == 2, what="the DDATA")
    assert collector.of(path(g, "temp")) == [(T0 * MS, 20.5, 0), ((T0 + 1000) * MS, 21.25, 0)]
    assert collector.of(path(g, "count"))[-1] == ((T0 + 1000) * MS, 2**40 + 1, 0)
    assert collector.of(path(g, "level")) == [(T0 * MS, -3, 0), ((T0 + 2000) * MS, -300, 0)]
    assert collector.of(path(g, "running")) == [(T0 * MS, 1.0, 0)]
    assert collector.of(path(g, "Motor/Speed")) == [(T0 * MS, 1.5, 0)]
    assert collector.of(path(g, "recipe")) == [(T0 * MS, "A-12", 0), ((T0 + 2000) * MS, "B-7", 0)]


async def test_metrics_without_a_timestamp_take_the_payload_timestamp(
    make_host: MakeHost, edge: RawEdge, collector: Collector
) -> None:
    await born(make_host, edge)
    metric = OutMetric(None, 1, DataType.DOUBLE, 3.0)
    await edge.send("DDATA", [metric], device="press", timestamp_ms=T0 + 5)
    await eventually(lambda: len(collector.of(path(edge.group, "temp"))) == 2)
    assert collector.of(path(edge.group, "temp"))[-1] == ((T0 + 5) * MS, 3.0, 0)


async def test_a_null_metric_is_a_sample_of_bad_quality(
    make_host: MakeHost, edge: RawEdge, collector: Collector
) -> None:
    await born(make_host, edge)
    await edge.send("DDATA", [OutMetric(None, 1, DataType.DOUBLE, None, T0 + 9)], device="press")
    await eventually(lambda: len(collector.of(path(edge.group, "temp"))) == 2)
    stamp, value, status = collector.of(path(edge.group, "temp"))[-1]
    assert (stamp, math.isnan(float(value)), status) == ((T0 + 9) * MS, True, StatusCode.BAD)


async def test_a_seq_gap_asks_the_node_for_a_rebirth_and_keeps_the_data(
    make_host: MakeHost, edge: RawEdge, collector: Collector, broker: str
) -> None:
    listener = Listener(broker)
    await listener.start(edge.topic("NCMD"))
    host = await born(make_host, edge)
    await edge.send("DDATA", [OutMetric(None, 1, DataType.DOUBLE, 9.0, T0 + 1)], device="press")
    await edge.send(
        "DDATA", [OutMetric(None, 1, DataType.DOUBLE, 8.0, T0 + 2)], device="press", seq=9
    )
    await eventually(lambda: bool(listener.on(edge.topic("NCMD"))), what="a rebirth request")
    await listener.close()
    assert decode(listener.on(edge.topic("NCMD"))[0].payload).value(REBIRTH) == 1.0
    assert host.stats.seq_gaps == 1
    assert [v for _, v, _ in collector.of(path(edge.group, "temp"))] == [20.5, 9.0, 8.0]


async def test_an_unknown_alias_asks_for_a_rebirth_and_known_metrics_still_arrive(
    make_host: MakeHost, edge: RawEdge, collector: Collector, broker: str
) -> None:
    listener = Listener(broker)
    await listener.start(edge.topic("NCMD"))
    host = await born(make_host, edge)
    metrics = [
        OutMetric(None, 1, DataType.DOUBLE, 1.0, T0 + 1),
        OutMetric(None, 99, DataType.DOUBLE, 2.0, T0 + 1),
    ]
    await edge.send("DDATA", metrics, device="press")
    await eventually(lambda: bool(listener.on(edge.topic("NCMD"))), what="a rebirth request")
    await listener.close()
    assert host.stats.unknown_metrics == 1
    assert host.stats.seq_gaps == 0
    await eventually(lambda: len(collector.of(path(edge.group, "temp"))) == 2)


async def test_data_from_a_node_without_a_birth_is_a_dead_letter_and_asks_for_a_rebirth(
    make_host: MakeHost, edge: RawEdge, letters: MemoryDeadLetters, broker: str
) -> None:
    listener = Listener(broker)
    await listener.start(edge.topic("NCMD"))
    host = await make_host(host_spec(broker, edge.group))
    await edge.send("DDATA", [OutMetric(None, 1, DataType.DOUBLE, 1.0)], device="press", seq=4)
    await eventually(lambda: bool(listener.on(edge.topic("NCMD"))), what="a rebirth request")
    await eventually(lambda: letters.total == 1)
    await listener.close()
    assert "no NBIRTH" in letters.recent()[0].reason
    assert host.counters.rejects == 1


async def test_an_ndeath_with_the_birth_bdseq_marks_every_tag_of_the_node_bad(
    make_host: MakeHost, edge: RawEdge, collector: Collector
) -> None:
    host = await born(make_host, edge)
    await edge.publish("NDEATH", death(0))
    await eventually(lambda: host.stats.deaths == 1)
    g = edge.group
    await eventually(lambda: len(collector.of(path(g, "recipe"))) == 2)
    for tag in ("temp", "count", "Motor/Speed", "level", "running", "recipe"):
        stamp, _, status = collector.of(path(g, tag))[-1]
        assert status == StatusCode.BAD_NO_COMMUNICATION
        assert stamp > T0 * MS  # the receive time, after the data


async def test_the_will_of_a_vanished_edge_node_marks_its_tags_bad(
    make_host: MakeHost, edge: RawEdge, collector: Collector
) -> None:
    host = await born(make_host, edge)
    await eventually(lambda: host.stats.births == 2)
    assert edge.client is not None
    edge.client.abort()
    await eventually(lambda: host.stats.deaths == 1, what="the will NDEATH")
    assert collector.of(path(edge.group, "temp"))[-1][2] == StatusCode.BAD_NO_COMMUNICATION


async def test_an_ndeath_with_another_bdseq_is_a_stale_will_and_changes_nothing(
    make_host: MakeHost, edge: RawEdge, collector: Collector
) -> None:
    host = await born(make_host, edge)
    # The birth's sample reaches the collector asynchronously; wait for it first, so the
    # check below sees everything the host published, not a race with the bus.
    await eventually(lambda: len(collector.of(path(edge.group, "temp"))) == 1)
    await edge.publish("NDEATH", death(5))
    await eventually(lambda: host.stats.stale_deaths == 1)
    assert host.stats.deaths == 0
    assert [s for _, _, s in collector.of(path(edge.group, "temp"))] == [0]


async def test_a_ddeath_marks_the_device_tags_bad_at_its_own_timestamp(
    make_host: MakeHost, edge: RawEdge, collector: Collector
) -> None:
    host = await born(make_host, edge)
    await edge.send("DDEATH", [], device="press", timestamp_ms=T0 + 60_000)
    await eventually(lambda: host.stats.deaths == 1)
    await eventually(lambda: len(collector.of(path(edge.group, "recipe"))) == 2)
    dead = ((T0 + 60_000) * MS, StatusCode.BAD_NO_COMMUNICATION)
    assert (collector.of(path(edge.group, "temp"))[-1][0::2]) == dead
    assert (collector.of(path(edge.group, "recipe"))[-1][0::2]) == dead


async def test_payloads_that_are_not_sparkplug_are_dead_letters_and_the_host_carries_on(
    make_host: MakeHost, edge: RawEdge, collector: Collector, letters: MemoryDeadLetters
) -> None:
    host = await born(make_host, edge)
    await edge.publish("DDATA", b"\xff\xff\xff not protobuf", device="press")
    assert edge.client is not None
    await edge.client.publish(f"spBv1.0/{edge.group}/NOPE/n1", encode([]))
    await edge.send("DDATA", [OutMetric(None, 1, DataType.DOUBLE, 5.0, T0 + 7)], device="press")
    await eventually(lambda: len(collector.of(path(edge.group, "temp"))) == 2)
    reasons = sorted(letter.reason for letter in letters.recent())
    assert [r.split(":")[0] for r in reasons] == [
        "not a Sparkplug B payload",
        "not a Sparkplug B topic",
    ]
    assert host.counters.rejects == 2


async def test_the_host_state_is_retained_online_json_and_offline_after_stop(
    make_host: MakeHost, broker: str, group: str
) -> None:
    host = await make_host(host_spec(broker, group))
    topic = state_topic(host.spec.host_id)
    listener = Listener(broker)
    await listener.start(topic)
    await eventually(lambda: bool(listener.on(topic)), what="the retained STATE")
    online = listener.on(topic)[0]
    state = json.loads(online.payload)
    assert online.retain
    assert state["online"] is True
    assert isinstance(state["timestamp"], int)
    await host.stop()
    await eventually(lambda: len(listener.on(topic)) == 2, what="STATE offline")
    await listener.close()
    assert json.loads(listener.on(topic)[1].payload) == {**state, "online": False}


async def test_the_host_answers_an_offline_state_on_its_topic_with_online(
    make_host: MakeHost, broker: str, group: str
) -> None:
    host = await make_host(host_spec(broker, group))
    topic = state_topic(host.spec.host_id)
    listener = Listener(broker)
    await listener.start(topic)
    await eventually(lambda: bool(listener.on(topic)))
    await listener.client.publish(topic, b'{"online": false, "timestamp": 1}', qos=1, retain=True)
    await eventually(lambda: len(listener.on(topic)) == 3, what="STATE online again")
    await listener.close()
    assert json.loads(listener.on(topic)[2].payload)["online"] is True


async def test_a_burst_of_data_reads_the_same_as_one_message_at_a_time(
    make_host: MakeHost, edge: RawEdge, collector: Collector, broker: str
) -> None:
    listener = Listener(broker)
    await listener.start(edge.topic("NCMD"))
    host = await born(make_host, edge)

    def scan(k: int, alias: int = 1) -> list[OutMetric]:
        return [
            OutMetric(None, alias, DataType.DOUBLE, k * 0.5, T0 + k),
            OutMetric(None, 2, DataType.UINT64, k, T0 + k),
            OutMetric(None, 4, DataType.INT16, -k, T0 + k),
            OutMetric(None, 5, DataType.BOOLEAN, k % 2 == 0, T0 + k),
        ]

    for k in range(1, 121):
        # k = 60: same size, another alias (unknown); k = 90 skips a seq number.
        await edge.send(
            "DDATA",
            scan(k, 7 if k == 60 else 1),
            device="press",
            seq=(k + 2 if k >= 90 else k + 1) % 256,
        )
    g = edge.group
    await eventually(lambda: len(collector.of(path(g, "count"))) == 121, what="every scan")
    await eventually(lambda: bool(listener.on(edge.topic("NCMD"))), what="a rebirth request")
    await listener.close()
    temps = collector.of(path(g, "temp"))[1:]
    assert [t for t, _, _ in temps] == [(T0 + k) * MS for k in range(1, 121) if k != 60]
    assert [v for _, v, _ in temps] == [k * 0.5 for k in range(1, 121) if k != 60]
    assert [v for _, v, _ in collector.of(path(g, "level"))[1:]] == [-k for k in range(1, 121)]
    assert [v for _, v, _ in collector.of(path(g, "running"))[1:]] == [
        float(k % 2 == 0) for k in range(1, 121)
    ]
    assert host.stats.unknown_metrics == 1
    assert host.stats.seq_gaps == 1


async def test_a_death_mark_follows_data_stamped_ahead_of_the_host_clock(
    make_host: MakeHost, edge: RawEdge, collector: Collector
) -> None:
    host = await born(make_host, edge)
    ahead = time.time_ns() // MS + 3_600_000  # an edge clock (or a simulation) an hour ahead
    await edge.send("DDATA", [OutMetric(None, 1, DataType.DOUBLE, 1.0, ahead)], device="press")
    await edge.publish("NDEATH", death(0))
    await eventually(lambda: host.stats.deaths == 1)
    await eventually(lambda: len(collector.of(path(edge.group, "temp"))) == 3)
    data, mark = collector.of(path(edge.group, "temp"))[-2:]
    assert data == (ahead * MS, 1.0, 0)
    assert (mark[0], mark[2]) == ((ahead + 1) * MS, StatusCode.BAD_NO_COMMUNICATION)
