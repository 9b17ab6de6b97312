"""Typed settings read from CONVREC_* environment variables, validated at start."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    grace_seconds: float = Field(default=5.0, ge=0)
    # A server closes each client connection after this long (and lets its calls finish
    # for `connection_age_grace_seconds`), so clients re-resolve and new replicas get calls.
    max_connection_age_seconds: float = Field(default=300.0, gt=0)
    connection_age_grace_seconds: float = Field(default=30.0, ge=0)
    # Largest request message accepted, in bytes.
    max_message_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)

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
            f"CONVREC_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SystemExit(f"invalid configuration: {problems}") from None
