"""Sparkplug identities to asset paths, topics, STATE payloads, and the plant-file spec."""

from __future__ import annotations

import pydantic
import pytest

from shopfloor.bus import MemoryBus
from shopfloor.connect.registry import build_connector
from shopfloor.connect.sparkplug import SparkplugHost
from shopfloor.connect.sparkplug.mapping import (
    AssetMapping,
    MessageType,
    Topic,
    parse_state,
    parse_topic,
    state_payload,
)
from shopfloor.model.errors import ConfigError
from shopfloor.model.spec_mqtt import SparkplugConnectorSpec, SparkplugMappingSpec


def test_by_default_group_node_device_and_metric_are_site_line_machine_and_tag() -> None:
    m = AssetMapping(SparkplugMappingSpec(prefix="acme"))
    assert m.metric_path(m.device_path("plant1", "line2", "press3"), "temp") == (
        "acme/plant1/line2/press3/temp"
    )
    assert m.metric_path(m.node_path("plant1", "line2"), "uptime") == "acme/plant1/line2/uptime"


def test_nodes_and_devices_can_sit_at_explicit_asset_paths() -> None:
    m = AssetMapping(
        SparkplugMappingSpec(
            prefix="acme",
            nodes={"plant1/edge-7": "acme/plant1/body/line2", "edge-9": "acme/plant2/paint/line1"},
            devices={"edge-7/PLC_01": "acme/plant1/body/line2/cell3/press3"},
        )
    )
    assert m.node_path("plant1", "edge-7") == "acme/plant1/body/line2"
    assert m.node_path("any", "edge-9") == "acme/plant2/paint/line1"
    assert m.device_path("plant1", "edge-7", "PLC_01") == "acme/plant1/body/line2/cell3/press3"
    assert m.device_path("plant1", "edge-7", "robot") == "acme/plant1/body/line2/robot"


def test_metric_folders_become_segments_and_odd_characters_underscores() -> None:
    m = AssetMapping(SparkplugMappingSpec(prefix="acme"))
    assert m.metric_path("acme/s/l/m", "Motor 1/Speed (rpm)") == "acme/s/l/m/Motor_1/Speed__rpm_"
    assert m.metric_path("acme/s/l/m", "//") == "acme/s/l/m/_"


@pytest.mark.parametrize(
    ("topic", "parsed"),
    [
        ("spBv1.0/g1/DDATA/n1/d1", Topic("g1", MessageType.DDATA, "n1", "d1")),
        ("spBv1.0/g1/NBIRTH/n1", Topic("g1", MessageType.NBIRTH, "n1")),
        ("spBv1.0/g1/NDATA/n1/d1", None),
        ("spBv1.0/g1/DDATA/n1", None),
        ("spBv1.0/STATE/host", None),
        ("spAv1.0/g1/NDATA/n1", None),
        ("spBv1.0/g1/XDATA/n1", None),
    ],
)
def test_topics_parse_into_group_type_node_and_device(topic: str, parsed: Topic | None) -> None:
    assert parse_topic(topic) == parsed


def test_state_payloads_are_json_with_online_and_timestamp() -> None:
    assert state_payload(True, 5) == b'{"online": true, "timestamp": 5}'
    assert parse_state(state_payload(False, 7)) == (False, 7)
    assert parse_state(b"ONLINE") is None
    assert parse_state(b'{"online": "yes", "timestamp": 1}') is None


def spec(**extra: object) -> SparkplugConnectorSpec:
    fields = {
        "name": "sp",
        "type": "sparkplug",
        "broker": "mqtt://h",
        "host_id": "h1",
        "mapping": {"prefix": "acme"},
    }
    return SparkplugConnectorSpec.model_validate(fields | extra)


def test_the_registry_builds_the_host_for_type_sparkplug() -> None:
    assert isinstance(build_connector(spec(), MemoryBus()), SparkplugHost)


def test_host_ids_and_groups_must_be_sparkplug_ids() -> None:
    with pytest.raises(pydantic.ValidationError):
        spec(host_id="a/b")
    with pytest.raises(pydantic.ValidationError):
        spec(groups=["g#"])
    assert spec(groups=["+"]).groups == ["+"]


def test_tls_settings_with_a_plain_mqtt_broker_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="mqtts://"):
        SparkplugHost(spec(tls={"ca": "/etc/ca.pem"}), MemoryBus())
