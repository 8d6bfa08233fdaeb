"""OPC UA application instance certificates: make, load, write and recognise them.

OPC UA secures a connection with one certificate per application (Part 6, 6.2.2): an RSA key
of 2048 bits or more for Basic256Sha256, the application URI as a ``URI`` subject alternative
name, the host names as ``DNS`` names, and key usages for signing and encryption. The twin's
server face makes a self-signed pair at start when it is given none, and tests make pairs for
clients; real plants bring their own (PEM or DER files).

>>> pair = generate_certificate("urn:shopfloor:test", role="client")
>>> application_uri_of(pair.certificate)
'urn:shopfloor:test'
>>> load_certificate(pair.certificate_pem()) == pair.certificate
True
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shopfloor.model.errors import ConfigError

Role = Literal["server", "client"]

_EXTENDED_USAGE = {
    # A server face is also an OPC UA client of nobody, but many stacks expect both usages
    # on server certificates; clients need only client authentication.
    "server": [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
    "client": [ExtendedKeyUsageOID.CLIENT_AUTH],
}


@dataclass(frozen=True)
class ApplicationCertificate:
    """An application instance certificate with its private key."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey

    @property
    def application_uri(self) -> str | None:
        """The application URI the certificate names (its ``URI`` alternative name)."""
        return application_uri_of(self.certificate)

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the certificate, hex."""
        return fingerprint(self.certificate)

    def certificate_der(self) -> bytes:
        """The certificate, DER-encoded (what OPC UA sends on the wire)."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def certificate_pem(self) -> bytes:
        """The certificate, PEM-encoded."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def private_key_pem(self) -> bytes:
        """The private key, PEM (PKCS #8, unencrypted): write it only to files only you read."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def private_key_der(self) -> bytes:
        """The private key, DER (PKCS #8, unencrypted), as asyncua takes key bytes."""
        return der_from_key(self.private_key)

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        """Write ``<stem>.der`` and ``<stem>.key.pem`` (mode 0600) to ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        cert_path = directory / f"{stem}.der"
        key_path = directory / f"{stem}.key.pem"
        cert_path.write_bytes(self.certificate_der())
        _write_private(key_path, self.private_key_pem())
        return cert_path, key_path


def _write_private(path: Path, data: bytes) -> None:
    # Create the file with owner-only permissions from the start, so the key is never
    # readable by others, not even between a write and a chmod.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def generate_certificate(
    application_uri: str,
    *,
    role: Role,
    common_name: str | None = None,
    hostnames: tuple[str, ...] = (),
    days: int = 365,
    key_size: int = 2048,
) -> ApplicationCertificate:
    """A self-signed application instance certificate and a fresh RSA key.

    ``hostnames`` (names or IP addresses) go into the alternative names, with ``localhost``
    and this machine's host name always added (peers check them against the endpoint's host).
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name or application_uri)])
    now = dt.datetime.now(dt.UTC)
    dns = dict.fromkeys((*hostnames, "localhost", socket.gethostname()))
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(_alt_names(application_uri, tuple(dns)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(), critical=True)
        .add_extension(x509.ExtendedKeyUsage(_EXTENDED_USAGE[role]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return ApplicationCertificate(builder.sign(key, hashes.SHA256()), key)


def _alt_names(application_uri: str, hosts: tuple[str, ...]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(application_uri)]
    names += [_host_name(h) for h in hosts if h]
    return x509.SubjectAlternativeName(names)


def _host_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _key_usage() -> x509.KeyUsage:
    # OPC UA Part 6, 6.2.2: signing, non-repudiation and both encipherments.
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=True,
        data_encipherment=True,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def load_certificate(data: bytes, source: str = "certificate") -> x509.Certificate:
    """A certificate from PEM or DER bytes; :class:`ConfigError` names ``source`` if invalid."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise ConfigError(f"{source}: not a PEM or DER certificate") from None


def load_private_key(
    data: bytes, password: bytes | None = None, source: str = "private key"
) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM or DER bytes; errors never quote the key."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, password)
        else:
            key = serialization.load_der_private_key(data, password)
    except (ValueError, TypeError):
        # The library's message may echo parts of the input; say only what went wrong.
        raise ConfigError(f"{source}: not a readable RSA private key (or wrong password)") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{source}: OPC UA needs an RSA key, not {type(key).__name__}")
    return key


def der_from_key(key: rsa.RSAPrivateKey) -> bytes:
    """A private key as unencrypted PKCS #8 DER bytes."""
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def application_uri_of(certificate: x509.Certificate) -> str | None:
    """The first ``URI`` subject alternative name, which OPC UA uses as application URI."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 fingerprint, lower-case hex, as status pages and logs show certificates."""
    return certificate.fingerprint(hashes.SHA256()).hex()
