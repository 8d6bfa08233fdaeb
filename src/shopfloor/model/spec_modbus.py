"""Plant-file settings of the Modbus TCP poller: the device and its register map.

Each entry of ``registers`` maps one value of the device onto one tag under the connector's
``asset``. ``tag`` is a tag name or a path relative to the asset (``press1/temperature``),
so one device (a PLC, a gateway) can serve the tags of several machines.

``address`` is the protocol address counted from 0, as it travels in the request. Modicon
notation counted from 1 is accepted as quoted text: ``"40001"`` or ``"400001"`` is holding
register 0, ``"30001"`` input register 0, ``"10001"`` discrete input 0, ``"00001"`` coil 0.
The notation's first digit gives the kind, so ``kind`` may then be left out. The checks
that need the whole map (overlaps, ranges, a 32-bit type on a coil) run when the poller is
built (``shopfloor.connect.modbus.compile_map``) and name the connector and the tag.

.. code-block:: yaml

    connectors:
      - name: press-plc
        type: modbus
        host: 10.0.4.21
        asset: acme/plant1/body/line2
        poll_interval: 1s
        registers:
          - {tag: press3/temperature, address: "30001", type: float32, unit: degC}
          - {tag: press3/good_count, kind: holding_register, address: 10, type: uint32}
          - {tag: press3/running, kind: coil, address: 0, type: bool}

See ``docs/connectors-modbus.md`` for the full reference.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shopfloor.model.connector_spec import ConnectorCommon, _Spec
from shopfloor.model.spec_types import Duration

RegisterKind = Literal["coil", "discrete_input", "input_register", "holding_register"]
RegisterType = Literal["bool", "int16", "uint16", "int32", "uint32", "float32"]
Order = Literal["big", "little"]

MAX_READ_REGISTERS = 125
"""The most registers one read request may ask for (Modbus application protocol, 6.3/6.4)."""
MAX_READ_BITS = 2000
"""The most coils or discrete inputs one read request may ask for (6.1/6.2)."""


class RegisterSpec(_Spec):
    """One value in the device's register map and the tag it goes to."""

    tag: str = Field(description="tag name, or a path relative to the connector's asset")
    kind: RegisterKind | None = Field(
        None,
        description="register table; left out: the Modicon notation's, else holding_register",
    )
    address: int | str = Field(
        description='protocol address from 0, or Modicon notation (from 1) as text: "40001"'
    )
    type: RegisterType | None = Field(
        None, description="value type; left out: bool on coils and discrete inputs, else uint16"
    )
    bit: int | None = Field(
        None, ge=0, le=15, description="for a bool in a register: which bit, 0 = least significant"
    )
    word_order: Order = Field(
        "big", description="32-bit types: big = most significant register first"
    )
    byte_order: Order = Field(
        "big", description="big = each register's high byte first (Modbus standard)"
    )
    scale: float = Field(1.0, description="value = raw * scale + offset")
    offset: float = 0.0
    unit: str | None = Field(None, description="unit of the scaled value (documentation)")


class ModbusConnectorSpec(ConnectorCommon):
    """A Modbus TCP device polled for its registers."""

    type: Literal["modbus"]
    host: str
    port: int = Field(502, ge=1, le=65535)
    unit_id: int = Field(1, ge=0, le=255)
    asset: str = Field(description="asset path the tags belong to")
    poll_interval: Duration = 1.0
    timeout: Duration = 2.0
    max_gap: int = Field(
        8,
        ge=0,
        description="unmapped registers (or bits) a request may read over to save a request; "
        "0 for devices that refuse reads of unmapped addresses",
    )
    max_registers: int = Field(
        MAX_READ_REGISTERS, ge=1, le=MAX_READ_REGISTERS, description="registers per request"
    )
    max_bits: int = Field(
        MAX_READ_BITS, ge=1, le=MAX_READ_BITS, description="coils or inputs per request"
    )
    registers: list[RegisterSpec] = Field(min_length=1)
