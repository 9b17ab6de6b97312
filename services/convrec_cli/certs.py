"""Throwaway certificate authorities and certificates for local TLS runs (bench, tests)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

# `cryptography` is a development dependency: only local TLS runs mint certificates.
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOCAL_NAMES = ("localhost", "127.0.0.1")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _san(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


@dataclass
class Issued:
    """A certificate and its private key, PEM."""

    cert_pem: bytes
    key_pem: bytes

    @property
    def serial(self) -> int:
        return x509.load_pem_x509_certificate(self.cert_pem).serial_number

    def write(self, cert_path: Path, key_path: Path) -> None:
        """Writes both files, each replaced in one step (a reader never sees half a file)."""
        for path, data in ((key_path, self.key_pem), (cert_path, self.cert_pem)):
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)


class Authority:
    """A self-signed CA that issues server and client certificates (server and client auth)."""

    def __init__(self, name: str = "convrec test CA", days: int = 2) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        self._name, self._days = _name(name), days
        self.cert = (
            x509.CertificateBuilder().subject_name(self._name).issuer_name(self._name)
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, common_name: str = "convrec", names: tuple[str, ...] = LOCAL_NAMES) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(self._name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=self._days))
            .add_extension(_san(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(self._key, hashes.SHA256())
        )
        return Issued(cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))


@dataclass
class TLSFiles:
    """One CA, one certificate every service serves and dials with, in a directory."""

    directory: Path
    authority: Authority

    @property
    def ca(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def cert(self) -> Path:
        return self.directory / "tls.crt"

    @property
    def key(self) -> Path:
        return self.directory / "tls.key"

    @classmethod
    def create(cls, directory: Path) -> TLSFiles:
        directory.mkdir(parents=True, exist_ok=True)
        files = cls(directory, Authority())
        files.ca.write_bytes(files.authority.cert_pem)
        files.authority.issue().write(files.cert, files.key)
        return files

    def env(self, mutual: bool = True) -> dict[str, str]:
        """CONVREC_TLS_* for every service: serve TLS, verify servers with the CA, present the
        certificate to the services dialled and, with `mutual`, require client certificates."""
        env = {
            "CONVREC_TLS_CERT_FILE": str(self.cert),
            "CONVREC_TLS_KEY_FILE": str(self.key),
            "CONVREC_TLS_CA_FILE": str(self.ca),
            "CONVREC_TLS_CLIENT_CERT_FILE": str(self.cert),
            "CONVREC_TLS_CLIENT_KEY_FILE": str(self.key),
        }
        if mutual:
            env["CONVREC_TLS_CLIENT_CA_FILE"] = str(self.ca)
        return env


def served_serial(port: int, ca: Path, cert: Path | None = None, key: Path | None = None,
                  host: str = "127.0.0.1", server_name: str = "localhost") -> int:
    """The serial number of the certificate a TLS server presents on a new connection."""
    context = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        context.load_cert_chain(str(cert), str(key))
    context.set_alpn_protocols(["h2"])
    with socket.create_connection((host, port), timeout=10) as sock, \
            context.wrap_socket(sock, server_hostname=server_name) as conn:
        der = conn.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number
