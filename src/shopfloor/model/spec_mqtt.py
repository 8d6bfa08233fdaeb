"""Plant-file settings of the MQTT connectors: Sparkplug B and plain JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shopfloor.model.connector_spec import ConnectorCommon, TlsSpec, _Spec
from shopfloor.model.secrets import SecretRef
from shopfloor.model.spec_types import Duration


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
    """How Sparkplug identities map onto the asset model (see docs/connectors-mqtt.md).

    By default the group id names the site, the edge node the line or cell, the device the
    machine, and the metric name the tag, under ``prefix`` (the enterprise and anything
    between): ``<prefix>/<group>/<node>/<device>/<metric>``. ``nodes`` puts an edge node
    (key ``group/node`` or just ``node``) at an explicit asset path instead, ``devices`` a
    device (key ``group/node/device`` or ``node/device``).
    """

    prefix: str = Field(description="asset path above the group, e.g. acme")
    nodes: dict[str, str] = Field(
        default_factory=dict, description="edge node ([group/]node) -> asset path"
    )
    devices: dict[str, str] = Field(
        default_factory=dict, description="device ([group/]node/device) -> asset path"
    )


_SPARKPLUG_ID = r"^[^/+#\s]+$"


class SparkplugConnectorSpec(MqttBrokerSpec):
    """A Sparkplug B 3.0 primary host application."""

    type: Literal["sparkplug"]
    host_id: str = Field(
        pattern=_SPARKPLUG_ID, description="primary host id published in spBv1.0/STATE/<host_id>"
    )
    groups: list[Annotated[str, Field(pattern=r"^([^/+#\s]+|\+)$")]] = Field(
        default_factory=lambda: ["+"], min_length=1, description="group ids to follow, or +"
    )
    mapping: SparkplugMappingSpec
    qos: Literal[0, 1] = Field(1, description="QoS of the subscriptions")
    rebirth_interval: Duration = Field(
        2.0, description="at most one rebirth request per edge node in this time"
    )


class JsonFieldSpec(_Spec):
    """One tag taken from a JSON payload by a field selector (dotted path, e.g. ``data.temp``;
    list items by number, e.g. ``readings.0.value``)."""

    tag: str
    field: str
    unit: str | None = None


class JsonTopicSpec(_Spec):
    """A topic filter whose messages carry tag values as JSON.

    ``asset`` may name the segments the topic's ``+`` wildcards matched, ``{1}`` for the
    first: ``topic: plant/+/telemetry`` with ``asset: acme/site1/{1}``.
    """

    topic: str
    asset: str = Field(description="asset path the tags belong to; {1}, {2}: + segments")
    timestamp: str | None = Field(
        "timestamp",
        description="field holding the source time (ISO 8601 or epoch number); None = receive time",
    )
    timestamp_unit: Literal["s", "ms", "us", "ns"] = Field(
        "ms", description="unit of numeric timestamps"
    )
    fields: list[JsonFieldSpec] = Field(
        default_factory=list,
        description="selectors; empty = the default payload {timestamp, values: {tag: value}}",
    )


class MqttJsonConnectorSpec(MqttBrokerSpec):
    """Devices that publish plain JSON over MQTT."""

    type: Literal["mqtt_json"]
    topics: list[JsonTopicSpec] = Field(min_length=1)
    qos: Literal[0, 1] = Field(1, description="QoS of the subscriptions")
