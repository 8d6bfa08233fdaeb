"""Every connector type the plant file's ``connectors:`` section knows, told apart by ``type``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shopfloor.model.spec_modbus import ModbusConnectorSpec
from shopfloor.model.spec_mqtt import MqttJsonConnectorSpec, SparkplugConnectorSpec
from shopfloor.model.spec_opcua import OpcUaConnectorSpec

AnyConnectorSpec = (
    SparkplugConnectorSpec | MqttJsonConnectorSpec | OpcUaConnectorSpec | ModbusConnectorSpec
)
ConnectorSpec = Annotated[AnyConnectorSpec, Field(discriminator="type")]

__all__ = [
    "AnyConnectorSpec",
    "ConnectorSpec",
    "ModbusConnectorSpec",
    "MqttJsonConnectorSpec",
    "OpcUaConnectorSpec",
    "SparkplugConnectorSpec",
]
