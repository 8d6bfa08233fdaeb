"""Plant-file settings of the OPC UA client connector."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shopfloor.model.connector_spec import ConnectorCommon, _Spec
from shopfloor.model.secrets import SecretRef


class OpcUaNodeSpec(_Spec):
    """One node to subscribe to, and the tag path its values go to."""

    node: str = Field(description="node id, e.g. ns=2;s=Line1.Press1.Temperature")
    tag: str = Field(description="tag name under the connector's asset, or a full path")


class OpcUaSecuritySpec(_Spec):
    """Message security: Basic256Sha256 with SignAndEncrypt, and the client's certificate."""

    policy: Literal["None", "Basic256Sha256"] = "Basic256Sha256"
    mode: Literal["None", "Sign", "SignAndEncrypt"] = "SignAndEncrypt"
    certificate: str | None = Field(None, description="client certificate (DER or PEM)")
    private_key: SecretRef | None = None
    server_certificate: str | None = Field(None, description="expected server certificate")


class OpcUaConnectorSpec(ConnectorCommon):
    """An OPC UA client that subscribes to nodes or browses a folder."""

    type: Literal["opcua"]
    endpoint: str = Field(pattern=r"^opc\.tcp://\S+$")
    asset: str = Field(description="asset path the tags belong to")
    security: OpcUaSecuritySpec = OpcUaSecuritySpec()
    username: str | None = None
    password: SecretRef | None = None
    nodes: list[OpcUaNodeSpec] = Field(default_factory=list)
    browse: str | None = Field(None, description="node id of a folder whose variables to follow")
    sampling_interval_ms: float = Field(500, gt=0)
    publishing_interval_ms: float = Field(500, gt=0)
