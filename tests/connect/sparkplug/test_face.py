"""End to end: twin -> Sparkplug edge face -> Mosquitto -> host -> bus."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shopfloor.connect.sparkplug.codec import BD_SEQ, REBIRTH, DataType, OutMetric, decode, encode
from shopfloor.model.plant import parse_plant
from shopfloor.model.quality import StatusCode
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.faces.sparkplug import SparkplugEdgeFace
from shopfloor.sim.twin import TwinOutput

from .broker import Collector, Listener, eventually, unique
from .conftest import MakeHost

START_NS = 1_767_225_600 * 10**9  # 2026-01-01 00:00 UTC
MS = 1_000_000


@pytest.fixture
async def face(broker: str, group: str) -> AsyncIterator[SparkplugEdgeFace]:
    twin = Twin.from_plant(default_plant(), seed=3, start_ns=START_NS)
    face = SparkplugEdgeFace(twin, broker=broker, group_id=group, host_id=unique("host"))
    await face.start()
    yield face
    await face.stop()


def expected_rows(outs: list[TwinOutput]) -> set[tuple[str, int, float | str]]:
    """Every sample the twin produced, at ms resolution (Sparkplug's timestamps)."""
    return {
        (s.path, s.source_ns // MS * MS, s.value)
        for out in outs
        for batch in (out.samples, out.texts)
        for s in batch.samples()
    }


async def test_every_twin_sample_arrives_with_its_value_time_and_path_and_good_quality(
    face: SparkplugEdgeFace, make_host: MakeHost, collector: Collector
) -> None:
    host = await make_host(face.connector_spec("twin"))
    await eventually(lambda: host.stats.births == 10, what="births for the new host")
    outs = [face.twin.advance(120) for _ in range(3)]
    for out in outs:
        await face.publish(out)
    want = expected_rows(outs)
    arrived = lambda: sum(len(b) for b in (*collector.numeric, *collector.text))  # noqa: E731
    await eventually(lambda: arrived() >= len(want), timeout=10, what="every twin sample")
    rows = collector.rows() + collector.rows(text=True)
    assert {(p, t, v) for p, t, v, _ in rows} == want
    assert all(status == 0 for *_, status in rows)
    assert len(want) > 5000
    assert "acme/stuttgart/fabrication/line1/press1/vibration_rms" in {p for p, _, _ in want}


async def test_a_stopped_face_sends_deaths_and_the_host_marks_every_tag_bad(
    face: SparkplugEdgeFace, make_host: MakeHost, collector: Collector
) -> None:
    host = await make_host(face.connector_spec("twin"))
    await eventually(lambda: host.stats.births == 10)
    await face.publish(face.twin.advance(30))
    await face.stop()
    await eventually(lambda: host.stats.deaths == 10, what="nine DDEATHs and the NDEATH")
    last = {p: (t, s) for p, t, _, s in collector.rows()}
    assert {s for _, s in last.values()} == {StatusCode.BAD_NO_COMMUNICATION}
    assert {t for t, _ in last.values()} == {face.twin.now_ns // MS * MS}


async def test_the_face_answers_a_rebirth_request_with_nbirth_then_dbirths(
    face: SparkplugEdgeFace, broker: str
) -> None:
    listener = Listener(broker)
    births = f"spBv1.0/{face.group_id}/+/line1/#"
    await listener.start(births, f"spBv1.0/{face.group_id}/NBIRTH/line1")
    ask = encode([OutMetric(REBIRTH, None, DataType.BOOLEAN, True)])
    await listener.client.publish(f"spBv1.0/{face.group_id}/NCMD/line1", ask)
    await eventually(lambda: len(listener.messages) >= 11, what="the births")
    await listener.close()
    kinds = [m.topic.split("/")[2] for m in listener.messages[1:11]]
    assert kinds == ["NBIRTH"] + ["DBIRTH"] * 9
    payloads = [decode(m.payload) for m in listener.messages[1:11]]
    assert [p.seq for p in payloads] == list(range(10))
    assert payloads[0].value(BD_SEQ) == 0.0


async def test_machine_metrics_carry_sparkplug_datatypes_and_aliases(
    face: SparkplugEdgeFace, broker: str
) -> None:
    listener = Listener(broker)
    await listener.start(f"spBv1.0/{face.group_id}/DBIRTH/line1/press1")
    ask = encode([OutMetric(REBIRTH, None, DataType.BOOLEAN, True)])
    await listener.client.publish(f"spBv1.0/{face.group_id}/NCMD/line1", ask)
    await eventually(lambda: bool(listener.messages))
    await listener.close()
    m = decode(listener.messages[0].payload).metrics
    assert m.names is not None
    types = dict(zip(m.names, m.datatype.tolist(), strict=True))
    assert types["good_count"] == types["scrap_count"] == DataType.UINT64
    assert types["state"] == DataType.INT32
    assert types["vibration_rms"] == types["energy"] == DataType.DOUBLE
    assert types["product"] == types["order"] == DataType.STRING
    assert sorted(m.alias.tolist()) == list(range(1, len(m) + 1))


async def test_seq_counts_every_message_of_the_node_and_wraps_after_255(
    broker: str, group: str
) -> None:
    twin = Twin.from_plant(default_plant(), seed=3, start_ns=START_NS)
    face = SparkplugEdgeFace(twin, broker=broker, group_id=group, max_metrics=4)
    listener = Listener(broker)
    await listener.start(f"spBv1.0/{group}/#")
    await face.start()
    await face.publish(twin.advance(60))
    await face.stop()
    await eventually(lambda: any("NDEATH" in m.topic for m in listener.messages))
    await listener.close()
    seqs = [decode(m.payload).seq for m in listener.messages if "NDEATH" not in m.topic]
    assert len(seqs) > 300
    assert seqs == [i % 256 for i in range(len(seqs))]


async def test_the_will_carries_the_birth_bdseq_and_a_reconnect_counts_it_up(
    face: SparkplugEdgeFace, make_host: MakeHost, collector: Collector
) -> None:
    host = await make_host(face.connector_spec("twin"))
    await eventually(lambda: host.stats.births == 10)
    node = face.nodes[0]
    assert node.client is not None
    node.client.abort()
    await eventually(lambda: host.stats.deaths == 1, what="the will NDEATH")
    await eventually(lambda: host.stats.births == 20, what="births of the new session")
    assert host.stats.stale_deaths == 0
    assert node.bd_seq == 1
    assert host.nodes[(face.group_id, "line1")].bd_seq == 1


def test_the_connector_spec_maps_the_edge_node_to_its_line() -> None:
    twin = Twin.from_plant(default_plant(), seed=3, start_ns=START_NS)
    spec = SparkplugEdgeFace(twin, broker="mqtt://127.0.0.1:1883").connector_spec("twin")
    assert spec.groups == ["stuttgart"]
    assert spec.host_id == "shopfloor"
    assert spec.mapping.nodes == {"stuttgart/line1": "acme/stuttgart/fabrication/line1"}
    assert spec.mapping.prefix == "acme"


CELLS = """
version: 1
enterprise:
  name: acme
  sites:
    - name: s1
      lines:
        - name: line1
          cells:
            - name: cellA
              machines:
                - {name: press1, kind: stamping_press}
            - name: cellB
              machines:
                - {name: cnc1, kind: cnc_mill}
sim:
  line: acme/s1/line1
  stations:
    - {name: stamping, machines: [press1], buffer: 5}
    - {name: machining, machines: [cnc1], buffer: 5}
  products:
    - {name: p, routing: [stamping, machining]}
"""


def test_a_line_with_cells_gets_one_edge_node_per_cell() -> None:
    twin = Twin.from_plant(parse_plant(CELLS), seed=1, start_ns=START_NS)
    face = SparkplugEdgeFace(twin, broker="mqtt://127.0.0.1:1883")
    assert [(n.id, sorted(n.devices)) for n in face.nodes] == [
        ("cellA", ["press1"]),
        ("cellB", ["cnc1"]),
    ]
    assert face.connector_spec("x").mapping.nodes == {
        "s1/cellA": "acme/s1/line1/cellA",
        "s1/cellB": "acme/s1/line1/cellB",
    }
