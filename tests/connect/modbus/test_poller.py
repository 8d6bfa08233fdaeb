"""The poller against a real pymodbus server: values, failures of one request, rejects."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pymodbus.pdu import ModbusPDU

from shopfloor.bus import MemoryBus, MemorySubscription
from shopfloor.connect import ConnectorState, MemoryDeadLetters
from shopfloor.connect.modbus.poller import EXCEPTION_STATUS, ModbusPoller, honour_cancellation
from shopfloor.model.quality import StatusCode
from shopfloor.model.spec_modbus import ModbusConnectorSpec

from .servers import by_path, next_batch, plain_server

ASSET = "acme/plant1/line2"


def spec(port: int, *registers: dict[str, Any], **settings: Any) -> ModbusConnectorSpec:
    return ModbusConnectorSpec.model_validate(
        {
            "name": "press-plc",
            "type": "modbus",
            "host": "127.0.0.1",
            "port": port,
            "asset": ASSET,
            "poll_interval": 0.05,
            "timeout": 0.5,
            "backoff": {"initial": 0.05, "max": 0.2},
            "registers": list(registers),
            **settings,
        }
    )


@asynccontextmanager
async def polling(
    poller_spec: ModbusConnectorSpec, **kw: Any
) -> AsyncIterator[tuple[ModbusPoller, MemorySubscription]]:
    bus = MemoryBus()
    sub = bus.subscribe("#")
    poller = ModbusPoller(poller_spec, bus, **kw)
    await poller.start()
    try:
        yield poller, sub
    finally:
        await poller.stop()


async def test_values_of_every_table_and_type_arrive_under_their_paths() -> None:
    holding = [0x42F6, 0xE979, 0xFF85, 0x5678, 0x1234, 0b0100, 0, 0, 250]
    async with plain_server(
        coils=[True, False, True],
        inputs=[False, True],
        holding=holding,
        input_registers=[0xEB32, 0xA4F8, 1234],
    ) as port:
        poller_spec = spec(
            port,
            {"tag": "press3/temperature", "address": "40001", "type": "float32"},
            {"tag": "press3/offset", "address": 2, "type": "int16"},
            {"tag": "press3/count", "address": 3, "type": "uint32", "word_order": "little"},
            {"tag": "press3/door_open", "address": 5, "type": "bool", "bit": 2},
            {"tag": "press3/pressure", "address": "40009", "scale": 0.1, "offset": -5},
            {
                "tag": "press3/torque",
                "address": "30001",
                "type": "int32",
                "word_order": "little",
                "byte_order": "little",
            },
            {"tag": "press3/speed", "address": "30003"},
            {"tag": "press3/running", "address": "00001"},
            {"tag": "press3/jogging", "address": "00002"},
            {"tag": "press3/guard_closed", "address": "10002"},
        )
        async with polling(poller_spec) as (poller, sub):
            batch = await next_batch(sub, lambda b: True)
    values = by_path(batch)
    assert values == {
        f"{ASSET}/press3/temperature": (pytest.approx(123.456), StatusCode.GOOD),
        f"{ASSET}/press3/offset": (-123.0, StatusCode.GOOD),
        f"{ASSET}/press3/count": (0x12345678, StatusCode.GOOD),
        f"{ASSET}/press3/door_open": (1.0, StatusCode.GOOD),
        f"{ASSET}/press3/pressure": (pytest.approx(20.0), StatusCode.GOOD),
        f"{ASSET}/press3/torque": (-123456789.0, StatusCode.GOOD),
        f"{ASSET}/press3/speed": (1234.0, StatusCode.GOOD),
        f"{ASSET}/press3/running": (1.0, StatusCode.GOOD),
        f"{ASSET}/press3/jogging": (0.0, StatusCode.GOOD),
        f"{ASSET}/press3/guard_closed": (1.0, StatusCode.GOOD),
    }
    assert len(set(batch.source_ns.tolist())) == 1, "one poll, one time stamp"
    assert [(r.kind, r.address, r.count) for r in poller.requests] == [
        ("coil", 0, 2),
        ("discrete_input", 1, 1),
        ("input_register", 0, 3),
        ("holding_register", 0, 9),
    ]


async def test_a_failed_request_marks_only_its_values_bad_and_polling_goes_on() -> None:
    async with plain_server(holding=[7, 8]) as port:
        poller_spec = spec(
            port,
            {"tag": "press3/good", "address": 1},
            {"tag": "press3/missing", "address": 400},  # the device has no register 400
            max_gap=0,
        )
        async with polling(poller_spec) as (poller, sub):
            for _ in range(3):
                batch = await next_batch(sub, lambda b: True)
            assert poller.state is ConnectorState.CONNECTED
    assert by_path(batch)[f"{ASSET}/press3/good"] == (8.0, StatusCode.GOOD)
    value, status = by_path(batch)[f"{ASSET}/press3/missing"]
    assert math.isnan(value)
    assert status == StatusCode.BAD_CONFIGURATION_ERROR
    assert poller.counters.reconnects == 0


async def test_a_device_that_does_not_answer_gives_bad_timeout() -> None:
    def swallow_answers(sending: bool, packet: bytes) -> bytes:
        return b"" if sending else packet

    async with plain_server(holding=[1, 2], trace_packet=swallow_answers) as port:
        poller_spec = spec(port, {"tag": "press3/a", "address": 0}, timeout=0.2)
        async with polling(poller_spec) as (_, sub):
            batch = await next_batch(sub, lambda b: True)
    assert by_path(batch)[f"{ASSET}/press3/a"][1] == StatusCode.BAD_TIMEOUT


async def test_a_short_response_is_rejected_to_the_dead_letters_and_marked_bad() -> None:
    def drop_last_register(sending: bool, pdu: ModbusPDU) -> ModbusPDU:
        if sending and pdu.registers:
            pdu.registers = list(pdu.registers)[:-1]
        return pdu

    letters = MemoryDeadLetters()
    async with plain_server(holding=[1, 2, 3], trace_pdu=drop_last_register) as port:
        poller_spec = spec(
            port, {"tag": "press3/a", "address": 0}, {"tag": "press3/b", "address": 2}
        )
        async with polling(poller_spec, dead_letters=letters) as (poller, sub):
            batch = await next_batch(sub, lambda b: True)
    assert {status for _, status in by_path(batch).values()} == {StatusCode.BAD_COMMUNICATION_ERROR}
    letter = letters.recent("press-plc")[0]
    assert letter.reason == "short response: asked for 3, got 2"
    assert letter.source.endswith("holding register 0..2")
    assert letter.payload == bytes([0, 1, 0, 2])
    assert poller.counters.rejects >= 1


async def test_an_unreachable_device_is_retried_with_backoff_without_samples() -> None:
    async with plain_server() as port:
        pass  # the port is free again: nothing listens there
    bus = MemoryBus()
    sub = bus.subscribe("#")
    poller = ModbusPoller(spec(port, {"tag": "press3/a", "address": 0}), bus)
    await poller.start()
    await poller.wait_for(ConnectorState.BACKING_OFF, timeout=5)
    await poller.wait_for(ConnectorState.CONNECTING, timeout=5)
    await poller.wait_for(ConnectorState.BACKING_OFF, timeout=5)
    await poller.stop()
    assert poller.counters.reconnects >= 2
    assert "cannot connect to 127.0.0.1" in (poller.last_error or "")
    assert sub.get_nowait() is None


def test_every_modbus_exception_code_has_a_bad_status() -> None:
    assert all(code.quality.name == "BAD" for code in EXCEPTION_STATUS.values())
    assert EXCEPTION_STATUS[2] == StatusCode.BAD_CONFIGURATION_ERROR
    assert EXCEPTION_STATUS[4] == StatusCode.BAD_DEVICE_FAILURE
    assert EXCEPTION_STATUS[11] == StatusCode.BAD_TIMEOUT


async def test_a_float_that_is_not_a_number_is_kept_and_marked_bad() -> None:
    async with plain_server(holding=[0x7FC0, 0x0000, 0x3F80, 0x0000]) as port:  # NaN, 1.0
        poller_spec = spec(
            port,
            {"tag": "press3/a", "address": 0, "type": "float32"},
            {"tag": "press3/b", "address": 2, "type": "float32"},
        )
        async with polling(poller_spec) as (_, sub):
            batch = await next_batch(sub, lambda b: True)
    values = by_path(batch)
    assert math.isnan(values[f"{ASSET}/press3/a"][0])
    assert values[f"{ASSET}/press3/a"][1] == StatusCode.BAD
    assert values[f"{ASSET}/press3/b"] == (1.0, StatusCode.GOOD)


async def test_a_cancellation_that_wait_for_swallowed_still_ends_the_poll_loop() -> None:
    # Python 3.11's wait_for returns the result when the awaited future completes in the
    # same loop iteration as the cancellation; pymodbus awaits every response that way.
    async def poll_once() -> None:
        answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        task = asyncio.current_task()
        assert task is not None

        def answer_and_cancel() -> None:
            answer.set_result(1)
            task.cancel()

        asyncio.get_running_loop().call_soon(answer_and_cancel)
        with contextlib.suppress(asyncio.CancelledError):  # 3.12 raises; 3.11 returns 1
            await asyncio.wait_for(answer, timeout=1)
        honour_cancellation()

    task = asyncio.create_task(poll_once())
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
