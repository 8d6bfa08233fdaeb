"""MQTT over TLS: a private Mosquitto with a CA and server certificate made by the test."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shopfloor.connect.base import ConnectorState
from shopfloor.connect.mqtt_common import BrokerAddress, MqttClient, MqttError, tls_context
from shopfloor.connect.sparkplug import SparkplugHost
from shopfloor.connect.sparkplug.codec import DataType, OutMetric
from shopfloor.model.connector_spec import TlsSpec
from shopfloor.model.secrets import SecretRef

from .broker import Collector, PrivateBroker, eventually
from .conftest import host_spec
from .edge import RawEdge

PASSWORD = "s3cret-pa55"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    signer_name, signer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(signer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is not None:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer_key, hashes.SHA256())


def _write(
    path: Path, cert: x509.Certificate | None = None, key: ec.EllipticCurvePrivateKey | None = None
) -> str:
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return str(path)


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, str]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    ca_key, server_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _certificate("shopfloor test CA", ca_key, None)
    return {
        "ca": _write(tmp_path / "ca.pem", ca),
        "server_cert": _write(
            tmp_path / "server.pem",
            _certificate("127.0.0.1", server_key, ("shopfloor test CA", ca_key)),
        ),
        "server_key": _write(tmp_path / "server.key", key=server_key),
        "client_cert": _write(
            tmp_path / "client.pem", _certificate("edge", client_key, ("shopfloor test CA", ca_key))
        ),
        "client_key": _write(tmp_path / "client.key", key=client_key),
    }


def tls_broker(tmp_path: Path, pki: dict[str, str], auth: str) -> PrivateBroker:
    settings = (
        f"cafile {pki['ca']}\ncertfile {pki['server_cert']}\nkeyfile {pki['server_key']}\n{auth}"
    )
    broker = PrivateBroker(tmp_path, settings, tls=True)
    broker.start()
    return broker


def password_file(tmp_path: Path) -> str:
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        pytest.skip("mosquitto_passwd is not installed")
    path = tmp_path / "passwords"
    subprocess.run([tool, "-c", "-b", str(path), "shopfloor", PASSWORD], check=True)
    return str(path)


async def test_the_host_reads_an_edge_node_over_tls_with_username_and_password(
    tmp_path: Path, pki: dict[str, str], collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = f"allow_anonymous false\npassword_file {password_file(tmp_path)}"
    broker = tls_broker(tmp_path, pki, auth)
    monkeypatch.setenv("TEST_MQTT_PASSWORD", PASSWORD)
    spec = host_spec(
        broker.url,
        "tlsgroup",
        username="shopfloor",
        password={"env": "TEST_MQTT_PASSWORD"},
        tls={"ca": pki["ca"]},
    )
    host = SparkplugHost(spec, collector.bus)
    edge = RawEdge(broker.url, "tlsgroup")
    edge_client = MqttClient(
        BrokerAddress.parse(broker.url),
        client_id="tls-edge",
        username="shopfloor",
        password=SecretRef(env="TEST_MQTT_PASSWORD"),
        tls=TlsSpec(ca=pki["ca"]),
    )
    try:
        await host.start()
        await host.wait_for(ConnectorState.CONNECTED, 5)
        await edge_client.connect()
        edge.client = edge_client
        await edge.birth("dev", [OutMetric("temp", 1, DataType.DOUBLE, 42.0, 1_700_000_000_000)])
        await eventually(lambda: bool(collector.of("acme/tlsgroup/n1/dev/temp")))
    finally:
        await edge.close()
        await host.stop()
        broker.stop()
    assert collector.of("acme/tlsgroup/n1/dev/temp")[0] == (1_700_000_000_000 * 10**6, 42.0, 0)


async def test_a_wrong_password_is_refused_and_never_shows_in_errors(
    tmp_path: Path, pki: dict[str, str], collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = f"allow_anonymous false\npassword_file {password_file(tmp_path)}"
    broker = tls_broker(tmp_path, pki, auth)
    monkeypatch.setenv("TEST_MQTT_PASSWORD", "not-the-password")
    spec = host_spec(
        broker.url,
        "g",
        username="shopfloor",
        password={"env": "TEST_MQTT_PASSWORD"},
        tls={"ca": pki["ca"]},
    )
    host = SparkplugHost(spec, collector.bus)
    try:
        await host.start()
        await eventually(lambda: host.last_error is not None, what="the refusal")
    finally:
        await host.stop()
        broker.stop()
    assert host.last_error is not None
    assert "refused the connection" in host.last_error
    assert "not-the-password" not in host.last_error
    assert "not-the-password" not in repr(spec)


async def test_a_client_certificate_authenticates_the_host(
    tmp_path: Path, pki: dict[str, str], collector: Collector
) -> None:
    broker = tls_broker(tmp_path, pki, "require_certificate true\nallow_anonymous true")
    tls = {"ca": pki["ca"], "cert": pki["client_cert"], "key": {"file": pki["client_key"]}}
    host = SparkplugHost(host_spec(broker.url, "g", tls=tls), collector.bus)
    try:
        await host.start()
        await host.wait_for(ConnectorState.CONNECTED, 5)
    finally:
        await host.stop()
        broker.stop()
    without = MqttClient(BrokerAddress.parse(broker.url), client_id="x", tls=TlsSpec(ca=pki["ca"]))
    broker.start()
    try:
        with pytest.raises((MqttError, OSError)):
            await without.connect()
    finally:
        broker.stop()


def test_a_private_key_from_an_environment_variable_leaves_no_file_behind(
    pki: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_CLIENT_KEY", Path(pki["client_key"]).read_text())
    before = {p.name for p in Path(tempfile.gettempdir()).glob("shopfloor-key-*")}
    spec = TlsSpec(ca=pki["ca"], cert=pki["client_cert"], key=SecretRef(env="TEST_CLIENT_KEY"))
    context = tls_context(spec)
    after = {p.name for p in Path(tempfile.gettempdir()).glob("shopfloor-key-*")}
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert after == before
