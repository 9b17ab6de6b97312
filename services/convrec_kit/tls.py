"""TLS for servers and clients: credentials from certificate files, reloaded when they change."""

from __future__ import annotations

import hashlib
import os
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
import structlog

log = structlog.get_logger()


def check_pair(cert_file: Path, key_file: Path) -> None:
    """ValueError unless the files hold a PEM certificate and the private key that matches it."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(str(cert_file), str(key_file))
    except (ssl.SSLError, OSError) as exc:  # the reason only (e.g. KEY_VALUES_MISMATCH), never the bytes
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        raise ValueError(f"{cert_file} and {key_file} are not a PEM certificate and its key ({reason})") from None


def check_ca(ca_file: Path) -> None:
    """ValueError unless the file holds at least one PEM CA certificate."""
    try:
        ssl.create_default_context(cafile=str(ca_file))
    except (ssl.SSLError, OSError) as exc:
        raise ValueError(f"{ca_file} holds no PEM CA certificate ({exc.__class__.__name__})") from None


def fingerprint(cert_pem: bytes) -> str:
    """The first 16 hex digits of the SHA-256 of the (first) certificate: public, safe to log."""
    der = ssl.PEM_cert_to_DER_cert(cert_pem.decode("ascii", "replace"))
    return hashlib.sha256(der).hexdigest()[:16]


@dataclass(frozen=True)
class ServerTLS:
    """The files a server serves TLS from; with `client_ca_file`, client certificates are required."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None

    def files(self) -> tuple[Path, ...]:
        return (self.cert_file, self.key_file) + ((self.client_ca_file,) if self.client_ca_file else ())


def _signature(paths: Sequence[Path]) -> tuple | None:
    """What changes when a file is replaced (a Secret volume swaps a symlink) or rewritten."""
    try:
        return tuple((s.st_ino, s.st_mtime_ns, s.st_size) for s in (os.stat(p) for p in paths))
    except OSError:
        return None


class CertificateReloader:
    """gRPC's certificate-configuration fetcher: called before every new handshake, it returns a
    new configuration when the files changed (or after `reload()`), None to keep the current one.
    A pair that does not load (mid-rotation, mismatched) keeps the current one and is logged once."""

    def __init__(self, tls: ServerTLS) -> None:
        self._tls = tls
        self._lock = threading.Lock()
        self._pending: grpc.ServerCertificateConfiguration | None = None
        self._seen = _signature(tls.files())
        self._current = self._load()

    def _load(self) -> grpc.ServerCertificateConfiguration:
        read = lambda: (self._tls.cert_file.read_bytes(), self._tls.key_file.read_bytes())  # noqa: E731
        cert, key = read()
        check_pair(self._tls.cert_file, self._tls.key_file)
        if read() != (cert, key):
            raise ValueError(f"{self._tls.cert_file} or {self._tls.key_file} changed while being read")
        ca = self._tls.client_ca_file.read_bytes() if self._tls.client_ca_file else None
        self.fingerprint = fingerprint(cert)
        return grpc.ssl_server_certificate_configuration([(key, cert)], root_certificates=ca)

    @property
    def mode(self) -> str:
        return "mutual" if self._tls.client_ca_file else "on"

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            self._current, self, require_client_authentication=self._tls.client_ca_file is not None
        )

    def reload(self, reason: str = "sighup") -> bool:
        """Reads the files now; the next handshake uses them. False (logged) if they do not load."""
        with self._lock:
            self._seen = _signature(self._tls.files())
            try:
                self._pending = self._load()
            except (ValueError, OSError) as exc:
                log.warning("tls_reload_failed", reason=reason, error=str(exc))
                return False
        log.info("tls_reloaded", reason=reason, cert_file=str(self._tls.cert_file), fingerprint=self.fingerprint)
        return True

    def __call__(self) -> grpc.ServerCertificateConfiguration | None:
        try:
            if _signature(self._tls.files()) != self._seen:
                self.reload("files_changed")
            with self._lock:
                pending, self._pending = self._pending, None
            return pending
        except Exception as exc:  # never fail a handshake here: keep the current certificate
            log.warning("tls_reload_failed", reason="fetcher", error=exc.__class__.__name__)
            return None


def sighup_handler(reloader: CertificateReloader | None) -> Callable[[], None]:
    """What SIGHUP does: reload the certificate files now (or say that TLS is off)."""
    if reloader is None:
        return lambda: log.info("sighup_ignored", reason="tls is off")
    return lambda: reloader.reload("sighup")


@dataclass(frozen=True)
class ClientTLS:
    """How a client dials over TLS: servers verified with `ca_file` (the system's roots if None),
    `cert_file`/`key_file` presented for mutual TLS, `server_name` expected instead of the host."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    server_name: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ClientTLS | None:
        """From CONVREC_TLS_CA_FILE, _CLIENT_CERT_FILE, _CLIENT_KEY_FILE, _SERVER_NAME; None (plain)
        unless a CA or a client certificate is set."""
        path = lambda name: Path(env[name]) if env.get(name) else None  # noqa: E731
        tls = cls(path("CONVREC_TLS_CA_FILE"), path("CONVREC_TLS_CLIENT_CERT_FILE"),
                  path("CONVREC_TLS_CLIENT_KEY_FILE"), env.get("CONVREC_TLS_SERVER_NAME", ""))
        return tls if tls.ca_file or tls.cert_file else None

    def credentials(self) -> grpc.ChannelCredentials:
        """Reads the files now: a channel keeps the certificate it was opened with."""
        read = lambda p: p.read_bytes() if p else None  # noqa: E731
        return grpc.ssl_channel_credentials(read(self.ca_file), read(self.key_file), read(self.cert_file))

    def options(self) -> list[tuple[str, str]]:
        return [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []


def dial(address: str, tls: ClientTLS | None = None, options: Sequence[tuple] = (), aio: bool = False):
    """A channel to `address`: TLS with `tls`, plaintext without (grpc.aio with `aio`)."""
    module = grpc.aio if aio else grpc
    if tls is None:
        return module.insecure_channel(address, options=list(options))
    return module.secure_channel(address, tls.credentials(), options=[*options, *tls.options()])
