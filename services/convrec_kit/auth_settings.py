"""Settings of authentication, service credentials and reflection (CONVREC_AUTH*, CONVREC_SERVICE_TOKEN*)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_ON = {"on", "true", "1", "yes"}
_OFF = {"off", "false", "0", "no", ""}


def _switch(value):
    text = str(value).strip().lower()
    return "on" if text in _ON else "off" if text in _OFF else value


class SecuritySettings(BaseSettings):
    """Who may call a service, and what a service presents when it calls another."""

    model_config = SettingsConfigDict(env_prefix="CONVREC_", extra="ignore")

    # off: every call is accepted (the embedded default); on: every RPC but health and
    # reflection needs `authorization: Bearer <token>`.
    auth: Literal["off", "on"] = "off"
    # HS256: the shared secret (at least 32 bytes) that signs tokens, and the service tokens minted from it.
    auth_hs256_secret: SecretStr | None = None
    # RS256 or ES256 (P-256): a PEM public key; the key's type fixes its algorithm.
    auth_public_key_file: Path | None = None
    # RS256/ES256 keys as a JWKS document (a file; keys picked by `kid`).
    auth_jwks_file: Path | None = None
    # API keys (`ck_...`): JSON or YAML mapping a key, or "sha256:<hex of the key>", to {subject, scopes}.
    auth_api_keys_file: Path | None = None
    # The same mapping inline (e.g. from a Kubernetes Secret through envFrom).
    auth_api_keys: SecretStr | None = None
    # Checked when set: the token's `aud` must name this audience, its `iss` be this issuer.
    auth_audience: str = ""
    auth_issuer: str = ""
    # Clock skew tolerated on exp, nbf and iat.
    auth_leeway_seconds: float = Field(default=10.0, ge=0, le=300)
    # The bearer token this service presents to the services it calls (an API key or a JWT with
    # scope `service`), or a file holding it; without either, one is minted from the HS256 secret.
    service_token: SecretStr | None = None
    service_token_file: Path | None = None
    # Lifetime of a minted service token.
    service_token_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    # Server reflection (grpcurl list/describe); health is always served.
    reflection: Literal["off", "on"] = "on"

    @field_validator("auth", "reflection", mode="before")
    @classmethod
    def _on_off(cls, value):
        return _switch(value)

    @field_validator("auth_public_key_file", "auth_jwks_file", "auth_api_keys_file", "service_token_file",
                     mode="before")
    @classmethod
    def _existing_file(cls, value):
        if value in (None, ""):
            return None
        if not Path(value).is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("auth_hs256_secret", "auth_api_keys", "service_token", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value in (None, "") else value

    @field_validator("auth_hs256_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None):
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("the HS256 secret must be at least 32 bytes (e.g. `openssl rand -hex 32`)")
        return value

    @model_validator(mode="after")
    def _has_keys(self):
        if self.auth == "on" and not (self.auth_hs256_secret or self.auth_public_key_file
                                      or self.auth_jwks_file or self.auth_api_keys_file or self.auth_api_keys):
            raise ValueError(
                "CONVREC_AUTH=on needs a way to verify tokens: CONVREC_AUTH_HS256_SECRET, "
                "CONVREC_AUTH_PUBLIC_KEY_FILE, CONVREC_AUTH_JWKS_FILE, CONVREC_AUTH_API_KEYS(_FILE)"
            )
        return self

    @property
    def enabled(self) -> bool:
        return self.auth == "on"
