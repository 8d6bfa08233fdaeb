"""The plant file's ``connectors:`` section: the devices shopfloor reads from.

Every connector has a ``name`` (unique), a ``type`` that selects its protocol, and the same
reconnect settings; the rest is protocol-specific and lives in the protocol's own spec
module. Secrets (passwords, private keys) are :class:`~shopfloor.model.secrets.SecretRef`\\ s.

.. code-block:: yaml

    connectors:
      - name: line1-edge
        type: sparkplug
        broker: mqtts://broker.plant.local:8883
        username: shopfloor
        password: {env: MQTT_PASSWORD}
        tls: {ca: /etc/shopfloor/ca.pem}
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shopfloor.model.secrets import SecretRef
from shopfloor.model.spec_types import Duration, Name


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BackoffSpec(_Spec):
    """Reconnect delays: exponential from ``initial`` to ``max``, each with random jitter."""

    initial: Duration = 0.5
    max: Duration = 30.0
    multiplier: float = Field(2.0, ge=1.0)
    jitter: float = Field(0.2, ge=0.0, le=1.0, description="+/- this fraction of each delay")


class TlsSpec(_Spec):
    """TLS for a connection: the CA to trust and, for client certificates, cert and key."""

    ca: str | None = Field(None, description="CA certificate file (PEM)")
    cert: str | None = Field(None, description="client certificate file (PEM)")
    key: SecretRef | None = Field(None, description="client private key (PEM), as a secret")
    key_password: SecretRef | None = None
    insecure_skip_verify: bool = Field(
        False, description="accept any server certificate (testing only; logged as a warning)"
    )


class ConnectorCommon(_Spec):
    """What every connector has."""

    name: Name
    enabled: bool = True
    backoff: BackoffSpec = BackoffSpec()
