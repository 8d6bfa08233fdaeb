"""The OPC UA connector against a real asyncua server serving a small plant.

One server is shared by the whole module (building its address space takes seconds); every
test writes values with its own timestamps, so tests do not depend on each other's data.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from asyncua import ua
from asyncua.ua.status_codes import StatusCodes

from shopfloor.bus import MemoryBus
from shopfloor.connect.base import ConnectorState
from shopfloor.connect.deadletter import MemoryDeadLetters
from shopfloor.connect.opcua import certs
from shopfloor.connect.opcua.client import OpcUaConnector
from shopfloor.model.batch import Sample, SampleBatch, TextBatch
from shopfloor.model.quality import StatusCode
from shopfloor.model.secrets import SecretRef
from shopfloor.model.spec_opcua import OpcUaNodeSpec
from shopfloor.sim.faces.opcua import AssetServer

from .helpers import (
    HEMMER,
    LINE,
    PRESS,
    FreezingProxy,
    bus_and_subscription,
    collect,
    connected,
    has,
    running,
    secured,
    small_plant,
    spec,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

TRUSTED = certs.generate_certificate("urn:shopfloor:test-client", role="client")
PASSWORD_ENV = "SHOPFLOOR_TEST_OPCUA_PASSWORD"
PASSWORD = "correct-horse-battery-staple"
LOGIN = {"username": "operator", "password": SecretRef(env=PASSWORD_ENV)}
T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def server() -> AsyncIterator[AssetServer]:
    """The small plant, secured and unsecured endpoints, one user, one trusted client."""
    served = AssetServer(
        small_plant(),
        allow_unsecured=True,
        trusted_clients=[TRUSTED.certificate],
        users={"operator": PASSWORD},
    )
    await served.start()
    yield served
    await served.stop()


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


def connector(server: AssetServer, bus: MemoryBus, **overrides: object) -> OpcUaConnector:
    fields: dict[str, Any] = {"endpoint": server.endpoint, **LOGIN, **overrides}
    return OpcUaConnector(spec(**fields), bus)


async def backing_off(link: OpcUaConnector) -> str:
    """Wait until the connector failed and backs off; its error, once it tried again."""
    await link.wait_for(ConnectorState.BACKING_OFF, 10)
    await link.wait_for(ConnectorState.CONNECTING, 10)
    await link.wait_for(ConnectorState.BACKING_OFF, 10)
    assert link.counters.reconnects >= 2
    assert link.last_error is not None
    return link.last_error


async def test_values_source_timestamps_and_status_codes_arrive_under_their_paths(
    server: AssetServer,
) -> None:
    bus, sub = bus_and_subscription()
    uncertain = StatusCode.UNCERTAIN_ENGINEERING_UNITS_EXCEEDED
    written = [
        Sample(f"{PRESS}/temperature", T0 + 1_000, 81.5, StatusCode.GOOD),
        Sample(f"{HEMMER}/power", T0 + 2_000, 12.25, uncertain),
        Sample(f"{PRESS}/running", T0 + 4_000, 1.0, StatusCode.GOOD),
    ]
    text = Sample(f"{PRESS}/program", T0 + 5_000, "P-17", StatusCode.UNCERTAIN_LAST_USABLE_VALUE)
    # A bad status voids the value (OPC UA Part 4, 7.7.1): it arrives as NaN, status kept.
    bad = Sample(f"{PRESS}/stroke_count", T0 + 3_000, 7.0, StatusCode.BAD_SENSOR_FAILURE)
    async with running(connector(server, bus)) as link:
        await connected(link)
        await server.write(SampleBatch.from_samples([*written, bad]))
        await server.write(TextBatch.from_samples([text]))
        seen = await collect(sub, lambda s: all(has(w.path, w.value)(s) for w in [*written, text]))
        seen += await collect(sub, lambda s: any(x.source_ns == bad.source_ns for x in seen + s))
    arrived = {(s.path, s.source_ns, s.value, s.status) for s in seen}
    for sample in [*written, text]:
        assert (sample.path, sample.source_ns, sample.value, sample.status) in arrived
    voided = next(s for s in seen if s.source_ns == bad.source_ns)
    assert (voided.path, voided.status) == (bad.path, bad.status)
    assert math.isnan(float(voided.value))


async def test_browsing_the_line_follows_every_tag_below_it_with_its_path(
    server: AssetServer,
) -> None:
    bus, _ = bus_and_subscription()
    async with running(connector(server, bus)) as link:
        await connected(link)
        points = {p.path: p.text for p in link.points}
    assert points == {path: path.endswith("/program") for path in small_plant().select(f"{LINE}/#")}


async def test_notifications_that_arrive_together_go_on_the_bus_as_one_batch(
    server: AssetServer,
) -> None:
    bus, sub = bus_and_subscription()
    async with running(connector(server, bus)) as link:
        await connected(link)
        first = await sub.get()
    numeric_tags = [p.path for p in link.points if not p.text]
    # The subscription's initial values come in one publish response, so in one batch.
    assert isinstance(first, SampleBatch)
    assert sorted(set(first.path_of())) == sorted(numeric_tags)


async def test_configured_nodes_feed_tag_names_and_full_paths_and_missing_ones_show_as_bad(
    server: AssetServer,
) -> None:
    bus, sub = bus_and_subscription()
    nodes = [
        OpcUaNodeSpec(node=f"ns=2;s={PRESS}/temperature", tag="oil_temp"),
        OpcUaNodeSpec(node=f"nsu=urn:shopfloor:uns;s={HEMMER}/power", tag="acme/elsewhere/power"),
        OpcUaNodeSpec(node="ns=2;s=acme/no/such/node", tag="ghost"),
    ]
    async with running(connector(server, bus, browse=None, nodes=nodes)) as link:
        await connected(link)
        await server.write(SampleBatch.of(f"{PRESS}/temperature", [T0 + 20_000], [90.5]))
        seen = await collect(sub, has(f"{LINE}/oil_temp", 90.5))
        error = link.last_error
    assert any(s.path == "acme/elsewhere/power" for s in seen)
    ghost = [s for s in seen if s.path == f"{LINE}/ghost"]
    assert [s.status for s in ghost] == [StatusCodes.BadNodeIdUnknown]
    assert error is not None
    assert "acme/no/such/node" in error
    assert "BadNodeIdUnknown" in error


async def test_a_connector_that_can_follow_none_of_its_nodes_keeps_retrying(
    server: AssetServer,
) -> None:
    bus, _ = bus_and_subscription()
    nodes = [OpcUaNodeSpec(node="ns=2;s=acme/no/such/node", tag="ghost")]
    async with running(link := connector(server, bus, browse=None, nodes=nodes)):
        error = await backing_off(link)
    assert error.startswith("ConnectorError: nothing can be followed: node ns=2;s=acme/no/such")
    assert "BadNodeIdUnknown" in error


async def test_values_no_sample_can_hold_go_to_the_dead_letters(server: AssetServer) -> None:
    lab = await server.ua_server.nodes.objects.add_folder("ns=2;s=acme/lab", "2:lab")
    await lab.add_variable("ns=2;s=acme/lab/blob", "2:blob", b"\x00\x01", ua.VariantType.ByteString)
    await lab.add_variable("ns=2;s=acme/lab/huge", "2:huge", 2**60, ua.VariantType.UInt64)
    await lab.add_variable("ns=2;s=acme/lab/fine", "2:fine", 2**40, ua.VariantType.UInt64)
    bus, sub = bus_and_subscription()
    letters = MemoryDeadLetters()
    link = OpcUaConnector(
        spec(server.endpoint, **LOGIN, asset="acme/lab", browse="ns=2;s=acme/lab"),
        bus,
        dead_letters=letters,
    )
    async with running(link):
        await connected(link)
        await collect(sub, has("acme/lab/fine", float(2**40)))
    reasons = {d.source: d.reason for d in letters.recent()}
    assert set(reasons) == {"ns=2;s=acme/lab/blob", "ns=2;s=acme/lab/huge"}
    assert "beyond 2**53" in reasons["ns=2;s=acme/lab/huge"]
    assert link.counters.rejects == 2


async def test_the_address_space_types_units_and_ranges_follow_the_tags(
    server: AssetServer,
) -> None:
    node = server.ua_server.get_node
    assert await node(f"ns=2;s={PRESS}/stroke_count").read_data_type_as_variant_type() == (
        ua.VariantType.Int64
    )
    assert await node(f"ns=2;s={PRESS}/running").read_data_type_as_variant_type() == (
        ua.VariantType.Boolean
    )
    assert await node(f"ns=2;s={PRESS}/program").read_data_type_as_variant_type() == (
        ua.VariantType.String
    )
    temperature = node(f"ns=2;s={PRESS}/temperature")
    assert await temperature.read_data_type_as_variant_type() == ua.VariantType.Double
    units = await node(f"ns=2;s={PRESS}/temperature#EngineeringUnits").read_value()
    assert (units.UnitId, units.DisplayName.Text) == (4408652, "degC")  # UNECE CEL
    limits = await node(f"ns=2;s={PRESS}/temperature#EURange").read_value()
    assert (limits.Low, limits.High) == (0, 200)
    assert (await temperature.read_description()).Text == "Hydraulic oil"
    assert await node(f"ns=2;s={PRESS}").read_node_class() == ua.NodeClass.Object
    never_written = await node(f"ns=2;s={HEMMER}/air_pressure").read_data_value(False)
    assert never_written.StatusCode == ua.StatusCode(
        ua.UInt32(StatusCode.BAD_WAITING_FOR_INITIAL_DATA)
    )


# -- security ----------------------------------------------------------------------------


async def test_basic256sha256_sign_and_encrypt_with_generated_certificates_delivers_values(
    server: AssetServer, tmp_path: Path
) -> None:
    server_cert = tmp_path / "server.der"
    server_cert.write_bytes(server.certificate.certificate_der())
    security = secured(TRUSTED, tmp_path, server_certificate=str(server_cert))
    bus, sub = bus_and_subscription()
    async with running(connector(server, bus, security=security)) as link:
        await connected(link)
        await server.write(SampleBatch.of(f"{PRESS}/temperature", [T0 + 30_000], [99.5]))
        await collect(sub, has(f"{PRESS}/temperature", 99.5))


async def test_a_client_certificate_the_server_does_not_trust_is_refused_and_retried(
    server: AssetServer, tmp_path: Path
) -> None:
    stranger = certs.generate_certificate("urn:shopfloor:stranger", role="client")
    bus, _ = bus_and_subscription()
    link = connector(server, bus, security=secured(stranger, tmp_path))
    async with running(link):
        error = await backing_off(link)
    assert "BadCertificateUntrusted" in error
    assert link.state is ConnectorState.STOPPED


async def test_a_private_key_that_does_not_belong_to_the_certificate_is_named(
    server: AssetServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = certs.generate_certificate("urn:shopfloor:other", role="client")
    monkeypatch.setenv("OTHER_KEY", other.private_key_pem().decode())
    security = secured(TRUSTED, tmp_path, private_key=SecretRef(env="OTHER_KEY"))
    bus, _ = bus_and_subscription()
    async with running(link := connector(server, bus, security=security)):
        error = await backing_off(link)
    assert "security.private_key does not belong to security.certificate" in error
    assert "PRIVATE KEY" not in error


async def test_a_server_certificate_other_than_the_pinned_one_is_refused(
    server: AssetServer, tmp_path: Path
) -> None:
    impostor = certs.generate_certificate("urn:shopfloor:twin", role="server")
    pinned = tmp_path / "pinned.der"
    pinned.write_bytes(impostor.certificate_der())
    bus, _ = bus_and_subscription()
    security = secured(TRUSTED, tmp_path, server_certificate=str(pinned))
    async with running(link := connector(server, bus, security=security)):
        error = await backing_off(link)
    assert f"not the trusted {impostor.fingerprint}" in error
    assert server.certificate.fingerprint in error


async def test_a_security_mode_the_server_does_not_offer_is_named_with_what_it_offers(
    server: AssetServer, tmp_path: Path
) -> None:
    bus, _ = bus_and_subscription()
    security = secured(TRUSTED, tmp_path, mode="Sign")
    async with running(link := connector(server, bus, security=security)):
        error = await backing_off(link)
    assert "no endpoint with policy Basic256Sha256 and mode Sign" in error
    assert "Basic256Sha256/SignAndEncrypt" in error
    assert "None/None" in error


async def test_a_wrong_password_is_refused_and_no_password_reaches_the_logs(
    server: AssetServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    security = secured(TRUSTED, tmp_path)
    bus, _ = bus_and_subscription()
    async with running(link := connector(server, bus, security=security)):
        await connected(link)
    monkeypatch.setenv(PASSWORD_ENV, "wrong-password-123")
    async with running(link := connector(server, bus, security=security)):
        error = await backing_off(link)
    assert "BadUserAccessDenied" in error
    assert PASSWORD not in caplog.text
    assert "wrong-password-123" not in caplog.text
    assert PASSWORD.encode().hex() not in caplog.text
    key_body = TRUSTED.private_key_pem().splitlines()[5].decode()
    assert key_body not in caplog.text


# -- a server that stops answering without closing the connection -----------------------


async def test_a_server_that_falls_silent_is_noticed_marked_bad_and_reconnected(
    server: AssetServer,
) -> None:
    proxy = FreezingProxy(server.port or 0)
    await proxy.start()
    bus, sub = bus_and_subscription()
    try:
        async with running(connector(server, bus, endpoint=proxy.endpoint)) as link:
            await connected(link)
            await collect(sub, lambda s: len(s) >= len(link.points))
            proxy.freeze()
            marked = await collect(
                sub, lambda s: any(x.status == StatusCode.BAD_NO_COMMUNICATION for x in s)
            )
            await link.wait_for(ConnectorState.BACKING_OFF, 5)
            error = link.last_error
            proxy.thaw()
            await connected(link)
    finally:
        await proxy.stop()
    assert {s.path for s in marked if s.status == StatusCode.BAD_NO_COMMUNICATION}
    assert error is not None
    assert "TimeoutError" in error
    assert link.counters.reconnects >= 1
