"""The twin as a Modbus TCP device: one unit id serving every machine of the line.

:class:`ModbusServerFace` runs a pymodbus server on a local port and, for each chunk the
twin produces, writes each tag's newest value into its registers, as a PLC updates its
process image. The register map is generated from the twin's tags, machine by machine in
line order, densely packed from address 0 of each table:

* input registers: every analog tag (temperatures, vibration, power, energy, cycle time)
  as float32, two registers, most significant word first;
* holding registers: per machine ``state`` (uint16, the :class:`MachineState` code), then
  ``good_count`` and ``scrap_count`` (uint32, two registers each);
* coils: per machine ``running`` (1 while the state is running), a tag the twin derives
  for Modbus only;
* no discrete inputs; text tags (product, order, state reason) have no Modbus form.

One device with all machines (rather than a unit id per machine) fits the twin's face
protocol, which gives one connector spec: its ``asset`` is the line and each register's
``tag`` is ``<machine>/<tag>``, the machine's path relative to the line. ``demo --protocol
modbus`` can therefore start the face, build the poller from :meth:`connector_spec`, and feed
every chunk to :meth:`publish`; the text samples and events of each chunk do not travel
over Modbus and have to reach the bus another way (or be left out).

Modbus carries no timestamps: the poller stamps values with its poll time, and between
two polls it sees only the newest value of each chunk.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from shopfloor.connect.modbus.codec import encode_values
from shopfloor.model.batch import SampleBatch
from shopfloor.model.spec_modbus import (
    ModbusConnectorSpec,
    RegisterKind,
    RegisterSpec,
    RegisterType,
)
from shopfloor.model.states import MachineState
from shopfloor.sim.signals import numeric_tags
from shopfloor.sim.twin import Twin, TwinOutput

RUNNING_TAG = "running"
"""The coil tag each machine gets: 1 while its state is running."""

_FUNCTION_CODES: dict[RegisterKind, int] = {
    "coil": 15,
    "input_register": 4,
    "holding_register": 16,
}
"""Function codes whose table the face writes (the server's datastore is keyed by them)."""
_WORD_TYPES: tuple[RegisterType, ...] = ("uint16", "uint32", "float32")


@dataclass(frozen=True)
class FaceRegister:
    """One served value: the twin's tag path and its place in the register map."""

    path: str
    register: RegisterSpec
    kind: RegisterKind
    address: int
    type: RegisterType


class _Layout:
    """Assigns addresses table by table, densely from 0."""

    def __init__(self) -> None:
        self.next: dict[RegisterKind, int] = dict.fromkeys(_FUNCTION_CODES, 0)
        self.entries: list[FaceRegister] = []

    def add(
        self, path: str, tag: str, kind: RegisterKind, value_type: RegisterType, unit: str | None
    ) -> None:
        address = self.next[kind]
        self.next[kind] += 2 if value_type in ("float32", "uint32") else 1
        spec = RegisterSpec(tag=tag, kind=kind, address=address, type=value_type, unit=unit)
        self.entries.append(FaceRegister(path, spec, kind, address, value_type))


def _kind_and_type(tag: str) -> tuple[RegisterKind, RegisterType]:
    if tag == "state":
        return "holding_register", "uint16"
    if tag.endswith("_count"):
        return "holding_register", "uint32"
    return "input_register", "float32"


def _layout(twin: Twin) -> _Layout:
    layout = _Layout()
    for machine in twin.machines:
        relative = machine.path.removeprefix(twin.line_path + "/")
        for signal in numeric_tags(twin.kinds[machine.name]):
            kind, value_type = _kind_and_type(signal.name)
            path = f"{machine.path}/{signal.name}"
            layout.add(path, f"{relative}/{signal.name}", kind, value_type, signal.unit)
    for machine in twin.machines:
        relative = machine.path.removeprefix(twin.line_path + "/")
        layout.add(
            f"{machine.path}/{RUNNING_TAG}", f"{relative}/{RUNNING_TAG}", "coil", "bool", None
        )
    return layout


class ModbusServerFace:
    """A Modbus TCP server in front of a :class:`Twin` (see the module docstring).

    ``port=0`` takes a free port, known after :meth:`start` as :attr:`port`; a later
    :meth:`start` after :meth:`stop` listens on that same port again, with the same values,
    as a device that comes back.
    """

    def __init__(
        self,
        twin: Twin,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        unit_id: int = 1,
        poll_interval: float = 1.0,
    ) -> None:
        self.twin = twin
        self.host = host
        self.port = port
        self.unit_id = unit_id
        self.poll_interval = poll_interval
        layout = _layout(twin)
        self._entries = tuple(layout.entries)
        self._sizes = dict(layout.next)
        self._index = {e.path: i for i, e in enumerate(self._entries)}
        self._values = np.zeros(len(self._entries))
        self._coils = self._select("coil", "bool")
        self._coil_states = np.array(
            [
                self._index[self._entries[i].path.removesuffix(RUNNING_TAG) + "state"]
                for i in self._coils
            ],
            np.intp,
        )
        self._take_status()
        self._server: ModbusTcpServer | None = None

    def _take_status(self) -> None:
        """Serve each machine's present state and counts until the first chunk arrives.

        A PLC never reports state 0 (no such state); the other values start at 0.
        """
        for machine in self.twin.status():
            for tag, value in (
                ("state", machine.state.code),
                ("good_count", machine.good),
                ("scrap_count", machine.scrap),
            ):
                entry = self._index.get(f"{machine.path}/{tag}")
                if entry is not None:
                    self._values[entry] = value
        self._derive_running()

    def _select(self, kind: RegisterKind, value_type: RegisterType) -> npt.NDArray[np.intp]:
        chosen = [i for i, e in enumerate(self._entries) if (e.kind, e.type) == (kind, value_type)]
        return np.array(chosen, np.intp)

    # -- description ---------------------------------------------------------------------
    def register_map(self) -> list[RegisterSpec]:
        """The plant-file register map of this device, tags relative to the line."""
        return [e.register for e in self._entries]

    def registers(self) -> tuple[FaceRegister, ...]:
        """Every served value with its twin tag path."""
        return self._entries

    def connector_spec(self, name: str) -> ModbusConnectorSpec:
        """A poller spec for this device; after :meth:`start` when the port was 0."""
        if self.port == 0:
            raise RuntimeError("the Modbus face has no port yet: start it first")
        return ModbusConnectorSpec(
            name=name,
            type="modbus",
            host=self.host,
            port=self.port,
            unit_id=self.unit_id,
            asset=self.twin.line_path,
            poll_interval=self.poll_interval,
            registers=self.register_map(),
        )

    # -- serving -------------------------------------------------------------------------
    @property
    def serving(self) -> bool:
        """Whether the server listens now."""
        return self._server is not None

    async def start(self) -> None:
        """Listen on ``host:port`` with the current values."""
        if self._server is not None:
            return
        server = ModbusTcpServer(self._device(), address=(self.host, self.port))
        try:
            await server.serve_forever(background=True)
        except RuntimeError as exc:
            raise OSError(f"Modbus face cannot listen on {self.host}:{self.port}") from exc
        # A listening pymodbus server's transport is the asyncio server and its sockets.
        listener = cast(asyncio.Server, server.transport)
        self.port = int(listener.sockets[0].getsockname()[1])
        self._server = server

    async def stop(self) -> None:
        """Stop listening and drop every client connection (the device is gone)."""
        server, self._server = self._server, None
        if server is not None:
            await server.shutdown()  # type: ignore[no-untyped-call]  # pymodbus leaves it bare

    async def publish(self, out: TwinOutput) -> None:
        """Take each tag's newest value in the chunk into the registers."""
        self._take_newest(out.samples)
        if self._server is None:
            return
        for kind, values in self._tables().items():
            await self._server.async_setValues(self.unit_id, _FUNCTION_CODES[kind], 0, values)

    def _take_newest(self, batch: SampleBatch) -> None:
        if not len(batch):
            return
        order = np.lexsort((batch.source_ns, batch.tag))
        tags = batch.tag[order]
        newest = order[np.r_[tags[1:] != tags[:-1], True]]
        for row in newest:
            entry = self._index.get(batch.paths[batch.tag[row]])
            if entry is not None:
                self._values[entry] = batch.value[row]
        self._derive_running()

    def _derive_running(self) -> None:
        running = float(MachineState.RUNNING.code)
        self._values[self._coils] = self._values[self._coil_states] == running

    # -- the register image --------------------------------------------------------------
    def _tables(self) -> dict[RegisterKind, list[int] | list[bool]]:
        tables: dict[RegisterKind, list[int] | list[bool]] = {
            "coil": [bool(v) for v in self._values[self._coils]],
            "input_register": self._words("input_register").tolist(),
            "holding_register": self._words("holding_register").tolist(),
        }
        return {kind: values for kind, values in tables.items() if values}

    def _words(self, kind: RegisterKind) -> npt.NDArray[np.uint16]:
        words = np.zeros(self._sizes[kind], np.uint16)
        for value_type in _WORD_TYPES:
            chosen = self._select(kind, value_type)
            if not len(chosen):
                continue
            encoded = encode_values(self._values[chosen], value_type)
            starts = np.array([self._entries[i].address for i in chosen], np.intp)
            for column in range(encoded.shape[1]):
                words[starts + column] = encoded[:, column]
        return words

    def _device(self) -> SimDevice:
        tables = self._tables()

        def table(kind: RegisterKind, blank: list[int] | list[bool]) -> list[SimData]:
            values = tables.get(kind) or blank
            kind_type = DataType.BITS if kind == "coil" else DataType.REGISTERS
            return [SimData(0, values=values, datatype=kind_type)]

        # pymodbus needs all four tables defined; the twin maps no discrete input.
        no_inputs = [SimData(0, values=[False] * 16, datatype=DataType.BITS)]
        return SimDevice(
            id=self.unit_id,
            simdata=(
                table("coil", [False]),
                no_inputs,
                table("holding_register", [0]),
                table("input_register", [0]),
            ),
        )
