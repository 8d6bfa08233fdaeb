"""OPC UA values, units, certificates and settings, without a server."""

from __future__ import annotations

import datetime as dt
import doctest
import math
import stat
from pathlib import Path

import numpy as np
import pytest
from asyncua import ua
from pydantic import ValidationError

from shopfloor.connect.opcua import OpcUaConnector, certs, units
from shopfloor.connect.opcua.values import (
    Point,
    Rows,
    data_value,
    datetime_of,
    ns_of,
    source_ns,
)
from shopfloor.connect.registry import driver_class
from shopfloor.model.batch import Sample, SampleBatch, TextBatch
from shopfloor.model.errors import ConfigError
from shopfloor.model.quality import StatusCode
from shopfloor.model.spec_opcua import OpcUaConnectorSpec
from shopfloor.sim.faces.opcua import newest_rows

T = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
T_NS = 1_772_366_400_123_456_000
UNSECURED = {"policy": "None", "mode": "None"}


def point(path: str = "acme/l1/m1/temp", text: bool = False) -> Point:
    return Point(ua.NodeId(ua.String(path), ua.Int16(2)), path, text)


def value(
    v: object,
    status: int = 0,
    source: dt.datetime | None = T,
    server: dt.datetime | None = None,
) -> ua.DataValue:
    return ua.DataValue(
        Value=ua.Variant(v),
        StatusCode=ua.StatusCode(ua.UInt32(status)),
        SourceTimestamp=source,  # type: ignore[arg-type]
        ServerTimestamp=server,  # type: ignore[arg-type]
    )


def test_times_convert_to_nanoseconds_exactly_and_back_to_microseconds() -> None:
    assert ns_of(T) == T_NS
    assert ns_of(T.replace(tzinfo=None)) == T_NS  # naive times are UTC
    assert datetime_of(T_NS + 999) == T


def test_the_sample_time_is_the_source_time_else_the_server_time_else_the_receive_time() -> None:
    later = T + dt.timedelta(seconds=1)
    assert source_ns(value(1.0, source=T, server=later), 5) == T_NS
    assert source_ns(value(1.0, source=None, server=later), 5) == T_NS + 1_000_000_000
    assert source_ns(value(1.0, source=None), 5) == 5
    # DateTime 0 (1601-01-01) is OPC UA's "no time".
    assert source_ns(value(1.0, source=dt.datetime(1601, 1, 1, tzinfo=dt.UTC)), 5) == 5


def test_rows_keep_status_codes_and_split_numbers_from_text() -> None:
    points = [point("a/temp"), point("a/on"), point("a/count"), point("a/program", text=True)]
    rows = Rows(points)
    rows.add(0, 20.5, value(20.5, StatusCode.UNCERTAIN_SUB_NORMAL), 7)
    rows.add(1, True, value(True), 7)
    rows.add(2, 2**53, value(2**53), 7)
    rows.add(3, ua.LocalizedText("P-1"), value(ua.LocalizedText("P-1")), 7)
    rows.add(3, None, value(None, StatusCode.BAD_NOT_CONNECTED), 7)
    samples, texts, refused = rows.take()
    assert samples is not None
    assert texts is not None
    assert list(samples.samples()) == [
        Sample("a/temp", T_NS, 20.5, StatusCode.UNCERTAIN_SUB_NORMAL, 7),
        Sample("a/on", T_NS, 1.0, 0, 7),
        Sample("a/count", T_NS, float(2**53), 0, 7),
    ]
    assert [(s.value, s.status) for s in texts.samples()] == [
        ("P-1", 0),
        ("", StatusCode.BAD_NOT_CONNECTED),
    ]
    assert refused == []
    assert len(rows) == 0


def test_values_no_sample_holds_are_refused_with_their_node_and_reason() -> None:
    rows = Rows([point("a/blob"), point("a/huge")])
    rows.add(0, b"\x01", value(b"\x01"), 1)
    rows.add(1, 2**53 + 1, value(2**53 + 1), 1)
    samples, texts, refused = rows.take()
    assert (samples, texts) == (None, None)
    assert [r.source for r in refused] == ["ns=2;s=a/blob", "ns=2;s=a/huge"]
    assert "bytes values are not supported" in refused[0].reason
    assert "beyond 2**53" in refused[1].reason


def test_a_missing_numeric_value_is_nan_and_the_dictionary_stays_the_same_object() -> None:
    rows = Rows([point("a/temp")])
    rows.add(0, None, value(None, StatusCode.BAD_SENSOR_FAILURE), 1)
    first, _, _ = rows.take()
    rows.add(0, 1.5, value(1.5), 2)
    second, _, _ = rows.take()
    assert first is not None
    assert second is not None
    assert math.isnan(first.value[0])
    assert first.paths is second.paths


def test_servers_write_typed_values_and_void_the_values_of_bad_samples() -> None:
    written = data_value(41.9, ua.VariantType.Int64, StatusCode.GOOD, T_NS)
    assert written.Value == ua.Variant(41, ua.VariantType.Int64)
    assert written.SourceTimestamp == T
    on = data_value(1.0, ua.VariantType.Boolean, StatusCode.GOOD, T_NS)
    assert on.Value == ua.Variant(True, ua.VariantType.Boolean)
    bad = data_value(7.0, ua.VariantType.Double, StatusCode.BAD_SENSOR_FAILURE, T_NS)
    assert bad.Value is not None
    assert bad.Value.Value is None
    assert bad.StatusCode == ua.StatusCode(ua.UInt32(StatusCode.BAD_SENSOR_FAILURE))
    missing = data_value(math.nan, ua.VariantType.Double, StatusCode.UNCERTAIN, T_NS)
    assert missing.Value is not None
    assert missing.Value.Value is None


def test_newest_rows_pick_each_tags_latest_sample_and_the_last_row_on_ties() -> None:
    batch = SampleBatch.from_samples(
        [
            Sample("a", 5, 1.0),
            Sample("b", 9, 2.0),
            Sample("a", 7, 3.0),
            Sample("a", 7, 4.0),
            Sample("b", 3, 5.0),
        ]
    )
    assert sorted(batch.value[newest_rows(batch)]) == [2.0, 4.0]
    texts = TextBatch.from_samples([Sample("t", 1, "x"), Sample("t", 2, "y")])
    assert list(texts.value[newest_rows(texts)]) == ["y"]
    assert len(newest_rows(SampleBatch.empty())) == 0


def test_units_carry_their_unece_code_or_minus_one() -> None:
    assert units.unit_id("CEL") == 0x43454C
    assert units.eu_information("mm/s").UnitId == units.unit_id("C16")  # type: ignore[union-attr]
    odd = units.eu_information("part/h")
    assert odd is not None
    assert (odd.UnitId, odd.DisplayName.Text) == (-1, "part/h")
    assert units.eu_information("1") is None
    assert doctest.testmod(units).failed == 0


def test_generated_certificates_name_the_application_and_keep_keys_private(
    tmp_path: Path,
) -> None:
    pair = certs.generate_certificate("urn:acme:edge", role="client", hostnames=("10.0.0.7",))
    cert_path, key_path = pair.write(tmp_path, "edge")
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert certs.load_certificate(cert_path.read_bytes()) == pair.certificate
    assert certs.application_uri_of(pair.certificate) == "urn:acme:edge"
    key = certs.load_private_key(key_path.read_bytes())
    assert key.private_numbers() == pair.private_key.private_numbers()
    assert doctest.testmod(certs).failed == 0


def test_unreadable_keys_and_certificates_are_named_without_quoting_them() -> None:
    secret = b"-----BEGIN PRIVATE KEY-----\nTOPSECRETBYTES\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ConfigError) as caught:
        certs.load_private_key(secret, source="security.private_key")
    assert "security.private_key" in str(caught.value)
    assert "TOPSECRETBYTES" not in str(caught.value)
    with pytest.raises(ConfigError, match="server certificate: not a PEM or DER"):
        certs.load_certificate(b"junk", "server certificate")


def test_the_registry_builds_the_opcua_connector() -> None:
    assert driver_class("opcua") is OpcUaConnector


def spec(**fields: object) -> OpcUaConnectorSpec:
    base: dict[str, object] = {
        "name": "plc1",
        "type": "opcua",
        "endpoint": "opc.tcp://plc1:4840",
        "asset": "acme/site/line1",
        "browse": "ns=2;s=Line1",
        "security": UNSECURED,
    }
    return OpcUaConnectorSpec.model_validate({**base, **fields})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"security": {"policy": "None", "mode": "Sign"}}, "policy None goes with mode None"),
        ({"security": {}}, "policy Basic256Sha256 needs certificate and private_key"),
        ({"security": None}, "security"),
        ({"endpoint": "opc.tcp://user:pw@plc1:4840"}, "endpoint"),
        ({"browse": None}, "needs nodes: or browse:"),
        ({"password": {"env": "PW"}}, "password: needs username:"),
        ({"nodes": [{"node": "ns=2;i=5", "tag": "bad tag"}]}, "not a valid name"),
        ({"asset": "acme//line1"}, "not a valid name"),
    ],
)
def test_settings_that_cannot_work_are_refused_with_a_reason(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(**fields)


def test_settings_accept_secrets_durations_and_full_tag_paths() -> None:
    made = spec(
        username="shopfloor",
        password={"env": "OPCUA_PASSWORD"},
        nodes=[{"node": "nsu=urn:plc;s=Temp", "tag": "acme/site/line1/press1/temp"}],
        request_timeout="2s",
        watchdog_interval="500ms",
        security={
            "certificate": "/etc/shopfloor/client.der",
            "private_key": {"file": "/run/secrets/key"},
        },
    )
    assert (made.request_timeout, made.watchdog_interval) == (2.0, 0.5)
    assert (made.security.policy, made.security.mode) == ("Basic256Sha256", "SignAndEncrypt")
    assert "OPCUA_PASSWORD" in repr(made.password)
    assert np.isclose(made.publishing_interval_ms, 500)
