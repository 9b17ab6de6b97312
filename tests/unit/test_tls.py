"""convrec_kit.tls: TLS settings are checked at start, servers reload their certificates on a
new handshake after the files change (or on request), clients dial with or without them."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from structlog.testing import capture_logs

from convrec_cli.certs import Authority, TLSFiles, served_serial
from convrec_kit import healthcheck, processes
from convrec_kit.channels import open_channel
from convrec_kit.settings import CommonSettings, load_settings
from convrec_kit.tls import CertificateReloader, ClientTLS, ServerTLS

SERVING = health_pb2.HealthCheckResponse.SERVING


@pytest.fixture
def files(tmp_path) -> TLSFiles:
    return TLSFiles.create(tmp_path / "tls")


def settings_error(monkeypatch, env: dict[str, str]) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        load_settings(CommonSettings)
    return str(stopped.value)


def test_settings_name_the_tls_files_and_what_they_mean(monkeypatch, files):
    for name, value in files.env().items():
        monkeypatch.setenv(name, value)
    settings = load_settings(CommonSettings)
    assert settings.server_tls() == ServerTLS(files.cert, files.key, files.ca)
    assert settings.client_tls() == ClientTLS(files.ca, files.cert, files.key)


def test_plaintext_without_tls_settings(monkeypatch):
    for name in ("CONVREC_TLS_CERT_FILE", "CONVREC_TLS_CA_FILE", "CONVREC_TLS_CLIENT_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONVREC_TLS_CERT_FILE", "")  # empty means unset
    settings = load_settings(CommonSettings)
    assert settings.server_tls() is None and settings.client_tls() is None


def test_a_missing_file_is_named_with_its_variable(monkeypatch, files, tmp_path):
    message = settings_error(monkeypatch, {**files.env(), "CONVREC_TLS_KEY_FILE": str(tmp_path / "nope.key")})
    assert "CONVREC_TLS_KEY_FILE" in message and "nope.key" in message


def test_a_key_that_does_not_match_the_certificate_is_refused(monkeypatch, files, tmp_path):
    other = Authority().issue()
    other.write(tmp_path / "other.crt", tmp_path / "other.key")
    message = settings_error(monkeypatch, {**files.env(), "CONVREC_TLS_KEY_FILE": str(tmp_path / "other.key")})
    assert "KEY_VALUES_MISMATCH" in message and "BEGIN" not in message


@pytest.mark.parametrize(
    "drop, expected",
    [("CONVREC_TLS_KEY_FILE", "CONVREC_TLS_CERT_FILE and CONVREC_TLS_KEY_FILE go together"),
     ("CONVREC_TLS_CLIENT_CERT_FILE", "CONVREC_TLS_CLIENT_CERT_FILE and CONVREC_TLS_CLIENT_KEY_FILE go together")],
)
def test_a_certificate_needs_its_key(monkeypatch, files, drop, expected):
    assert expected in settings_error(monkeypatch, {**files.env(), drop: ""})


def test_mutual_tls_needs_a_server_certificate_and_a_real_ca(monkeypatch, files, tmp_path):
    env = {"CONVREC_TLS_CLIENT_CA_FILE": str(files.ca)}
    assert "needs CONVREC_TLS_CERT_FILE" in settings_error(monkeypatch, env)
    (tmp_path / "junk.crt").write_text("not a certificate\n")
    message = settings_error(monkeypatch, {**files.env(), "CONVREC_TLS_CA_FILE": str(tmp_path / "junk.crt")})
    assert "junk.crt holds no PEM CA certificate" in message


def test_the_reloader_returns_a_configuration_only_when_the_files_change(files):
    reloader = CertificateReloader(ServerTLS(files.cert, files.key, files.ca))
    first = reloader.fingerprint
    assert reloader() is None and reloader() is None
    files.authority.issue().write(files.cert, files.key)
    with capture_logs() as logs:
        assert reloader() is not None
    assert reloader() is None and reloader.fingerprint != first
    assert [e["event"] for e in logs] == ["tls_reloaded"] and logs[0]["reason"] == "files_changed"
    assert "BEGIN" not in repr(logs)


def test_a_pair_that_does_not_load_keeps_the_current_certificate_and_is_logged_once(files, tmp_path):
    reloader = CertificateReloader(ServerTLS(files.cert, files.key))
    before = reloader.fingerprint
    files.key.write_bytes(Authority().issue().key_pem)  # half a rotation: a key of another certificate
    with capture_logs() as logs:
        assert reloader() is None and reloader() is None
    assert [e["event"] for e in logs] == ["tls_reload_failed"] and reloader.fingerprint == before
    files.authority.issue().write(files.cert, files.key)  # the rotation completes
    assert reloader() is not None and reloader.fingerprint != before


def test_reload_reads_the_files_even_when_they_look_unchanged(files):
    reloader = CertificateReloader(ServerTLS(files.cert, files.key))
    with capture_logs() as logs:
        assert reloader.reload("sighup") is True
    assert reloader() is not None and reloader() is None
    assert logs[0]["event"] == "tls_reloaded" and logs[0]["reason"] == "sighup"


def test_client_tls_from_the_environment(files):
    assert ClientTLS.from_env({}) is None
    assert ClientTLS.from_env({"CONVREC_TLS_SERVER_NAME": "x"}) is None
    tls = ClientTLS.from_env({**files.env(), "CONVREC_TLS_SERVER_NAME": "intent"})
    assert tls == ClientTLS(files.ca, files.cert, files.key, "intent")
    assert tls.options() == [("grpc.ssl_target_name_override", "intent")]


@pytest.fixture
async def mtls_server(files):
    """A health server on a free port with mutual TLS from `files`; yields its port."""
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    await servicer.set("", SERVING)
    port = server.add_secure_port("127.0.0.1:0", CertificateReloader(ServerTLS(files.cert, files.key, files.ca))
                                  .credentials())
    await server.start()
    yield port
    await server.stop(0)


async def health_code(address: str, tls: ClientTLS | None) -> grpc.StatusCode:
    async with open_channel(address, tls) as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        except grpc.aio.AioRpcError as err:
            return err.code()
    assert reply.status == SERVING
    return grpc.StatusCode.OK


async def test_mutual_tls_serves_clients_with_a_certificate_of_its_ca_only(mtls_server, files, tmp_path):
    address = f"127.0.0.1:{mtls_server}"
    ok = ClientTLS(files.ca, files.cert, files.key)
    assert await health_code(address, ok) == grpc.StatusCode.OK
    assert await health_code(address, None) == grpc.StatusCode.UNAVAILABLE  # plaintext
    assert await health_code(address, ClientTLS(files.ca)) == grpc.StatusCode.UNAVAILABLE  # no certificate
    Authority().issue().write(tmp_path / "other.crt", tmp_path / "other.key")
    stranger = ClientTLS(files.ca, tmp_path / "other.crt", tmp_path / "other.key")
    assert await health_code(address, stranger) == grpc.StatusCode.UNAVAILABLE
    assert await health_code(address, replace(ok, server_name="intent")) == grpc.StatusCode.UNAVAILABLE


async def test_a_new_connection_sees_a_rotated_certificate(mtls_server, files):
    serial = lambda: served_serial(mtls_server, files.ca, files.cert, files.key)  # noqa: E731
    before = await asyncio.to_thread(serial)
    rotated = files.authority.issue()
    rotated.write(files.cert, files.key)
    assert await asyncio.to_thread(serial) == rotated.serial != before
    assert await health_code(f"127.0.0.1:{mtls_server}", ClientTLS(files.ca, files.cert, files.key)) == \
        grpc.StatusCode.OK


async def test_probes_dial_over_tls_from_the_environment(mtls_server, files, monkeypatch):
    address = f"127.0.0.1:{mtls_server}"
    await asyncio.to_thread(processes.wait_serving, address, 10, tls=ClientTLS(files.ca, files.cert, files.key))
    for name, value in files.env().items():
        monkeypatch.setenv(name, value)
    assert await asyncio.to_thread(healthcheck.main, ["--address", address, "--server-name", "localhost"]) == 0
    monkeypatch.delenv("CONVREC_TLS_CLIENT_CERT_FILE")
    monkeypatch.delenv("CONVREC_TLS_CA_FILE")
    assert await asyncio.to_thread(healthcheck.main, ["--address", address, "--timeout", "1"]) == 1
