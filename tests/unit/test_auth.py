"""Bearer token verification: HS256, RS256, ES256, JWKS, API keys, and every way a token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from google.rpc import error_details_pb2, status_pb2

from convrec_kit.auth import AuthError, Principal, Verifier, api_key_digest, new_api_key
from convrec_kit.auth_interceptor import AuthInterceptor, bearer, required_scopes
from convrec_kit.auth_settings import SecuritySettings
from convrec_kit.credentials import ServiceCredential, client_metadata, service_credential
from convrec_kit.errors import ServiceError, rate_limited
from convrec_kit.logs import redact_secrets
from convrec_kit.settings import load_settings

SECRET = "s" * 40


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def pem(private_key) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def claims(**extra) -> dict:
    return {"sub": "alice", "scope": "read admin", "exp": int(time.time()) + 300, **extra}


def settings(tmp_path, monkeypatch, **env) -> SecuritySettings:
    for name in list(SecuritySettings.model_fields):
        monkeypatch.delenv(f"CONVREC_{name.upper()}", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(f"CONVREC_{name.upper()}", str(value))
    return load_settings(SecuritySettings)


def refused(verifier: Verifier, token: str) -> AuthError:
    with pytest.raises(AuthError) as caught:
        verifier.verify(token)
    return caught.value


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict, payload: dict, key: bytes = b"") -> str:
    """A JWT built by hand (PyJWT refuses to sign some of these)."""
    signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = b64(hmac.new(key, signing.encode(), hashlib.sha256).digest()) if key else ""
    return f"{signing}.{signature}"


def test_hs256():
    principal = Verifier(SECRET.encode()).verify(jwt.encode(claims(), SECRET, algorithm="HS256"))
    assert principal == Principal("alice", frozenset({"read", "admin"}))
    assert principal.is_admin and principal.kind == "user"


def test_rs256_and_es256_with_public_key_files(tmp_path, monkeypatch, rsa_key, ec_key):
    for name, key, alg in (("rsa.pem", rsa_key, "RS256"), ("ec.pem", ec_key, "ES256")):
        (tmp_path / name).write_bytes(pem(key))
        verifier = Verifier.from_settings(settings(tmp_path, monkeypatch, auth="on",
                                                   auth_public_key_file=tmp_path / name))
        assert verifier.algorithms == {alg}
        assert verifier.verify(jwt.encode(claims(), key, algorithm=alg)).subject == "alice"


def test_jwks_file_picks_the_key_by_kid(tmp_path, monkeypatch, rsa_key, ec_key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keys = []
    for kid, key, algorithm in (("r1", rsa_key, jwt.algorithms.RSAAlgorithm),
                                ("r2", other, jwt.algorithms.RSAAlgorithm),
                                ("e1", ec_key, jwt.algorithms.ECAlgorithm)):
        keys.append({**algorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid})
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys}))
    verifier = Verifier.from_settings(settings(tmp_path, monkeypatch, auth="on", auth_jwks_file=tmp_path / "jwks.json"))
    assert verifier.algorithms == {"RS256", "ES256"}
    assert verifier.verify(jwt.encode(claims(), other, algorithm="RS256", headers={"kid": "r2"})).subject == "alice"
    assert verifier.verify(jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "e1"})).subject == "alice"
    assert verifier.verify(jwt.encode(claims(), rsa_key, algorithm="RS256")).subject == "alice"  # no kid: any RS256 key
    wrong = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "r2"})
    assert "signature does not verify" in refused(verifier, wrong).message
    unknown = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "nope"})
    assert "kid" in refused(verifier, unknown).message


@pytest.mark.parametrize("payload, reason, message", [
    ({"exp": int(time.time()) - 60}, "TOKEN_EXPIRED", "expired"),
    ({"exp": None}, "TOKEN_INVALID", "no 'exp' claim"),
    ({"sub": None}, "TOKEN_INVALID", "no 'sub' claim"),
    # A day ahead: the parameters are computed when the suite is collected, minutes before this runs.
    ({"nbf": int(time.time()) + 86400}, "TOKEN_INVALID", "not valid yet"),
])
def test_bad_claims(payload, reason, message):
    body = {k: v for k, v in claims(**payload).items() if v is not None}
    err = refused(Verifier(SECRET.encode()), jwt.encode(body, SECRET, algorithm="HS256"))
    assert err.reason == reason and message in err.message


def test_audience_and_issuer_are_checked_when_set():
    verifier = Verifier(SECRET.encode(), audience="convrec", issuer="https://idp.example")
    good = jwt.encode(claims(aud="convrec", iss="https://idp.example"), SECRET, algorithm="HS256")
    assert verifier.verify(good).subject == "alice"
    assert "audience" in refused(verifier, jwt.encode(claims(aud="other", iss="https://idp.example"), SECRET)).message
    assert "'aud'" in refused(verifier, jwt.encode(claims(iss="https://idp.example"), SECRET)).message
    assert "issuer" in refused(verifier, jwt.encode(claims(aud="convrec", iss="https://evil"), SECRET)).message
    # Without an audience configured, a token naming one is still accepted.
    assert Verifier(SECRET.encode()).verify(jwt.encode(claims(aud="x"), SECRET)).subject == "alice"


def test_alg_none_is_refused():
    verifier = Verifier(SECRET.encode())
    unsigned = hand_made({"alg": "none", "typ": "JWT"}, claims())
    assert "'none' are not accepted" in refused(verifier, unsigned).message
    assert "not accepted" in refused(verifier, jwt.encode(claims(), None, algorithm="none")).message


def test_hs256_signed_with_the_public_key_is_refused(rsa_key):
    """Algorithm confusion: the RSA public key (public knowledge) used as an HMAC secret."""
    forged = hand_made({"alg": "HS256", "typ": "JWT"}, claims(), key=pem(rsa_key))
    only_rsa = Verifier(keys=[_rsa(rsa_key)])
    assert "'HS256' are not accepted" in refused(only_rsa, forged).message
    both = Verifier(SECRET.encode(), keys=[_rsa(rsa_key)])
    assert "signature does not verify" in refused(both, forged).message
    # and an RS256 token is never checked against the HS256 secret
    rs256 = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert "'RS256' are not accepted" in refused(Verifier(SECRET.encode()), rs256).message


def _rsa(private_key):
    from convrec_kit.auth import VerifyingKey

    return VerifyingKey("RS256", private_key.public_key())


@pytest.mark.parametrize("token", ["abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30", "", "...."])
def test_malformed(token):
    assert refused(Verifier(SECRET.encode()), token).reason == "TOKEN_INVALID"


def test_wrong_secret():
    err = refused(Verifier(SECRET.encode()), jwt.encode(claims(), "t" * 40, algorithm="HS256"))
    assert "signature does not verify" in err.message


def test_api_keys_from_json_and_yaml(tmp_path, monkeypatch):
    raw, hashed = new_api_key(), new_api_key()
    entries = {raw: {"subject": "backend", "scopes": ["admin"]},
               api_key_digest(hashed): {"subject": "svc-x", "scopes": "service"}}
    for name, text in (("keys.json", json.dumps(entries)),
                       ("keys.yaml", "\n".join(f"'{k}': {json.dumps(v)}" for k, v in entries.items()))):
        (tmp_path / name).write_text(text)
        verifier = Verifier.from_settings(settings(tmp_path, monkeypatch, auth="on",
                                                   auth_api_keys_file=tmp_path / name))
        assert verifier.verify(raw) == Principal("backend", frozenset({"admin"}))
        assert verifier.verify(hashed).kind == "service"
        assert refused(verifier, new_api_key()).message == "unknown API key"
        assert verifier.algorithms == frozenset()  # no JWT accepted
    (tmp_path / "bad.json").write_text(json.dumps({"not-a-key": {"subject": "x"}}))
    with pytest.raises(SystemExit, match="CONVREC_AUTH_API_KEYS_FILE"):
        from convrec_kit.auth_interceptor import server_interceptors

        server_interceptors(settings(tmp_path, monkeypatch, auth="on", auth_api_keys_file=tmp_path / "bad.json"))


def test_settings_fail_fast(tmp_path, monkeypatch):
    assert not settings(tmp_path, monkeypatch).enabled
    with pytest.raises(SystemExit, match="CONVREC_AUTH=on needs a way to verify tokens"):
        settings(tmp_path, monkeypatch, auth="on")
    with pytest.raises(SystemExit, match="at least 32 bytes"):
        settings(tmp_path, monkeypatch, auth="on", auth_hs256_secret="short")
    with pytest.raises(SystemExit, match="CONVREC_AUTH_PUBLIC_KEY_FILE: .*no such file"):
        settings(tmp_path, monkeypatch, auth="on", auth_public_key_file=tmp_path / "missing.pem")
    assert settings(tmp_path, monkeypatch, auth="true", auth_hs256_secret=SECRET, reflection="OFF").reflection == "off"


def test_bearer_header_and_scopes():
    assert bearer((("authorization", "Bearer abc"),)) == "abc"
    assert bearer((("authorization", "bearer  abc "),)) == "abc"
    for metadata, reason in (((), "TOKEN_MISSING"), ((("authorization", "Basic abc"),), "TOKEN_INVALID"),
                             ((("authorization", "Bearer a"), ("authorization", "Bearer b")), "TOKEN_INVALID")):
        with pytest.raises(ServiceError) as caught:
            bearer(metadata)
        assert caught.value.code == grpc.StatusCode.UNAUTHENTICATED and caught.value.reason == reason
    assert required_scopes("/grpc.health.v1.Health/Check") is None
    assert required_scopes("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo") is None
    assert required_scopes("/convrec.dialogue.v1.DialogueService/Converse") == frozenset()
    assert required_scopes("/convrec.ranking.v1.RankingService/Rank") == {"service", "admin"}


def test_downstream_rpcs_need_scope_service():
    interceptor = AuthInterceptor(Verifier(SECRET.encode()))
    user = (("authorization", "Bearer " + jwt.encode(claims(scope="read"), SECRET)),)
    service = (("authorization", "Bearer " + jwt.encode(claims(scope="service"), SECRET)),)
    assert interceptor.authorise("/convrec.dialogue.v1.DialogueService/Converse", user).subject == "alice"
    assert interceptor.authorise("/convrec.ranking.v1.RankingService/Rank", service).kind == "service"
    with pytest.raises(ServiceError) as caught:
        interceptor.authorise("/convrec.ranking.v1.RankingService/Rank", user)
    assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED


def test_minted_service_tokens_verify_and_renew():
    now = [1_000_000.0]
    credential = ServiceCredential(secret=SECRET.encode(), subject="svc:gateway", audience="convrec",
                                   ttl_seconds=300, clock=lambda: now[0])
    first = credential.header()
    assert first.startswith("Bearer ") and credential.header() == first
    payload = jwt.decode(first[7:], SECRET, algorithms=["HS256"], audience="convrec",
                         options={"verify_exp": False})
    assert payload["scope"] == "service" and payload["exp"] - payload["iat"] == 300
    now[0] += 151
    assert credential.header() != first  # renewed at half its lifetime
    assert ServiceCredential(token="ck_fixed").header() == "Bearer ck_fixed"


def test_service_credential_settings(tmp_path, monkeypatch):
    assert service_credential(settings(tmp_path, monkeypatch), "gateway") is None
    only_keys = tmp_path / "keys.json"
    only_keys.write_text("{}")
    with pytest.raises(SystemExit, match="CONVREC_SERVICE_TOKEN"):
        service_credential(settings(tmp_path, monkeypatch, auth="on", auth_api_keys_file=only_keys), "gateway")
    (tmp_path / "token").write_text("ck_from_a_file_0123456789\n")
    credential = service_credential(settings(tmp_path, monkeypatch, auth="on", auth_api_keys_file=only_keys,
                                             service_token_file=tmp_path / "token"), "gateway")
    assert credential.header() == "Bearer ck_from_a_file_0123456789"
    minted = service_credential(settings(tmp_path, monkeypatch, auth="on", auth_hs256_secret=SECRET), "gateway")
    assert Verifier(SECRET.encode()).verify(minted.header()[7:]) == Principal("svc:gateway", frozenset({"service"}))


def test_client_metadata_from_convrec_token():
    assert client_metadata({}) is None
    assert client_metadata({"CONVREC_TOKEN": "abc"}) == (("authorization", "Bearer abc"),)


def test_logs_never_carry_tokens():
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    key = new_api_key()
    event = redact_secrets(None, "info", {
        "event": "rpc_error", "authorization": f"Bearer {token}", "message": f"bad header Bearer {token}",
        "detail": f"key {key} and {token}", "rpc": "check_constraints",
    })
    text = json.dumps(event)
    assert token not in text and key not in text and "check_constraints" in text


def test_rate_limited_carries_retry_info_beside_error_info():
    status = rate_limited("Converse", 2.5).to_status()
    proto = status_pb2.Status.FromString(dict(status.trailing_metadata)["grpc-status-details-bin"])
    info, retry = error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo()
    assert proto.details[0].Unpack(info) and info.reason == "RATE_LIMITED"
    assert proto.details[1].Unpack(retry) and retry.retry_delay.ToMilliseconds() == 2500
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_api_keys_inline(tmp_path, monkeypatch):
    key = new_api_key()
    inline = json.dumps({key: {"subject": "ops", "scopes": "admin"}})
    env = settings(tmp_path, monkeypatch, auth="on", auth_api_keys=inline)
    assert Verifier.from_settings(env).verify(key).is_admin
    assert key not in repr(env)  # a SecretStr: never printed
