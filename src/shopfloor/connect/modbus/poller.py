"""The Modbus TCP poller: read a device's register map every ``poll_interval``.

At start the map is checked (:func:`~shopfloor.connect.modbus.registers.compile_map`) and
planned into the fewest read requests (:func:`~shopfloor.connect.modbus.plan.plan_requests`).
Each poll sends those requests one after another and publishes every mapped value as one
:class:`~shopfloor.model.batch.SampleBatch`, stamped with the time the poll began.

Failures stay as narrow as they are:

* a request that fails (an exception response, no answer in ``timeout``) marks only its own
  values bad in that poll's batch, with the OPC UA code that says why (:data:`EXCEPTION_STATUS`,
  ``BadTimeout``, ``BadCommunicationError``); the next poll tries again;
* a response too short for the request is rejected to the dead letters and its values
  marked ``BadCommunicationError``;
* a float that decodes to NaN or infinity is kept and marked ``Bad``;
* a lost connection ends the session; the connector life cycle then marks every tag
  ``BadNoCommunication`` and reconnects with backoff (:mod:`shopfloor.connect.base`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Unpack

import numpy as np
import numpy.typing as npt
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.pdu import ModbusPDU

from shopfloor.bus.base import Bus
from shopfloor.connect.base import ConnectorError, DriverOptions, SpecConnector
from shopfloor.connect.modbus.codec import FieldGroup, decode_bits, field_groups
from shopfloor.connect.modbus.plan import ReadRequest, plan_requests
from shopfloor.connect.modbus.registers import BIT_KINDS, KIND_NAMES, RegisterMap, compile_map
from shopfloor.model.batch import SampleBatch
from shopfloor.model.quality import StatusCode, status_name
from shopfloor.model.spec_modbus import ModbusConnectorSpec

EXCEPTION_STATUS: dict[int, StatusCode] = {
    0x01: StatusCode.BAD_CONFIGURATION_ERROR,  # illegal function: no such table
    0x02: StatusCode.BAD_CONFIGURATION_ERROR,  # illegal address: the map names a missing one
    0x03: StatusCode.BAD_CONFIGURATION_ERROR,  # illegal value: the count is refused
    0x04: StatusCode.BAD_DEVICE_FAILURE,  # server device failure
    0x05: StatusCode.BAD_COMMUNICATION_ERROR,  # acknowledge: busy with a long command
    0x06: StatusCode.BAD_COMMUNICATION_ERROR,  # server device busy
    0x08: StatusCode.BAD_DEVICE_FAILURE,  # memory parity error
    0x0A: StatusCode.BAD_NO_COMMUNICATION,  # gateway has no path to the device
    0x0B: StatusCode.BAD_TIMEOUT,  # gateway: the device did not answer
}
"""OPC UA status for each Modbus exception code; others give ``BadCommunicationError``."""

_READS = {
    "coil": "read_coils",
    "discrete_input": "read_discrete_inputs",
    "input_register": "read_input_registers",
    "holding_register": "read_holding_registers",
}


class ModbusConnectionError(ConnectorError):
    """The device cannot be reached, or the connection to it was lost."""

    code = "connect.modbus.connection"


class _ReadError(Exception):
    """One read failed; ``status`` says how (it becomes the status of the request's values)."""

    def __init__(self, status: StatusCode, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class _Reader:
    """A planned request and where its values go in the poll's arrays."""

    request: ReadRequest
    slots: npt.NDArray[np.intp]
    bit_offsets: npt.NDArray[np.intp] | None
    groups: tuple[FieldGroup, ...]

    def decode_into(self, response: ModbusPDU, values: npt.NDArray[np.float64]) -> None:
        if self.bit_offsets is not None:
            bits = np.asarray(response.bits, bool)
            _check_length(len(bits), self.request)
            values[self.slots] = decode_bits(bits, self.bit_offsets)
            return
        words = np.asarray(response.registers, np.uint16)
        _check_length(len(words), self.request)
        for group in self.groups:
            group.decode_into(words, values)


def honour_cancellation() -> None:
    """Raise ``CancelledError`` if this task was asked to stop.

    On Python 3.11, ``asyncio.wait_for`` (which pymodbus awaits each response with) drops a
    cancellation that arrives together with the response; the request then returns as if
    nothing happened. The request stays counted in ``Task.cancelling()``, so checking it
    once per poll makes :meth:`Connector.stop` end the session every time.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _check_length(got: int, request: ReadRequest) -> None:
    # Coil responses come in whole bytes, so more bits than asked for are normal.
    if got < request.count:
        raise ValueError(f"asked for {request.count}, got {got}")


class ModbusPoller(SpecConnector[ModbusConnectorSpec]):
    """Polls one Modbus TCP device (one unit id) for the values in its register map."""

    type = "modbus"

    def __init__(
        self, spec: ModbusConnectorSpec, bus: Bus, **options: Unpack[DriverOptions]
    ) -> None:
        super().__init__(spec, bus, **options)
        self.map: RegisterMap = compile_map(spec)
        self.requests = plan_requests(
            [p.span for p in self.map.points],
            max_gap=spec.max_gap,
            max_registers=spec.max_registers,
            max_bits=spec.max_bits,
        )
        self._readers = tuple(self._reader(r) for r in self.requests)
        self._paths = self.map.paths
        self._tag = np.arange(len(self._paths), dtype=np.int32)
        self._failing: dict[int, str] = {}
        self.polls = 0

    def _reader(self, request: ReadRequest) -> _Reader:
        points = [self.map.points[i] for i in request.members]
        slots = np.array(request.members, np.intp)
        if request.kind in BIT_KINDS:
            offsets = np.array([p.address - request.address for p in points], np.intp)
            return _Reader(request, slots, offsets, ())
        groups = field_groups(points, list(request.members), request.address)
        return _Reader(request, slots, None, tuple(groups))

    @property
    def where(self) -> str:
        """``host:port unit n``, for messages."""
        return f"{self.spec.host}:{self.spec.port} unit {self.spec.unit_id}"

    # -- session -------------------------------------------------------------------------
    async def session(self) -> None:
        """Connect, then poll every ``poll_interval`` until the connection is lost."""
        client = AsyncModbusTcpClient(
            self.spec.host,
            port=self.spec.port,
            name=f"modbus {self.name}",
            timeout=self.spec.timeout,
            retries=0,  # the next poll is the retry
            reconnect_delay=0,  # reconnecting is the life cycle's job, with its backoff
        )
        try:
            if not await client.connect():
                raise ModbusConnectionError(f"cannot connect to {self.where}")
            self.connected()
            await self._poll_forever(client)
        finally:
            client.close()

    async def _poll_forever(self, client: AsyncModbusTcpClient) -> None:
        interval_ns = round(self.spec.poll_interval * 1e9)
        while True:
            honour_cancellation()
            started = self.clock.now_ns()
            await self.publish_poll(client)
            spent = self.clock.now_ns() - started
            await self.clock.sleep(max(0, interval_ns - spent) / 1e9)

    async def publish_poll(self, client: AsyncModbusTcpClient) -> SampleBatch:
        """Read every planned request once and publish the values as one batch."""
        started = self.clock.now_ns()
        n = len(self._paths)
        values = np.full(n, np.nan)
        status = np.zeros(n, np.uint32)
        answered = 0
        for index, reader in enumerate(self._readers):
            answered += await self._read_into(client, index, reader, values, status)
        status[(status == StatusCode.GOOD) & ~np.isfinite(values)] = StatusCode.BAD
        batch = SampleBatch(
            paths=self._paths,
            tag=self._tag,
            source_ns=np.full(n, started, np.int64),
            receive_ns=np.full(n, self.clock.now_ns(), np.int64),
            status=status,
            value=values,
        )
        self.polls += 1
        await self.publish(batch, messages=answered)
        return batch

    async def _read_into(
        self,
        client: AsyncModbusTcpClient,
        index: int,
        reader: _Reader,
        values: npt.NDArray[np.float64],
        status: npt.NDArray[np.uint32],
    ) -> int:
        """Read one request into the arrays; 1 if the device answered usefully, else 0."""
        try:
            response = await self._read(client, reader.request)
        except _ReadError as failure:
            status[reader.slots] = failure.status
            self._note_failure(index, reader.request, f"{status_name(failure.status)}: {failure}")
            return 0
        try:
            reader.decode_into(response, values)
        except ValueError as exc:
            status[reader.slots] = StatusCode.BAD_COMMUNICATION_ERROR
            await self._reject_short(reader.request, response, exc)
            return 0
        self._note_recovery(index, reader.request)
        return 1

    async def _read(self, client: AsyncModbusTcpClient, request: ReadRequest) -> ModbusPDU:
        if not client.connected:
            raise ModbusConnectionError(f"connection to {self.where} lost")
        read: Any = getattr(client, _READS[request.kind])
        began = time.monotonic()
        try:
            response: ModbusPDU = await read(
                request.address, count=request.count, device_id=self.spec.unit_id
            )
        except ConnectionException as exc:
            raise ModbusConnectionError(f"connection to {self.where} lost: {exc}") from exc
        except ModbusIOException as exc:
            # pymodbus raises this both for no answer in time and for a garbled answer;
            # only the time taken tells them apart.
            late = time.monotonic() - began >= 0.9 * self.spec.timeout
            code = StatusCode.BAD_TIMEOUT if late else StatusCode.BAD_COMMUNICATION_ERROR
            raise _ReadError(code, str(exc)) from exc
        except ModbusException as exc:
            raise _ReadError(StatusCode.BAD_COMMUNICATION_ERROR, str(exc)) from exc
        if response.isError():
            exception = response.exception_code
            failed = EXCEPTION_STATUS.get(exception, StatusCode.BAD_COMMUNICATION_ERROR)
            raise _ReadError(failed, f"exception response {exception}")
        return response

    # -- failures ------------------------------------------------------------------------
    def _describe(self, request: ReadRequest) -> str:
        last = request.end - 1
        return f"{self.where} {KIND_NAMES[request.kind]} {request.address}..{last}"

    def _note_failure(self, index: int, request: ReadRequest, reason: str) -> None:
        # Log a failing request once, not once per poll.
        if self._failing.get(index) != reason:
            self._failing[index] = reason
            self.log.warning("read of %s failed: %s", self._describe(request), reason)

    def _note_recovery(self, index: int, request: ReadRequest) -> None:
        if self._failing.pop(index, None) is not None:
            self.log.info("read of %s works again", self._describe(request))

    async def _reject_short(
        self, request: ReadRequest, response: ModbusPDU, exc: Exception
    ) -> None:
        if request.kind in BIT_KINDS:
            payload = np.packbits(np.asarray(response.bits, bool), bitorder="little").tobytes()
        else:
            payload = np.asarray(response.registers, ">u2").tobytes()
        await self.reject(f"short response: {exc}", self._describe(request), payload)
