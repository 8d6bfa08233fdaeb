"""The twin behind its OPC UA face, read back by the connector the face describes.

Includes the fault test of the issue: the OPC UA server restarts; the connector recovers
without help, and the gap shows as bad quality, not as silence.
"""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from shopfloor.bus import MemoryBus
from shopfloor.connect.base import ConnectorState
from shopfloor.connect.opcua.client import OpcUaConnector
from shopfloor.model.batch import Sample
from shopfloor.model.quality import StatusCode
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.faces.opcua import OpcUaServerFace, newest_rows
from shopfloor.sim.twin import TwinOutput

from .helpers import FAST_BACKOFF, bus_and_subscription, collect, connected, running

pytestmark = pytest.mark.asyncio(loop_scope="module")

START_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
BAD = StatusCode.BAD_NO_COMMUNICATION


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def face() -> AsyncIterator[OpcUaServerFace]:
    """The default plant's twin behind its OPC UA face, with the face's own keys."""
    served = OpcUaServerFace(Twin.from_plant(default_plant(), seed=1, start_ns=START_NS))
    await served.start()
    yield served
    await served.stop()


def connector(face: OpcUaServerFace, bus: MemoryBus) -> OpcUaConnector:
    """The face's own connector spec, made quick to notice a dead server (tests only)."""
    spec = face.connector_spec("twin-opcua").model_copy(
        update={"backoff": FAST_BACKOFF, "watchdog_interval": 0.2, "publishing_interval_ms": 50}
    )
    return OpcUaConnector(spec, bus)


def newest(out: TwinOutput) -> set[tuple[str, int, float | str]]:
    """Each tag's newest (path, source time, value) in a chunk: what the face serves.

    Times are cut to whole microseconds, the resolution of Python's datetime, in which
    asyncua carries OPC UA timestamps.
    """
    found: set[tuple[str, int, float | str]] = set()
    for batch in (out.samples, out.texts):
        for row in newest_rows(batch):
            path = batch.paths[batch.tag[row]]
            found.add((path, int(batch.source_ns[row]) // 1000 * 1000, batch.value[row]))
    return found


def arrived(samples: list[Sample]) -> set[tuple[str, int, float | str]]:
    return {(s.path, s.source_ns, s.value) for s in samples}


def all_of(expected: set[tuple[str, int, float | str]]):  # type: ignore[no-untyped-def]
    return lambda seen: expected <= arrived(seen)


async def test_the_face_serves_each_tags_newest_value_of_a_chunk_with_its_source_time(
    face: OpcUaServerFace,
) -> None:
    bus, sub = bus_and_subscription()
    async with running(connector(face, bus)) as link:
        await connected(link)
        out = face.twin.advance(120)
        await face.publish(out)
        seen = await collect(sub, all_of(newest(out)))
    assert {p.path for p in link.points} == set(face.twin.tree.select(f"{face.twin.line_path}/#"))
    # Before the first chunk every tag waited for data, since the twin's start.
    waiting = [s for s in seen if s.status == StatusCode.BAD_WAITING_FOR_INITIAL_DATA]
    assert {s.source_ns for s in waiting} == {START_NS}
    served = newest(out)
    assert all(
        s.status == StatusCode.GOOD for s in seen if (s.path, s.source_ns, s.value) in served
    )


async def test_after_a_server_restart_the_connector_recovers_and_the_gap_shows_as_bad(
    face: OpcUaServerFace,
) -> None:
    bus, sub = bus_and_subscription()
    async with running(connector(face, bus)) as link:
        await connected(link)
        before = face.twin.advance(60)
        await face.publish(before)
        delivered = await collect(sub, all_of(newest(before)))

        await face.stop()
        tags = {s.path for s in delivered}
        gap = await collect(sub, lambda s: tags <= {x.path for x in s if x.status == BAD})
        await link.wait_for(ConnectorState.BACKING_OFF, 5)

        await face.start()
        await connected(link)
        after = face.twin.advance(60)
        await face.publish(after)
        recovered = await collect(sub, all_of(newest(after)))

    marked = [s for s in gap if s.status == BAD]
    assert {s.path for s in marked} == tags
    assert all(s.source_ns > max(t for _, t, _ in newest(before)) for s in marked)
    fresh = [s for s in recovered if (s.path, s.source_ns, s.value) in newest(after)]
    assert fresh
    assert all(s.status == StatusCode.GOOD for s in fresh)
    assert link.counters.reconnects >= 1
    assert link.last_error is None


async def test_the_face_keeps_its_keys_private_and_removes_them_when_stopped(
    face: OpcUaServerFace,
) -> None:
    pki = face.server.pki_dir
    assert pki is not None
    key = pki / "client.key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(pki.stat().st_mode) == 0o700
    await face.stop()
    assert not pki.exists()
