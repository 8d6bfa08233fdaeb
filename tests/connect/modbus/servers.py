"""Real pymodbus servers for the integration tests, on free local ports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from shopfloor.bus import MemorySubscription
from shopfloor.model.batch import SampleBatch


@asynccontextmanager
async def plain_server(
    *,
    coils: list[bool] | None = None,
    inputs: list[bool] | None = None,
    holding: list[int] | None = None,
    input_registers: list[int] | None = None,
    unit_id: int = 1,
    trace_packet: Callable[[bool, bytes], bytes] | None = None,
    trace_pdu: Callable[[bool, ModbusPDU], ModbusPDU] | None = None,
) -> AsyncIterator[int]:
    """A device with the given tables from address 0; yields its port."""
    device = SimDevice(
        id=unit_id,
        simdata=(
            [SimData(0, values=coils or [False], datatype=DataType.BITS)],
            [SimData(0, values=inputs or [False], datatype=DataType.BITS)],
            [SimData(0, values=holding or [0], datatype=DataType.REGISTERS)],
            [SimData(0, values=input_registers or [0], datatype=DataType.REGISTERS)],
        ),
    )
    server = ModbusTcpServer(
        device, address=("127.0.0.1", 0), trace_packet=trace_packet, trace_pdu=trace_pdu
    )
    await server.serve_forever(background=True)
    listener: Any = server.transport
    try:
        yield int(listener.sockets[0].getsockname()[1])
    finally:
        await server.shutdown()


async def next_batch(
    sub: MemorySubscription, until: Callable[[SampleBatch], bool], timeout: float = 5.0
) -> SampleBatch:
    """The first numeric batch for which ``until`` holds."""

    async def wait() -> SampleBatch:
        while True:
            message = await sub.get()
            if isinstance(message, SampleBatch) and until(message):
                return message

    return await asyncio.wait_for(wait(), timeout)


def by_path(batch: SampleBatch) -> dict[str, tuple[float, int]]:
    """Each path's (value, status) in a batch (the last row wins)."""
    return {s.path: (float(s.value), s.status) for s in batch.samples()}
