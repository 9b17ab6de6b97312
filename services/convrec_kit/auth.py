"""Verifies bearer tokens (JWTs signed HS256, RS256 or ES256, and `ck_` API keys) into the caller's principal."""

from __future__ import annotations

import hashlib
import json
import secrets
from contextvars import ContextVar, Token
from dataclasses import dataclass
from pathlib import Path

import jwt
import structlog
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .auth_settings import SecuritySettings

log = structlog.get_logger()

API_KEY_PREFIX = "ck_"  # a bearer value starting so is an API key; anything else must be a JWT
ADMIN = "admin"  # may act for any user
SERVICE = "service"  # one of our services calling another
ASYMMETRIC = ("RS256", "ES256")


class AuthError(Exception):
    """A token that does not authenticate; `reason` goes into ErrorInfo."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user id a token may act for (`sub`) and its scopes."""

    subject: str
    scopes: frozenset[str] = frozenset()

    @property
    def kind(self) -> str:
        return "service" if SERVICE in self.scopes else "user"

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.scopes


_CURRENT: ContextVar[Principal | None] = ContextVar("convrec_principal", default=None)


def current_principal() -> Principal | None:
    """The authenticated caller of the RPC being served; None when authentication is off."""
    return _CURRENT.get()


def bind_principal(principal: Principal | None) -> Token:
    return _CURRENT.set(principal)


def unbind_principal(token: Token) -> None:
    _CURRENT.reset(token)


def scopes_of(value) -> frozenset[str]:
    """Scopes from a space-separated string (the JWT `scope` claim) or a list."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise ValueError("scopes must be a space-separated string or a list of strings")


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_digest(key: str) -> str:
    """What an API keys file may hold instead of the key: sha256:<hex>."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class VerifyingKey:
    algorithm: str
    key: object
    kid: str = ""


def load_public_key(path: Path) -> VerifyingKey:
    """A PEM public key: RSA verifies RS256, EC P-256 verifies ES256."""
    key = serialization.load_pem_public_key(path.read_bytes())
    if isinstance(key, rsa.RSAPublicKey):
        return VerifyingKey("RS256", key)
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return VerifyingKey("ES256", key)
    raise ValueError("only RSA (RS256) and EC P-256 (ES256) public keys are accepted")


def load_jwks(path: Path) -> list[VerifyingKey]:
    """The RS256 and ES256 signing keys of a JWKS document; other keys are skipped."""
    keys = []
    for jwk in jwt.PyJWKSet.from_dict(json.loads(path.read_text())).keys:
        if jwk.algorithm_name in ASYMMETRIC and jwk.public_key_use in (None, "sig"):
            keys.append(VerifyingKey(jwk.algorithm_name, jwk.key, jwk.key_id or ""))
        else:
            log.warning("jwks_key_skipped", kid=jwk.key_id, algorithm=jwk.algorithm_name)
    if not keys:
        raise ValueError("no RS256 or ES256 signing key in it")
    return keys


def load_api_keys(path: Path) -> dict[str, Principal]:
    return parse_api_keys(path.read_text())


def parse_api_keys(text: str) -> dict[str, Principal]:
    """sha256 digest of each key -> its principal, from JSON or YAML {key or "sha256:<hex>": {subject, scopes}}."""
    try:
        entries = yaml.safe_load(text) or {}  # JSON reads as YAML too
    except yaml.YAMLError as err:
        raise ValueError(f"neither JSON nor YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(entries, dict):
        raise ValueError("expected a mapping of API key (or sha256:<hex>) to {subject, scopes}")
    keys = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("subject"), str) or not entry["subject"]:
            raise ValueError(f"entry {_shown(name)} needs a subject")
        keys[_digest_of(name)] = Principal(entry["subject"], scopes_of(entry.get("scopes")))
    return keys


def _digest_of(name: str) -> str:
    if name.startswith("sha256:") and len(name) == 71 and all(c in "0123456789abcdef" for c in name[7:].lower()):
        return name.lower()
    if name.startswith(API_KEY_PREFIX) and len(name) >= 24:
        return api_key_digest(name)
    raise ValueError(f"key {_shown(name)} is neither sha256:<64 hex digits> nor {API_KEY_PREFIX}<at least 21 chars>")


def _shown(name: str) -> str:
    """Enough of a key to find it in the file, never the key."""
    return repr(name[:10] + "...") if not name.startswith("sha256:") else repr(name[:15] + "...")


# PyJWT's errors, most specific first, as (reason, message) for the caller.
_JWT_ERRORS = (
    (jwt.ExpiredSignatureError, "TOKEN_EXPIRED", "the token has expired; get a new one"),
    (jwt.ImmatureSignatureError, "TOKEN_INVALID", "the token is not valid yet (nbf or iat in the future)"),
    (jwt.InvalidAudienceError, "TOKEN_INVALID", "the token is not meant for this audience"),
    (jwt.InvalidIssuerError, "TOKEN_INVALID", "the token's issuer is not accepted"),
    (jwt.InvalidSignatureError, "TOKEN_INVALID", "the token's signature does not verify"),
    (jwt.DecodeError, "TOKEN_INVALID", "the token is malformed"),
)


class Verifier:
    """Turns a bearer value into a Principal or raises AuthError. Each key verifies only its own
    algorithm (the HS256 secret HS256, an RSA key RS256, a P-256 key ES256), so "none" and
    algorithm confusion (an HS256 token signed with a public key) are refused."""

    def __init__(self, hs256_secret: bytes | None = None, keys: list[VerifyingKey] | None = None,
                 api_keys: dict[str, Principal] | None = None, audience: str = "", issuer: str = "",
                 leeway: float = 10.0) -> None:
        self._secret = hs256_secret
        self._keys = list(keys or [])
        self._api_keys = dict(api_keys or {})
        self._audience, self._issuer, self._leeway = audience, issuer, leeway
        self.algorithms = frozenset((["HS256"] if hs256_secret else []) + [k.algorithm for k in self._keys])

    @classmethod
    def from_settings(cls, settings: SecuritySettings) -> Verifier:
        """Loads the configured keys; ValueError naming the variable when one is unusable."""
        keys, api_keys = [], {}
        loaders = ((settings.auth_public_key_file, "CONVREC_AUTH_PUBLIC_KEY_FILE", lambda p: [load_public_key(p)]),
                   (settings.auth_jwks_file, "CONVREC_AUTH_JWKS_FILE", load_jwks))
        for path, variable, load in loaders:
            if path is not None:
                try:
                    keys.extend(load(path))
                except (ValueError, TypeError, OSError, jwt.PyJWKError, jwt.PyJWKSetError) as err:
                    raise ValueError(f"{variable}: cannot use {path}: {err}") from None
        sources = ((settings.auth_api_keys_file, "CONVREC_AUTH_API_KEYS_FILE", load_api_keys),
                   (settings.auth_api_keys, "CONVREC_AUTH_API_KEYS", lambda v: parse_api_keys(v.get_secret_value())))
        for source, variable, load in sources:
            if source is not None:
                try:
                    api_keys.update(load(source))
                except (ValueError, OSError) as err:
                    raise ValueError(f"{variable}: {err}") from None
        secret = settings.auth_hs256_secret.get_secret_value().encode() if settings.auth_hs256_secret else None
        return cls(secret, keys, api_keys, settings.auth_audience, settings.auth_issuer,
                   settings.auth_leeway_seconds)

    def verify(self, token: str) -> Principal:
        if token.startswith(API_KEY_PREFIX):
            principal = self._api_keys.get(api_key_digest(token))
            if principal is None:
                raise AuthError("TOKEN_INVALID", "unknown API key")
            return principal
        return self._jwt(token)

    def _jwt(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise AuthError("TOKEN_INVALID", "the token is malformed (neither a JWT nor a ck_ API key)") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            accepted = ", ".join(sorted(self.algorithms)) or "none configured"
            raise AuthError("TOKEN_INVALID", f"tokens signed {str(alg)[:10]!r} are not accepted ({accepted})")
        candidates = self._keys_for(alg, str(header.get("kid") or ""))
        for index, key in enumerate(candidates):
            try:
                claims = self._decode(token, key, alg)
            except jwt.InvalidSignatureError:
                if index + 1 < len(candidates):
                    continue  # another key of the same algorithm may have signed it
                raise AuthError("TOKEN_INVALID", "the token's signature does not verify") from None
            except jwt.InvalidTokenError as err:
                raise _auth_error(err) from None
            try:
                return Principal(claims["sub"], scopes_of(claims.get("scope")))
            except ValueError:
                raise AuthError("TOKEN_INVALID", "the token's scope claim is not a space-separated string") from None
        raise AuthError("TOKEN_INVALID", "no configured key matches the token's kid")

    def _keys_for(self, alg: str, kid: str) -> list:
        if alg == "HS256":
            return [self._secret]
        same = [k for k in self._keys if k.algorithm == alg]
        named = [k for k in same if kid and k.kid == kid]
        return [k.key for k in (named or [k for k in same if not k.kid or not kid])]

    def _decode(self, token: str, key, alg: str) -> dict:
        claims = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=self._audience or None,
            issuer=self._issuer or None,
            leeway=self._leeway,
            options={"require": ["exp", "sub"], "verify_aud": bool(self._audience)},
        )
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise jwt.MissingRequiredClaimError("sub")
        return claims


def _auth_error(err: jwt.InvalidTokenError) -> AuthError:
    if isinstance(err, jwt.MissingRequiredClaimError):
        return AuthError("TOKEN_INVALID", f"the token has no {err.claim!r} claim")
    for kind, reason, message in _JWT_ERRORS:
        if isinstance(err, kind):
            return AuthError(reason, message)
    return AuthError("TOKEN_INVALID", f"the token is invalid ({type(err).__name__})")
