"""Plant-file settings of the Modbus TCP poller."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shopfloor.model.connector_spec import ConnectorCommon, _Spec
from shopfloor.model.spec_types import Duration

RegisterKind = Literal["coil", "discrete_input", "input_register", "holding_register"]
RegisterType = Literal["bool", "int16", "uint16", "int32", "uint32", "float32"]


class RegisterSpec(_Spec):
    """One value in the device's register map."""

    tag: str
    kind: RegisterKind = "holding_register"
    address: int | str = Field(
        description="protocol address from 0, or 4xxxx/3xxxx/1xxxx/0xxxx notation (from 1)"
    )
    type: RegisterType = "uint16"
    word_order: Literal["big", "little"] = "big"
    byte_order: Literal["big", "little"] = "big"
    scale: float = 1.0
    offset: float = 0.0
    unit: str | None = None


class ModbusConnectorSpec(ConnectorCommon):
    """A Modbus TCP device polled for its registers."""

    type: Literal["modbus"]
    host: str
    port: int = Field(502, ge=1, le=65535)
    unit_id: int = Field(1, ge=0, le=255)
    asset: str = Field(description="asset path the tags belong to")
    poll_interval: Duration = 1.0
    timeout: Duration = 2.0
    registers: list[RegisterSpec] = Field(min_length=1)
