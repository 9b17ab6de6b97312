"""Typed settings read from CONVREC_* environment variables, validated at start."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from . import tls

REPO_ROOT = Path(__file__).resolve().parents[2]


class CommonSettings(BaseSettings):
    """Settings every service shares."""

    model_config = SettingsConfigDict(env_prefix="CONVREC_", extra="ignore")

    host: str = "127.0.0.1"
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Debug logging may include utterances and user ids; off by default.
    debug: bool = False
    artifacts_dir: Path = REPO_ROOT / "artifacts"
    catalog: str = "demo"
    model_backend: Literal["embedded", "triton"] = "embedded"
    # Triton's gRPC endpoint, for CONVREC_MODEL_BACKEND=triton.
    triton_url: str = "127.0.0.1:8001"
    triton_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    # Instance kind of the rendered model repository: cpu here, gpu in production.
    triton_device: Literal["cpu", "gpu"] = "cpu"
    torch_threads: int = Field(default=1, ge=1, le=64)
    # Where the project's own torch models run and train: cpu, cuda, cuda:N, or auto (cuda when present).
    torch_device: str = Field(default="cpu", pattern=r"^(cpu|auto|cuda(:\d+)?)$")
    grace_seconds: float = Field(default=5.0, ge=0)
    # A server closes each client connection after this long (and lets its calls finish
    # for `connection_age_grace_seconds`), so clients re-resolve and new replicas get calls.
    max_connection_age_seconds: float = Field(default=300.0, gt=0)
    connection_age_grace_seconds: float = Field(default=30.0, ge=0)
    # Largest request message accepted, in bytes.
    max_message_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    # TLS on the gRPC port (the metrics port stays plain HTTP): this certificate and key,
    # re-read when they change and on SIGHUP. With a client CA, every client must present
    # a certificate that CA signed (mutual TLS).
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None
    # Calls to other services over TLS: servers verified with this CA (the system's roots when
    # only a client certificate is set), this certificate presented for mutual TLS, and the
    # name expected in the servers' certificates instead of the target's host (tests).
    tls_ca_file: Path | None = None
    tls_client_cert_file: Path | None = None
    tls_client_key_file: Path | None = None
    tls_server_name: str = ""

    @field_validator("tls_cert_file", "tls_key_file", "tls_client_ca_file", "tls_ca_file",
                     "tls_client_cert_file", "tls_client_key_file", mode="before")
    @classmethod
    def _tls_file(cls, value):
        if value in (None, ""):
            return None
        if not Path(value).is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @model_validator(mode="after")
    def _tls_pairs(self):
        pairs = ((self.tls_cert_file, self.tls_key_file, "CONVREC_TLS_CERT_FILE", "CONVREC_TLS_KEY_FILE"),
                 (self.tls_client_cert_file, self.tls_client_key_file, "CONVREC_TLS_CLIENT_CERT_FILE",
                  "CONVREC_TLS_CLIENT_KEY_FILE"))
        for cert, key, cert_var, key_var in pairs:
            if (cert is None) != (key is None):
                raise ValueError(f"{cert_var} and {key_var} go together: set both or neither")
            if cert is not None:
                tls.check_pair(cert, key)
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise ValueError("CONVREC_TLS_CLIENT_CA_FILE (mutual TLS) needs CONVREC_TLS_CERT_FILE and _KEY_FILE")
        for ca in (self.tls_client_ca_file, self.tls_ca_file):
            if ca is not None:
                tls.check_ca(ca)
        return self

    def server_tls(self) -> tls.ServerTLS | None:
        """The server's TLS files, or None for plaintext."""
        if self.tls_cert_file is None:
            return None
        return tls.ServerTLS(self.tls_cert_file, self.tls_key_file, self.tls_client_ca_file)

    def client_tls(self) -> tls.ClientTLS | None:
        """How to dial other services, or None for plaintext."""
        if self.tls_ca_file is None and self.tls_client_cert_file is None:
            return None
        return tls.ClientTLS(self.tls_ca_file, self.tls_client_cert_file, self.tls_client_key_file,
                             self.tls_server_name)

    @property
    def catalog_dir(self) -> Path:
        return self.artifacts_dir / self.catalog

    @property
    def port(self) -> int:  # overridden per service
        raise NotImplementedError

    @property
    def metrics_port(self) -> int:
        raise NotImplementedError


def load_settings(cls: type[BaseSettings]) -> BaseSettings:
    """Build a settings object, turning validation errors into one clear message."""
    try:
        return cls()
    except ValidationError as exc:
        problems = "; ".join(
            (f"CONVREC_{'_'.join(str(p) for p in err['loc']).upper()}: " if err["loc"] else "") + err["msg"]
            for err in exc.errors()
        )
        raise SystemExit(f"invalid configuration: {problems}") from None
