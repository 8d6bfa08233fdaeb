"""The twin's Modbus face: its register map, and the twin's values read back by the poller."""

from __future__ import annotations

import numpy as np
import pytest

from shopfloor.bus import MemoryBus
from shopfloor.connect.modbus.poller import ModbusPoller
from shopfloor.connect.modbus.registers import compile_map
from shopfloor.model.batch import SampleBatch
from shopfloor.model.quality import StatusCode
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.faces.base import TwinFace
from shopfloor.sim.faces.modbus import ModbusServerFace
from shopfloor.sim.signals import TEXT_TAGS

from .servers import by_path, next_batch

START_NS = 1_767_225_600 * 10**9  # 2026-01-01T00:00Z, a Thursday


@pytest.fixture
def twin() -> Twin:
    return Twin.from_plant(default_plant(), seed=3, start_ns=START_NS)


def newest(batch: SampleBatch) -> dict[str, float]:
    order = np.argsort(batch.source_ns, kind="stable")
    return {batch.paths[batch.tag[i]]: float(batch.value[i]) for i in order}


def test_the_register_map_packs_each_table_by_type(twin: Twin) -> None:
    face = ModbusServerFace(twin)
    by_tag = {r.tag: r for r in face.register_map()}
    machine = twin.machines[0].name
    assert (by_tag[f"{machine}/temperature"].kind, by_tag[f"{machine}/temperature"].type) == (
        "input_register",
        "float32",
    )
    assert (by_tag[f"{machine}/state"].kind, by_tag[f"{machine}/state"].type) == (
        "holding_register",
        "uint16",
    )
    assert by_tag[f"{machine}/good_count"].type == "uint32"
    assert by_tag[f"{machine}/running"].kind == "coil"
    assert not any(tag.endswith(f"/{text}") for tag in by_tag for text in TEXT_TAGS)
    assert [by_tag[f"{m.name}/running"].address for m in twin.machines] == list(
        range(len(twin.machines))
    )


def test_the_connector_spec_maps_every_twin_tag_under_the_line(twin: Twin) -> None:
    face = ModbusServerFace(twin, port=1502)
    spec = face.connector_spec("twin-modbus")
    assert spec.asset == twin.line_path
    paths = set(compile_map(spec).paths)  # a valid map: no overlaps, all in range
    twin_paths = set(twin.advance(60).samples.paths)
    assert twin_paths <= paths
    assert paths - twin_paths == {f"{m.path}/running" for m in twin.machines}


def test_the_face_needs_a_port_before_it_can_describe_its_connector(twin: Twin) -> None:
    with pytest.raises(RuntimeError, match="start it first"):
        ModbusServerFace(twin).connector_spec("twin-modbus")


async def test_the_poller_reads_the_twins_newest_values_under_their_paths(twin: Twin) -> None:
    face: TwinFace = ModbusServerFace(twin, poll_interval=0.05)
    await face.start()
    out = twin.advance(3600)
    await face.publish(out)
    bus = MemoryBus()
    sub = bus.subscribe("#")
    poller = ModbusPoller(face.connector_spec("twin-modbus"), bus)
    await poller.start()
    try:
        batch = await next_batch(sub, lambda b: True)
    finally:
        await poller.stop()
        await face.stop()
    read = by_path(batch)
    for path, value in newest(out.samples).items():
        assert read[path] == (pytest.approx(value, rel=1e-6), StatusCode.GOOD), path
    for machine in twin.machines:
        state = read[f"{machine.path}/state"][0]
        assert read[f"{machine.path}/running"][0] == float(state == 1.0)


async def test_a_restarted_face_serves_the_same_values_on_the_same_port(twin: Twin) -> None:
    face = ModbusServerFace(twin, poll_interval=0.05)
    await face.start()
    port = face.port
    await face.publish(twin.advance(600))
    await face.stop()
    await face.publish(twin.advance(600))  # the device is gone, its PLC keeps counting
    await face.start()
    bus = MemoryBus()
    sub = bus.subscribe("#")
    poller = ModbusPoller(face.connector_spec("twin-modbus"), bus)
    await poller.start()
    try:
        batch = await next_batch(sub, lambda b: True)
    finally:
        await poller.stop()
        await face.stop()
    assert face.port == port
    good = f"{twin.machines[0].path}/good_count"
    assert twin.status()[0].good > 0
    assert by_path(batch)[good][0] == twin.status()[0].good


async def test_before_the_first_chunk_the_face_serves_the_machines_present_states(
    twin: Twin,
) -> None:
    face = ModbusServerFace(twin, poll_interval=0.05)
    await face.start()
    bus = MemoryBus()
    sub = bus.subscribe("#")
    poller = ModbusPoller(face.connector_spec("twin-modbus"), bus)
    await poller.start()
    try:
        batch = await next_batch(sub, lambda b: True)
    finally:
        await poller.stop()
        await face.stop()
    read = by_path(batch)
    assert [read[f"{m.path}/state"][0] for m in twin.status()] == [
        float(m.state.code) for m in twin.status()
    ]
