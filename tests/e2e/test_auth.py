"""A cluster with CONVREC_AUTH=on: bearer tokens, per-user authorisation, service credentials
between the services, open health and reflection, rate limits, and no secret in any log."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from pathlib import Path

import grpc
import jwt
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2, dialogue_pb2_grpc
from convrec.ranking.v1 import ranking_pb2, ranking_pb2_grpc
from convrec_kit.auth import new_api_key
from convrec_kit.cluster import Cluster
from convrec_kit.errors import error_info, status_detail

pytestmark = pytest.mark.e2e

SECRET = secrets.token_hex(32)
ADMIN_KEY = new_api_key()
ITEM = "mv-the-martian-2015"
GRPCURL = Path(sys.executable).parent / "grpcurl"
UNAUTHENTICATED, DENIED = grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED
TOKENS: list[str] = [SECRET, ADMIN_KEY]  # every secret handed out, looked for in the logs at the end


def token(sub: str, scope: str = "", exp_in: int = 600) -> str:
    minted = jwt.encode({"sub": sub, "scope": scope, "exp": int(time.time()) + exp_in}, SECRET, algorithm="HS256")
    TOKENS.append(minted)
    return minted


def auth(bearer: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {bearer}"),)


@pytest.fixture(scope="module")
def secured(tmp_path_factory, catalog_dir):
    env = {
        "CONVREC_AUTH": "on",
        "CONVREC_AUTH_HS256_SECRET": SECRET,
        "CONVREC_AUTH_API_KEYS": json.dumps({ADMIN_KEY: {"subject": "ops", "scopes": ["admin"]}}),
        "CONVREC_RATE_LIMIT_CONVERSE": "3/m burst 4",
        "CONVREC_RATE_LIMIT_FEEDBACK": "3/m burst 3",
    }
    cluster = Cluster(tmp_path_factory.mktemp("secured"), extra_env=env)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def gateway(secured):
    with grpc.insecure_channel(secured.address()) as channel:
        yield dialogue_pb2_grpc.DialogueServiceStub(channel)


def converse(stub, utterance: str, bearer: str | None, **fields):
    request = dialogue_pb2.ConverseRequest(utterance=utterance, page_size=3, **fields)
    return stub.Converse(request, metadata=auth(bearer) if bearer else None, timeout=30)


def refused(code: grpc.StatusCode, call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    err = caught.value
    assert err.code() == code, (err.code(), err.details())
    info = error_info(err)
    assert info is not None and info.domain == "convrec.dev" and info.reason
    return err


def test_calls_without_a_valid_token_are_unauthenticated(gateway):
    err = refused(UNAUTHENTICATED, lambda: converse(gateway, "a comedy", None))
    assert "authorization: Bearer" in err.details() and error_info(err).reason == "TOKEN_MISSING"
    reason = lambda bearer: error_info(refused(UNAUTHENTICATED, lambda: converse(gateway, "a comedy", bearer))).reason
    assert reason("junk") == "TOKEN_INVALID"
    assert reason(token("eve", exp_in=-120)) == "TOKEN_EXPIRED"
    forged = jwt.encode({"sub": "eve", "exp": int(time.time()) + 60}, "x" * 40, algorithm="HS256")
    assert "signature" in refused(UNAUTHENTICATED, lambda: converse(gateway, "a comedy", forged)).details()
    refused(UNAUTHENTICATED, lambda: gateway.GetSession(dialogue_pb2.GetSessionRequest(session_id="x"), timeout=10))


def test_a_valid_token_converses_as_its_subject(gateway):
    alice = token("alice-1")
    reply = converse(gateway, "a science fiction movie", alice)
    assert reply.recommendations and not reply.degraded  # the gateway's service token got it through
    session = gateway.GetSession(dialogue_pb2.GetSessionRequest(session_id=reply.session_id), metadata=auth(alice),
                                 timeout=10)
    assert session.user_id == "alice-1"
    more = converse(gateway, "something newer", alice, session_id=reply.session_id, user_id="alice-1")
    assert more.session_id == reply.session_id


def test_another_users_data_is_permission_denied(gateway):
    alice, bob = token("alice-2"), token("bob-2")
    session_id = converse(gateway, "a funny movie", alice).session_id
    like = [common_pb2.FeedbackEvent(item_id=ITEM, type=common_pb2.FEEDBACK_TYPE_LIKE)]
    calls = {
        "continue": lambda: converse(gateway, "more", bob, session_id=session_id),
        "converse as": lambda: converse(gateway, "a comedy", bob, user_id="alice-2"),
        "get": lambda: gateway.GetSession(dialogue_pb2.GetSessionRequest(session_id=session_id),
                                          metadata=auth(bob), timeout=10),
        "feedback as": lambda: gateway.SubmitFeedback(
            dialogue_pb2.SubmitFeedbackRequest(user_id="alice-2", events=like), metadata=auth(bob), timeout=10),
        "feedback on": lambda: gateway.SubmitFeedback(
            dialogue_pb2.SubmitFeedbackRequest(session_id=session_id, events=like), metadata=auth(bob), timeout=10),
        "delete": lambda: gateway.DeleteUserData(dialogue_pb2.DeleteUserDataRequest(user_id="alice-2"),
                                                 metadata=auth(bob), timeout=10),
    }
    for name, call in calls.items():
        err = refused(DENIED, call)
        assert "another user" in err.details() or "its own user" in err.details(), name
    mine = gateway.GetSession(dialogue_pb2.GetSessionRequest(session_id=session_id), metadata=auth(alice), timeout=10)
    assert mine.user_id == "alice-2" and len(mine.turns) == 2  # bob's attempts changed nothing


def test_admin_may_act_for_any_user(gateway):
    alice = token("alice-3")
    session_id = converse(gateway, "a crime movie", alice).session_id
    for admin in (ADMIN_KEY, token("ops-jwt", "admin")):
        got = gateway.GetSession(dialogue_pb2.GetSessionRequest(session_id=session_id), metadata=auth(admin),
                                 timeout=10)
        assert got.user_id == "alice-3"
    converse(gateway, "something newer", ADMIN_KEY, session_id=session_id, user_id="alice-3")
    like = [common_pb2.FeedbackEvent(item_id=ITEM, type=common_pb2.FEEDBACK_TYPE_LIKE)]
    accepted = gateway.SubmitFeedback(dialogue_pb2.SubmitFeedbackRequest(user_id="alice-3", events=like),
                                      metadata=auth(ADMIN_KEY), timeout=10)
    assert accepted.accepted == 1
    deleted = gateway.DeleteUserData(dialogue_pb2.DeleteUserDataRequest(user_id="alice-3"), metadata=auth(ADMIN_KEY),
                                     timeout=10)
    assert deleted.sessions_deleted == 1 and deleted.events_deleted >= 1


def test_downstream_services_take_only_service_credentials(secured):
    with grpc.insecure_channel(secured.address("ranking")) as channel:
        rank = ranking_pb2_grpc.RankingServiceStub(channel).Rank
        request = ranking_pb2.RankRequest()
        refused(UNAUTHENTICATED, lambda: rank(request, timeout=10))
        err = refused(DENIED, lambda: rank(request, metadata=auth(token("mallory", "read")), timeout=10))
        assert "scope" in err.details() and "service" in err.details()
        try:
            rank(request, metadata=auth(token("svc:test", "service")), timeout=10)
        except grpc.RpcError as err:  # an empty request may be refused, but not for who sent it
            assert err.code() not in (UNAUTHENTICATED, DENIED), err.details()


def reflected_services(address: str) -> list[str]:
    with grpc.insecure_channel(address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                            timeout=10)
        return [s.name for reply in replies for s in reply.list_services_response.service]


def health(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10).status


def test_health_and_reflection_are_open(secured):
    for name in ("gateway", "ranking", "intent"):
        assert health(secured.address(name)) == health_pb2.HealthCheckResponse.SERVING
    assert "convrec.dialogue.v1.DialogueService" in reflected_services(secured.address())


def test_reflection_can_be_turned_off(secured):
    address = secured.add_gateway("gateway-noreflect", {"CONVREC_REFLECTION": "off"})
    try:
        assert health(address) == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as caught:
            reflected_services(address)
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        secured.stop_one("gateway-noreflect")


def test_rate_limits_answer_resource_exhausted_with_retry_info(gateway):
    carol, dan = token("carol-rl"), token("dan-rl")
    for _ in range(4):  # the burst
        converse(gateway, "hello", carol)
    err = refused(grpc.StatusCode.RESOURCE_EXHAUSTED, lambda: converse(gateway, "hello", carol))
    assert error_info(err).reason == "RATE_LIMITED"
    retry = status_detail(err, error_details_pb2.RetryInfo)
    assert retry is not None and 0 < retry.retry_delay.ToMilliseconds() <= 20_000  # 3 a minute
    converse(gateway, "hello", dan)  # others are not affected
    like = [common_pb2.FeedbackEvent(item_id=ITEM, type=common_pb2.FEEDBACK_TYPE_CLICK)]
    feedback = lambda: gateway.SubmitFeedback(dialogue_pb2.SubmitFeedbackRequest(events=like), metadata=auth(dan),
                                              timeout=10)
    for _ in range(3):
        feedback()
    assert status_detail(refused(grpc.StatusCode.RESOURCE_EXHAUSTED, feedback), error_details_pb2.RetryInfo)


def test_grpcurl_with_a_bearer_header(secured):
    base = [str(GRPCURL), "-plaintext", "-d", '{"utterance": "a funny movie from the 90s", "page_size": 2}']
    method = [secured.address(), "convrec.dialogue.v1.DialogueService/Converse"]
    done = subprocess.run([*base, "-H", f"authorization: Bearer {token('grpcurl-user')}", *method],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["session_id"]
    refused_run = subprocess.run([*base, *method], capture_output=True, text=True, timeout=60)
    assert refused_run.returncode != 0 and "Unauthenticated" in refused_run.stderr


def test_no_token_key_or_secret_in_any_log(secured, gateway):
    leaked = token("leaky")
    with pytest.raises(grpc.RpcError):  # a header quoted back in an error must not carry the token either
        gateway.Converse(dialogue_pb2.ConverseRequest(utterance="hi"),
                         metadata=(("authorization", f"Basic {leaked}"),), timeout=10)
    logs = {path.name: path.read_text() for path in Path(secured.workdir).glob("*.log")}
    assert {"gateway.log", "ranking.log", "intent.log", "retrieval.log"} <= set(logs)
    assert "rpc_error" in logs["gateway.log"]  # the refusals above were logged
    for name, text in logs.items():
        for secret in TOKENS:
            assert secret not in text, f"{name} holds a secret"
