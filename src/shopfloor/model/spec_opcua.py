"""Plant-file settings of the OPC UA client connector.

.. code-block:: yaml

    connectors:
      - name: line1-opcua
        type: opcua
        endpoint: opc.tcp://plc1.plant.local:4840
        asset: acme/stuttgart/fabrication/line1
        browse: ns=2;s=acme/stuttgart/fabrication/line1
        security:
          certificate: /etc/shopfloor/opcua/client.der
          private_key: {file: /run/secrets/opcua_client_key}
          server_certificate: /etc/shopfloor/opcua/plc1.der

The reference, with the status-code mapping and the reconnect rules, is
``docs/connectors-opcua.md``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from shopfloor.model.connector_spec import ConnectorCommon, _Spec
from shopfloor.model.namespace import SEPARATOR, check_segment
from shopfloor.model.secrets import SecretRef
from shopfloor.model.spec_types import Duration


def _check_path(path: str) -> str:
    for segment in path.split(SEPARATOR):
        check_segment(segment)
    return path


class OpcUaNodeSpec(_Spec):
    """One node to subscribe to, and the tag path its values go to."""

    node: str = Field(description="node id, e.g. ns=2;s=Line1.Press1.Temperature or nsu=URI;s=...")
    tag: str = Field(description="tag name under the connector's asset, or a full path (with /)")

    @field_validator("tag")
    @classmethod
    def _tag_is_path(cls, tag: str) -> str:
        return _check_path(tag)


class OpcUaSecuritySpec(_Spec):
    """Message security: Basic256Sha256 with SignAndEncrypt, and the client's certificate.

    ``policy: None`` (with ``mode: None``) is for local demos only: nothing is signed or
    encrypted. With Basic256Sha256 the client needs its certificate and private key; the
    server must trust that certificate. ``server_certificate`` pins the server's certificate:
    a server presenting any other one is refused.
    """

    policy: Literal["None", "Basic256Sha256"] = "Basic256Sha256"
    mode: Literal["None", "Sign", "SignAndEncrypt"] = "SignAndEncrypt"
    certificate: str | None = Field(None, description="client certificate file (DER or PEM)")
    private_key: SecretRef | None = Field(None, description="client private key (PEM or DER)")
    private_key_password: SecretRef | None = None
    server_certificate: str | None = Field(
        None, description="the server certificate to trust (DER or PEM); unset: any, with a warning"
    )
    application_uri: str | None = Field(
        None, description="client application URI; default: the URI in the client certificate"
    )

    @model_validator(mode="after")
    def _consistent(self) -> OpcUaSecuritySpec:
        if (self.policy == "None") != (self.mode == "None"):
            raise ValueError(
                "policy None goes with mode None, and Basic256Sha256 with Sign or SignAndEncrypt"
            )
        if self.policy != "None" and (self.certificate is None or self.private_key is None):
            raise ValueError(
                f"policy {self.policy} needs certificate and private_key "
                "(or policy: None and mode: None for an unsecured local link)"
            )
        return self


class OpcUaConnectorSpec(ConnectorCommon):
    """An OPC UA client that subscribes to nodes or browses a folder."""

    type: Literal["opcua"]
    endpoint: str = Field(
        pattern=r"^opc\.tcp://[^/@\s]+(/\S*)?$",
        description="opc.tcp://host:port[/path], without credentials (use username and password)",
    )
    asset: str = Field(description="asset path the tags belong to")
    security: OpcUaSecuritySpec = Field(
        description="required, so that an unsecured link is always a written choice"
    )
    username: str | None = None
    password: SecretRef | None = None
    nodes: list[OpcUaNodeSpec] = Field(default_factory=list)
    browse: str | None = Field(None, description="node id of a folder whose variables to follow")
    browse_depth: int = Field(8, ge=1, le=32, description="how many levels below browse to follow")
    sampling_interval_ms: float = Field(500, ge=0)
    publishing_interval_ms: float = Field(500, gt=0)
    queue_size: int = Field(
        10, ge=1, le=10_000, description="values the server keeps per node between publishes"
    )
    request_timeout: Duration = Field(5.0, description="how long one request may take")
    watchdog_interval: Duration = Field(
        5.0,
        description="how often the client checks that the server still answers (and how long"
        " it waits for the answer)",
    )

    @field_validator("asset")
    @classmethod
    def _asset_is_path(cls, asset: str) -> str:
        return _check_path(asset)

    @model_validator(mode="after")
    def _something_to_follow(self) -> OpcUaConnectorSpec:
        if not self.nodes and self.browse is None:
            raise ValueError("an opcua connector needs nodes: or browse: (or both)")
        if self.password is not None and self.username is None:
            raise ValueError("password: needs username:")
        return self
