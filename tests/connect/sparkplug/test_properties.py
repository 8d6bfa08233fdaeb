"""Property-based: whatever arrives on the wire, the host keeps going and counts it all.

Each example births a device, then sends hypothesis' payloads (random bytes, or valid ones
cut short) through the shared broker. Every message must be counted, every rejected one
must be a dead letter, and the host must still be connected.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopfloor.bus import MemoryBus
from shopfloor.connect.base import ConnectorState
from shopfloor.connect.deadletter import MemoryDeadLetters
from shopfloor.connect.sparkplug import SparkplugHost
from shopfloor.connect.sparkplug.codec import DataType, OutMetric, encode
from shopfloor.connect.sparkplug.mapping import state_topic

from .broker import clear_retained, eventually, shared_broker, unique
from .conftest import host_spec
from .edge import RawEdge

KINDS = ["DDATA", "DDATA", "DDATA", "NDATA", "DBIRTH", "DDEATH", "NBIRTH", "NDEATH"]
PROPERTIES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SCAN = encode(
    [OutMetric(None, i, DataType.DOUBLE, i * 1.5, 1_700_000_000_000 + i) for i in range(1, 6)]
    + [OutMetric(None, 6, DataType.STRING, "recipe", 1_700_000_000_000)],
    seq=1,
    timestamp_ms=1_700_000_000_000,
    with_datatype=False,
)
BIRTH = [OutMetric(f"m{i}", i, DataType.DOUBLE, 0.0) for i in range(1, 6)] + [
    OutMetric("m6", 6, DataType.STRING, "")
]


async def run(messages: list[tuple[str, bytes]]) -> None:
    url, group = shared_broker(), unique("g")
    letters, bus = MemoryDeadLetters(), MemoryBus()
    bus.subscribe("#", capacity=10**9)
    host = SparkplugHost(host_spec(url, group), bus, dead_letters=letters)
    await host.start()
    edge = RawEdge(url, group)
    try:
        await host.wait_for(ConnectorState.CONNECTED, 5)
        await edge.connect()
        await edge.birth("dev", BIRTH)
        for kind, data in messages:
            await edge.publish(kind, data, device="dev" if kind[0] == "D" else "")
        expected = 2 + len(messages)
        await eventually(lambda: host.counters.messages >= expected, what="every message")
        assert host.counters.messages == expected
        assert host.counters.rejects == letters.total
        assert host.state is ConnectorState.CONNECTED
    finally:
        await edge.close()
        await host.stop()
        await clear_retained(url, state_topic(host.spec.host_id))


@PROPERTIES
@given(
    st.lists(st.tuples(st.sampled_from(KINDS), st.binary(max_size=300)), min_size=1, max_size=12)
)
async def test_random_payloads_never_stop_the_host_and_are_all_accounted_for(
    messages: list[tuple[str, bytes]],
) -> None:
    await run(messages)


@PROPERTIES
@given(st.lists(st.integers(0, len(SCAN)), min_size=1, max_size=12))
async def test_truncated_data_payloads_are_read_or_dead_letters(cuts: list[int]) -> None:
    await run([("DDATA", SCAN[:cut]) for cut in cuts])
