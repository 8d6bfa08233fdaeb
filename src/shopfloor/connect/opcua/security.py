"""Secure an OPC UA client as its spec says, checking both sides' certificates.

At every connection (so that rotated files are picked up) the connector:

1. asks the server for its endpoints over an unsecured discovery channel, as OPC UA intends,
   and picks the one with the configured policy and mode, or fails naming what the server
   offers;
2. refuses to send a password the server would receive in plain text;
3. loads the client certificate (file) and private key (a secret: environment or file),
   never logging or quoting the key;
4. checks the server's certificate against the pinned one (``server_certificate``), or, when
   none is pinned, accepts it with a warning that names its fingerprint.

asyncua logs every request at DEBUG level, the session activation with its user token
included; :func:`hide_credentials_in_library_logs` keeps that one out of the log.
"""

from __future__ import annotations

import logging
from pathlib import Path

from asyncua import ua
from asyncua.client.client import Client
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256, SecurityPolicyNone
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from shopfloor.connect.base import ConnectorError
from shopfloor.connect.opcua import certs
from shopfloor.model.errors import ConfigError
from shopfloor.model.spec_opcua import OpcUaConnectorSpec, OpcUaSecuritySpec

POLICY_URIS = {"None": SecurityPolicyNone.URI, "Basic256Sha256": SecurityPolicyBasic256Sha256.URI}
MODES = {
    "None": ua.MessageSecurityMode.None_,
    "Sign": ua.MessageSecurityMode.Sign,
    "SignAndEncrypt": ua.MessageSecurityMode.SignAndEncrypt,
}
_REQUEST_LOGGER = "asyncua.client.ua_client.UASocketProtocol"


class SecurityError(ConnectorError):
    """The two sides cannot agree on security, or a certificate is not the trusted one."""

    code = "connect.security"


async def secure(client: Client, spec: OpcUaConnectorSpec, log: logging.Logger) -> None:
    """Configure ``client`` for ``spec``: endpoint, credentials, certificates (see module)."""
    endpoint = await _endpoint(client, spec.security)
    _check_password_protected(endpoint, spec)
    if spec.username is not None:
        client.set_user(spec.username)
    if spec.password is not None:
        client.set_password(spec.password.resolve())
    if spec.security.policy == "None":
        return
    certificate, key_der = _client_pair(spec.security)
    client.application_uri = (
        spec.security.application_uri
        or certs.application_uri_of(certificate)
        or f"urn:shopfloor:{spec.name}"
    )
    server_der = _trusted_server_certificate(endpoint, spec.security, log)
    await client.set_security(
        SecurityPolicyBasic256Sha256,
        certificate.public_bytes(Encoding.DER),
        key_der,
        server_certificate=server_der,
        mode=MODES[spec.security.mode],
    )


async def _endpoint(client: Client, security: OpcUaSecuritySpec) -> ua.EndpointDescription:
    endpoints = await client.connect_and_get_server_endpoints()
    mode, uri = MODES[security.mode], POLICY_URIS[security.policy]
    for endpoint in endpoints:
        if endpoint.SecurityMode == mode and endpoint.SecurityPolicyUri == uri:
            return endpoint
    offered = ", ".join(sorted({_describe(e) for e in endpoints})) or "nothing"
    raise SecurityError(
        f"the server offers no endpoint with policy {security.policy} and mode "
        f"{security.mode}; it offers {offered}"
    )


def _describe(endpoint: ua.EndpointDescription) -> str:
    policy = (endpoint.SecurityPolicyUri or "").rpartition("#")[2] or "?"
    mode = endpoint.SecurityMode.name.rstrip("_") if endpoint.SecurityMode is not None else "?"
    return f"{policy}/{mode}"


def _check_password_protected(endpoint: ua.EndpointDescription, spec: OpcUaConnectorSpec) -> None:
    """Refuse to send a password that neither the channel nor the token would encrypt."""
    if spec.password is None or spec.security.mode == "SignAndEncrypt":
        return
    for token in endpoint.UserIdentityTokens or []:
        if token.TokenType == ua.UserTokenType.UserName:
            policy = token.SecurityPolicyUri or endpoint.SecurityPolicyUri
            if policy and policy != SecurityPolicyNone.URI:
                return
            break
    raise SecurityError(
        "the server would receive the password in plain text on this endpoint; "
        "use security policy Basic256Sha256 with mode SignAndEncrypt"
    )


def _client_pair(security: OpcUaSecuritySpec) -> tuple[x509.Certificate, bytes]:
    # The spec's validator guarantees both for any policy but None.
    assert security.certificate is not None
    assert security.private_key is not None
    certificate = certs.load_certificate(
        _read(security.certificate, "security.certificate"), "security.certificate"
    )
    password = security.private_key_password
    key = certs.load_private_key(
        security.private_key.resolve().encode(),
        None if password is None else password.resolve().encode(),
        "security.private_key",
    )
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey) or public.public_numbers() != (
        key.public_key().public_numbers()
    ):
        raise ConfigError("security.private_key does not belong to security.certificate")
    return certificate, certs.der_from_key(key)


def _read(path: str, key: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror}") from None


def _trusted_server_certificate(
    endpoint: ua.EndpointDescription, security: OpcUaSecuritySpec, log: logging.Logger
) -> bytes:
    if not endpoint.ServerCertificate:
        raise SecurityError("the server's endpoint carries no certificate")
    offered = certs.load_certificate(endpoint.ServerCertificate, "server certificate")
    if security.server_certificate is None:
        log.warning(
            "server certificate not pinned; trusting sha256 %s (set security.server_certificate)",
            certs.fingerprint(offered),
        )
        return offered.public_bytes(Encoding.DER)
    pinned = certs.load_certificate(
        _read(security.server_certificate, "security.server_certificate"),
        "security.server_certificate",
    )
    if pinned != offered:
        raise SecurityError(
            f"the server presents certificate sha256 {certs.fingerprint(offered)}, "
            f"not the trusted {certs.fingerprint(pinned)} (security.server_certificate)"
        )
    return offered.public_bytes(Encoding.DER)


class _HideActivateSession(logging.Filter):
    """Drop asyncua's DEBUG line for ActivateSession: it prints the user token."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(a, ua.ActivateSessionRequest) for a in args)


_FILTER = _HideActivateSession()


def hide_credentials_in_library_logs() -> None:
    """Install the filter on asyncua's request logger (idempotent)."""
    logger = logging.getLogger(_REQUEST_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
