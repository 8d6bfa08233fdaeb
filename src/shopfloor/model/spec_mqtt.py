"""Plant-file settings of the MQTT connectors: Sparkplug B and plain JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shopfloor.model.connector_spec import ConnectorCommon, TlsSpec, _Spec
from shopfloor.model.secrets import SecretRef


class MqttBrokerSpec(ConnectorCommon):
    """How to reach an MQTT broker: ``mqtt://host:1883`` or ``mqtts://host:8883``."""

    broker: str = Field(
        pattern=r"^mqtts?://[^/@\s]+$", description="mqtt[s]://host[:port], no credentials"
    )
    client_id: str | None = None
    username: str | None = None
    password: SecretRef | None = None
    tls: TlsSpec | None = None
    keepalive_s: int = Field(30, ge=5, le=3600)


class SparkplugMappingSpec(_Spec):
    """How Sparkplug identities map onto the asset model (documented in docs/connectors.md).

    By default the group id names the site, the edge node the line or cell, the device the
    machine, and the metric name the tag, under ``prefix`` (the enterprise and anything
    between). ``nodes`` maps an edge node id to an explicit asset path instead.
    """

    prefix: str = Field(description="asset path above the group, e.g. acme")
    nodes: dict[str, str] = Field(default_factory=dict, description="edge node id -> asset path")


class SparkplugConnectorSpec(MqttBrokerSpec):
    """A Sparkplug B 3.0 primary host application."""

    type: Literal["sparkplug"]
    host_id: str = Field(description="primary host id published in spBv1.0/STATE/<host_id>")
    groups: list[str] = Field(default_factory=lambda: ["+"], description="group ids to follow")
    mapping: SparkplugMappingSpec


class JsonFieldSpec(_Spec):
    """One tag taken from a JSON payload by a field selector (dotted path, e.g. ``data.temp``)."""

    tag: str
    field: str
    unit: str | None = None


class JsonTopicSpec(_Spec):
    """A topic filter whose messages carry tag values as JSON."""

    topic: str
    asset: str = Field(description="asset path the tags belong to")
    timestamp: str | None = Field(
        "timestamp",
        description="field holding the source time (ISO 8601 or epoch ms); None = receive time",
    )
    fields: list[JsonFieldSpec] = Field(
        default_factory=list,
        description="selectors; empty = the default payload {timestamp, values: {tag: value}}",
    )


class MqttJsonConnectorSpec(MqttBrokerSpec):
    """Devices that publish plain JSON over MQTT."""

    type: Literal["mqtt_json"]
    topics: list[JsonTopicSpec] = Field(min_length=1)
