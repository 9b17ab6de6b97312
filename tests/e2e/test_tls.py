"""TLS on every service, mutual TLS between them (and on the gateway): a client with a
certificate of the CA converses end to end, anyone else is refused, rotated certificate files
are served on new connections (on their own and after SIGHUP), and no key reaches a log."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest

from convrec.dialogue.v1 import dialogue_pb2, dialogue_pb2_grpc
from convrec_cli.bench_run import auth_env
from convrec_cli.certs import Authority, Issued, TLSFiles, served_serial
from convrec_kit.cluster import Cluster
from convrec_kit.settings import REPO_ROOT
from convrec_kit.tls import ClientTLS, dial

from .helpers import A

pytestmark = pytest.mark.e2e

GRPCURL = Path(sys.executable).parent / "grpcurl"


class Secured:
    """A cluster with mutual TLS on all four services, a bearer token where auth exists, and
    every private key its files have held (to look for in the logs)."""

    def __init__(self, workdir: Path) -> None:
        self.files = TLSFiles.create(workdir / "tls")
        env, self.token_for = auth_env()
        self.cluster = Cluster(workdir / "cluster", extra_env={**self.files.env(), **env})
        self.keys = [self.files.key.read_bytes()]

    @property
    def client(self) -> ClientTLS:
        return ClientTLS(self.files.ca, self.files.cert, self.files.key)

    def token(self, user_id: str) -> str:
        """A bearer token for `user_id` where auth is on, else anything (nobody reads it)."""
        return self.token_for(user_id) if self.token_for else "auth-is-off"

    def converse(self, tls: ClientTLS | None, name: str = "gateway", user_id: str = "tls-user", token: str = ""):
        with dial(self.cluster.address(name), tls) as channel:
            return dialogue_pb2_grpc.DialogueServiceStub(channel).Converse(
                dialogue_pb2.ConverseRequest(user_id=user_id, utterance="a funny movie from the 90s", page_size=3),
                timeout=30, metadata=(("authorization", f"Bearer {token or self.token(user_id)}"),))

    def serial(self, name: str) -> int:
        return served_serial(self.cluster.ports[name], self.files.ca, self.files.cert, self.files.key)

    def rotate(self) -> Issued:
        issued = self.files.authority.issue()
        issued.write(self.files.cert, self.files.key)
        self.keys.append(issued.key_pem)
        return issued


@pytest.fixture(scope="module")
def secured(tmp_path_factory, catalog_dir):
    running = Secured(tmp_path_factory.mktemp("tls"))
    try:
        running.cluster.start()
        yield running
    finally:
        running.cluster.stop()


def refused(call) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, caught.value


def test_a_tls_client_with_a_certificate_converses_end_to_end(secured):
    reply = secured.converse(secured.client)
    assert reply.action == A.ACTION_RECOMMEND and reply.recommendations
    assert not reply.degraded  # the gateway reached intent, retrieval and ranking over mutual TLS
    for name in ("gateway", "intent", "retrieval", "ranking"):
        assert '"tls": "mutual"' in secured.cluster.log_path(name).read_text(), name
    if secured.token_for:  # auth on: TLS and a certificate are not enough without a valid token
        with pytest.raises(grpc.RpcError) as caught:
            secured.converse(secured.client, token="not-a-token")
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("name", ["gateway", "ranking"])
def test_plaintext_and_clients_without_a_certificate_of_the_ca_are_refused(secured, name, tmp_path):
    refused(lambda: secured.converse(None, name))
    refused(lambda: secured.converse(ClientTLS(secured.files.ca), name))  # TLS, no client certificate
    Authority("another CA").issue().write(tmp_path / "other.crt", tmp_path / "other.key")
    refused(lambda: secured.converse(ClientTLS(secured.files.ca, tmp_path / "other.crt", tmp_path / "other.key"), name))
    (tmp_path / "other-ca.crt").write_bytes(Authority("another CA").cert_pem)
    refused(lambda: secured.converse(ClientTLS(tmp_path / "other-ca.crt", secured.files.cert, secured.files.key),
                                     name))  # the client does not trust the server


def readme_tls_command() -> str:
    text = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"<!-- grpcurl-tls -->\s*```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert block, "README.md has no TLS grpcurl block"
    lines = [line for line in block.group(1).splitlines() if line.strip() and not line.strip().startswith("#")]
    return " ".join(line.rstrip("\\").strip() for line in lines)


def test_the_readme_grpcurl_command_over_mutual_tls_with_a_token(secured, tmp_path):
    (tmp_path / "ca.crt").write_bytes(secured.files.ca.read_bytes())
    secured.files.authority.issue("a client").write(tmp_path / "client.crt", tmp_path / "client.key")
    command = readme_tls_command().replace("$TOKEN", secured.token("u1"))
    command = command.replace("localhost:50051", secured.cluster.address())
    argv = shlex.split(command)
    assert argv[0].endswith("grpcurl") and "-plaintext" not in argv
    done = subprocess.run([str(GRPCURL), *argv[1:]], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, f"{command}\n{done.stderr}"
    assert json.loads(done.stdout)["action"] == "ACTION_RECOMMEND"
    plain = subprocess.run([str(GRPCURL), "-plaintext", secured.cluster.address(), "list"],
                           capture_output=True, text=True, timeout=60)
    assert plain.returncode != 0


def test_the_probe_command_dials_over_tls(secured):
    probe = [sys.executable, "-m", "convrec_kit.healthcheck", "--address", secured.cluster.address("ranking"),
             "--server-name", "localhost"]
    env = {**os.environ, **secured.files.env()}
    done = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "SERVING", done.stdout + done.stderr
    plain = {k: v for k, v in env.items() if not k.startswith("CONVREC_TLS_")}
    done = subprocess.run(probe, env=plain, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout.strip() == "UNAVAILABLE"


def test_new_connections_see_rotated_certificate_files(secured):
    before = secured.serial("gateway")
    rotated = secured.rotate()  # a new certificate of the same CA: what cert-manager does
    assert rotated.serial != before
    assert secured.serial("gateway") == rotated.serial and secured.serial("ranking") == rotated.serial
    assert secured.converse(secured.client).action == A.ACTION_RECOMMEND
    assert '"reason": "files_changed"' in secured.cluster.log_path("ranking").read_text()


def same_size_certificate(secured: Secured) -> Issued:
    """A new certificate and key of exactly the sizes on disk, so that rewriting them in place
    and restoring their times leaves nothing a stat could see."""
    sizes = (secured.files.cert.stat().st_size, secured.files.key.stat().st_size)
    for _ in range(200):
        issued = secured.files.authority.issue()
        if (len(issued.cert_pem), len(issued.key_pem)) == sizes:
            return issued
    pytest.fail("no certificate of the same size in 200 tries")


def test_sighup_reloads_files_that_look_unchanged(secured):
    ranking_before = secured.serial("ranking")
    issued = same_size_certificate(secured)
    for path, data in ((secured.files.key, issued.key_pem), (secured.files.cert, issued.cert_pem)):
        stat = path.stat()
        with path.open("r+b") as out:  # same inode, same size
            out.write(data)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    secured.keys.append(issued.key_pem)
    secured.cluster.procs["gateway"].send_signal(signal.SIGHUP)
    log = secured.cluster.log_path("gateway")
    deadline = time.monotonic() + 10
    while '"reason": "sighup"' not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert secured.serial("gateway") == issued.serial
    assert secured.serial("ranking") == ranking_before  # no SIGHUP there: its files look unchanged
    assert secured.cluster.procs["gateway"].poll() is None
    assert secured.converse(secured.client).action == A.ACTION_RECOMMEND


def test_no_certificate_or_key_material_in_the_logs(secured):
    logs = "".join(secured.cluster.log_path(name).read_text() for name in secured.cluster.procs)
    assert "tls_reloaded" in logs and "BEGIN" not in logs and "PRIVATE" not in logs
    for key in secured.keys:
        for line in key.decode().splitlines():
            if not line.startswith("-----"):
                assert line[:24] not in logs
