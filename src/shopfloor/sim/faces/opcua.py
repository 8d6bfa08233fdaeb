"""The twin as an OPC UA server whose address space follows the asset model.

:class:`AssetServer` serves any :class:`~shopfloor.model.assets.AssetTree`;
:class:`OpcUaServerFace` puts one in front of the twin. The address space:

* one node per asset under the Objects folder, nested as the assets are: enterprise, site,
  area, line and cell are folders (``FolderType``), machines are objects;
* one variable per tag, under its asset: Double for float tags, Int64 for int tags, Boolean
  for bool tags, String for text tags, with the tag's description, an ``EngineeringUnits``
  property (UNECE code where known) and an ``EURange`` property for tags with a range;
* every node id is the unified-namespace path as a string id in the namespace
  :data:`NAMESPACE_URI`, index 2 on this server: ``ns=2;s=acme/stuttgart/fabrication/line1/
  press1/temperature``; properties append ``#`` and their name. A client that prefers not to
  rely on the index writes ``nsu=urn:shopfloor:uns;s=...``.

Until a tag's first value arrives its variable holds ``BadWaitingForInitialData`` (with the
twin's start as source time, for the face). Each chunk
of the twin writes every tag's newest sample with its source timestamp and status code, so a
subscribed client sees the twin's quality as it is.

Security: the server offers Basic256Sha256 with SignAndEncrypt, and also no security when
``allow_unsecured`` is set (local demos only). It uses the given certificate, or makes a
self-signed one at construction. Clients must present a trusted certificate: by default the
one the face makes for its own connector (:meth:`AssetServer.connector_spec`), plus any in
``trusted_clients``. With ``users``, clients must also log in with a user name and password.
"""

from __future__ import annotations

import hmac
import logging
import shutil
import socket
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from asyncua import ua
from asyncua.common.node import Node
from asyncua.common.utils import ServiceError
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.server import Server
from asyncua.server.user_managers import UserManager
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.status_codes import StatusCodes
from cryptography import x509

from shopfloor.connect.opcua import certs
from shopfloor.connect.opcua.units import eu_information
from shopfloor.connect.opcua.values import VARIANT_OF_TYPE, data_value, initial_value
from shopfloor.model.assets import Asset, AssetLevel, AssetTree, Tag
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.secrets import SecretRef
from shopfloor.model.spec_opcua import OpcUaConnectorSpec, OpcUaSecuritySpec
from shopfloor.sim.twin import Twin, TwinOutput

NAMESPACE_URI = "urn:shopfloor:uns"
"""The namespace of every node the server makes: string ids are unified-namespace paths."""
APPLICATION_URI = "urn:shopfloor:twin"
CLIENT_URI = "urn:shopfloor:twin-client"
# asyncua needs a value of the variable's type to create it; it is replaced at once.
_ZERO = {
    ua.VariantType.Double: 0.0,
    ua.VariantType.Int64: 0,
    ua.VariantType.Boolean: False,
    ua.VariantType.String: "",
}
_SECURE = ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt
_UNTRUSTED = StatusCodes.BadCertificateUntrusted

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the OS picks it; nothing reserves it until the
    server binds, which is good enough for demos and tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class _PasswordUsers(UserManager):
    """User names and passwords, compared in constant time."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = dict(users)

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> User | None:
        expected = self._users.get(username or "")
        if expected is None or password is None:
            return None
        if not hmac.compare_digest(expected.encode(), password.encode()):
            return None
        return User(role=UserRole.User, name=username)


class AssetServer:
    """An OPC UA server whose address space is an asset tree (see the module docstring)."""

    def __init__(
        self,
        tree: AssetTree,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        certificate: certs.ApplicationCertificate | None = None,
        trusted_clients: Sequence[x509.Certificate] = (),
        allow_unsecured: bool = False,
        users: Mapping[str, str] | None = None,
        pki_dir: Path | None = None,
        start_ns: int | None = None,
    ) -> None:
        self.tree = tree
        self.start_ns = start_ns
        """Source time of the initial BadWaitingForInitialData values (None: none)."""
        self.host = host
        self.port = port
        self.allow_unsecured = allow_unsecured
        self.users = dict(users or {})
        self.certificate = certificate or certs.generate_certificate(
            APPLICATION_URI, role="server", hostnames=(host,)
        )
        # The server's application URI must be the one its certificate names.
        self.application_uri = certs.application_uri_of(self.certificate.certificate) or (
            APPLICATION_URI
        )
        self.client = certs.generate_certificate(CLIENT_URI, role="client")
        """The client pair the face makes and trusts for its own connector."""
        self._trusted = {certs.fingerprint(c) for c in trusted_clients}
        self._trusted.add(self.client.fingerprint)
        self._pki_dir = pki_dir
        self._own_pki = pki_dir is None
        self._server: Server | None = None
        self._variables: dict[str, tuple[ua.NodeId, ua.VariantType]] = {}
        self.namespace = 0
        self.running = False

    @property
    def endpoint(self) -> str:
        """``opc.tcp://host:port/`` (the port is chosen at the first start)."""
        if self.port is None:
            raise RuntimeError("the server has no port before it starts")
        return f"opc.tcp://{self.host}:{self.port}/"

    @property
    def pki_dir(self) -> Path | None:
        """Where the certificates and the client key are written (set at the first start)."""
        return self._pki_dir

    @property
    def ua_server(self) -> Server:
        """The asyncua server, for adding nodes the asset tree does not have (tests, demos)."""
        if self._server is None:
            raise RuntimeError("the server is built at its first start")
        return self._server

    def node_id(self, path: str) -> str:
        """The node id of the asset or tag at ``path``, as text."""
        return f"ns={self.namespace};s={path}"

    def _id(self, text: str) -> ua.NodeId:
        return ua.NodeId(ua.String(text), ua.Int16(self.namespace))

    # -- life cycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Build the address space (first start only, it takes seconds) and listen."""
        if self.running:
            return
        if self.port is None:
            self.port = free_port(self.host)
        if self._server is None:
            self._server = await self._build()
        self._write_pki()
        await self._server.start()
        self.running = True

    async def stop(self) -> None:
        """Stop listening; :meth:`start` serves the same address space on the same port."""
        if self._server is not None and self.running:
            await self._server.stop()
        self.running = False
        if self._own_pki and self._pki_dir is not None:
            shutil.rmtree(self._pki_dir, ignore_errors=True)

    async def _build(self) -> Server:
        server = Server(user_manager=_PasswordUsers(self.users) if self.users else None)
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name("shopfloor twin")
        await server.set_application_uri(self.application_uri)
        server.set_security_policy(
            [_SECURE, ua.SecurityPolicyType.NoSecurity] if self.allow_unsecured else [_SECURE]
        )
        tokens: list[type] = (
            [ua.UserNameIdentityToken] if self.users else [ua.AnonymousIdentityToken]
        )
        server.set_identity_tokens(tokens)
        await server.load_certificate(self.certificate.certificate_der())
        await server.load_private_key(self.certificate.private_key_der())
        server.set_certificate_validator(self._validate_client)
        self.namespace = await server.register_namespace(NAMESPACE_URI)
        await self._add_asset(server.nodes.objects, self.tree.root)
        return server

    async def _validate_client(self, certificate: x509.Certificate, _app: Any) -> None:
        if certs.fingerprint(certificate) not in self._trusted:
            log.warning("refused untrusted client certificate %s", certs.fingerprint(certificate))
            raise ServiceError(_UNTRUSTED)

    # -- address space -------------------------------------------------------------------
    async def _add_asset(self, parent: Node, asset: Asset) -> None:
        nodeid = self._id(asset.path)
        name = ua.QualifiedName(asset.name, self.namespace)
        if asset.level is AssetLevel.MACHINE:
            node = await parent.add_object(nodeid, name)
        else:
            node = await parent.add_folder(nodeid, name)
        await _describe(node, asset.description)
        for tag in asset.tags:
            await self._add_tag(node, tag)
        for child in asset.children:
            await self._add_asset(node, child)

    async def _add_tag(self, parent: Node, tag: Tag) -> None:
        variant = VARIANT_OF_TYPE[tag.data_type.value]
        nodeid = self._id(tag.path)
        node = await parent.add_variable(
            nodeid, ua.QualifiedName(tag.name, self.namespace), _ZERO[variant], varianttype=variant
        )
        await node.write_attribute(AttributeIds.Value, initial_value(self.start_ns))
        await _describe(node, tag.description)
        info = eu_information(tag.unit)
        if info is not None:
            await self._add_property(node, tag, "EngineeringUnits", info)
        if tag.range is not None:
            low, high = tag.range
            await self._add_property(node, tag, "EURange", ua.Range(Low=low, High=high))
        self._variables[tag.path] = (nodeid, variant)

    async def _add_property(self, node: Node, tag: Tag, name: str, value: Any) -> None:
        nodeid = self._id(f"{tag.path}#{name}")
        await node.add_property(nodeid, ua.QualifiedName(name, 0), value)

    def _write_pki(self) -> None:
        if self._pki_dir is None:
            self._pki_dir = Path(tempfile.mkdtemp(prefix="shopfloor-opcua-"))
        elif self._own_pki:
            # Same place after a restart, so the connector's spec still points at the files.
            self._pki_dir.mkdir(mode=0o700, exist_ok=True)
        self.certificate.write(self._pki_dir, "server")
        self.client.write(self._pki_dir, "client")

    # -- values --------------------------------------------------------------------------
    async def write(self, batch: SampleBatch | TextBatch) -> int:
        """Write each tag's newest sample in ``batch``; returns how many variables changed.

        Samples of paths the address space has no variable for are skipped.
        """
        if self._server is None or not len(batch):
            return 0
        written = 0
        for row in newest_rows(batch):
            known = self._variables.get(batch.paths[batch.tag[row]])
            if known is None:
                continue
            nodeid, variant = known
            value = data_value(
                batch.value[row], variant, int(batch.status[row]), int(batch.source_ns[row])
            )
            await self._server.write_attribute_value(nodeid, value)
            written += 1
        return written

    def connector_spec(self, name: str, asset: str | None = None) -> OpcUaConnectorSpec:
        """A connector that browses ``asset`` (default: the enterprise) over Basic256Sha256."""
        if self._pki_dir is None:
            raise RuntimeError("start the server before asking how to reach it")
        path = asset or self.tree.root.path
        security = OpcUaSecuritySpec(
            policy="Basic256Sha256",
            mode="SignAndEncrypt",
            certificate=str(self._pki_dir / "client.der"),
            private_key=SecretRef(file=str(self._pki_dir / "client.key.pem")),
            server_certificate=str(self._pki_dir / "server.der"),
        )
        return OpcUaConnectorSpec(
            name=name,
            type="opcua",
            endpoint=self.endpoint,
            asset=path,
            browse=self.node_id(path),
            security=security,
            sampling_interval_ms=0,
            publishing_interval_ms=250,
        )


async def _describe(node: Node, description: str) -> None:
    if description:
        await node.write_attribute(
            AttributeIds.Description, ua.DataValue(ua.Variant(ua.LocalizedText(description)))
        )


def newest_rows(batch: SampleBatch | TextBatch) -> npt.NDArray[np.intp]:
    """The row of each tag's newest sample (latest source time; the last row on ties)."""
    rows = np.arange(len(batch))
    if not len(rows):
        return rows
    order = np.lexsort((rows, batch.source_ns, batch.tag))
    tags = batch.tag[order]
    last = np.flatnonzero(np.append(tags[1:] != tags[:-1], True))
    return order[last]


class OpcUaServerFace:
    """The twin's OPC UA face: an :class:`AssetServer` of the twin's asset tree.

    Keyword arguments are those of :class:`AssetServer`.
    """

    def __init__(self, twin: Twin, **server: Any) -> None:
        self.twin = twin
        # Until the twin's first chunk, tags wait for data since the twin's (simulated) now.
        server.setdefault("start_ns", twin.now_ns)
        self.server = AssetServer(twin.tree, **server)

    async def start(self) -> None:
        """Build the address space and listen."""
        await self.server.start()

    async def publish(self, out: TwinOutput) -> None:
        """Write each tag's newest sample of the chunk (events are not served)."""
        await self.server.write(out.samples)
        await self.server.write(out.texts)

    async def stop(self) -> None:
        """Stop listening (a later :meth:`start` serves again on the same port)."""
        await self.server.stop()

    def connector_spec(self, name: str) -> OpcUaConnectorSpec:
        """A connector that browses the twin's line folder."""
        return self.server.connector_spec(name, self.twin.line_path)
