"""Bearer credentials a caller presents: a service's own to the services it calls, CONVREC_TOKEN for the CLI."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping

import jwt

from .auth import SERVICE
from .auth_settings import SecuritySettings


class ServiceCredential:
    """A fixed token (an API key or a JWT), or HS256 JWTs with scope `service` minted from the
    shared secret, short-lived and renewed at half their lifetime."""

    def __init__(self, token: str = "", secret: bytes = b"", subject: str = "", audience: str = "",
                 issuer: str = "", ttl_seconds: int = 300, clock: Callable[[], float] = time.time) -> None:
        if not token and not secret:
            raise ValueError("a service credential needs a token or a secret")
        self._token, self._secret = token, secret
        self._subject, self._audience, self._issuer = subject, audience, issuer
        self._ttl, self._clock = ttl_seconds, clock
        self._minted, self._renew_at = "", 0.0
        self._lock = threading.Lock()

    def header(self) -> str:
        """The `authorization` metadata value."""
        return f"Bearer {self._token or self._current()}"

    def _current(self) -> str:
        with self._lock:
            now = self._clock()
            if now >= self._renew_at:
                claims = {"sub": self._subject, "scope": SERVICE, "iat": int(now), "exp": int(now) + self._ttl,
                          "jti": uuid.uuid4().hex}
                if self._audience:
                    claims["aud"] = self._audience
                if self._issuer:
                    claims["iss"] = self._issuer
                self._minted = jwt.encode(claims, self._secret, algorithm="HS256")
                self._renew_at = now + self._ttl / 2
            return self._minted


def service_credential(settings: SecuritySettings, service: str) -> ServiceCredential | None:
    """What `service` presents downstream: CONVREC_SERVICE_TOKEN(_FILE), else tokens minted from
    CONVREC_AUTH_HS256_SECRET, else nothing (auth off). SystemExit when auth is on and neither is set."""
    token = settings.service_token.get_secret_value().strip() if settings.service_token else ""
    if not token and settings.service_token_file is not None:
        token = settings.service_token_file.read_text().strip()
    secret = settings.auth_hs256_secret.get_secret_value().encode() if settings.auth_hs256_secret else b""
    if token or secret:
        return ServiceCredential(token, secret, f"svc:{service}", settings.auth_audience, settings.auth_issuer,
                                 settings.service_token_ttl_seconds)
    if settings.enabled:
        raise SystemExit(
            f"invalid configuration: {service} calls other services with CONVREC_AUTH=on, so it needs a "
            "credential: CONVREC_SERVICE_TOKEN, CONVREC_SERVICE_TOKEN_FILE or CONVREC_AUTH_HS256_SECRET"
        )
    return None


def bearer_metadata(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()


def client_metadata(env: Mapping[str, str] = os.environ) -> tuple[tuple[str, str], ...] | None:
    """Metadata for the command-line clients: the bearer token in CONVREC_TOKEN, if any."""
    return bearer_metadata(env.get("CONVREC_TOKEN", "").strip()) or None
