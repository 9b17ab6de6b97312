"""Two gateway replicas on one real redis-server: shared sessions, races, crashes, outages."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import grpc
import pytest

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2, dialogue_pb2_grpc
from convrec_gateway.redis_store import RedisStore
from convrec_kit.cluster import Cluster
from convrec_kit.errors import error_info
from convrec_kit.redis_server import RedisServer

from .helpers import A, ids, say

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    try:
        server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    except FileNotFoundError as err:
        pytest.fail(str(err))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, catalog_dir, redis):
    env = {"CONVREC_STORE": "redis", "CONVREC_REDIS_URL": redis.url, "CONVREC_REDIS_TIMEOUT_SECONDS": "0.5"}
    cluster = Cluster(tmp_path_factory.mktemp("replicas"), extra_env=env)
    try:
        cluster.start()
        cluster.add_gateway("gateway-2")
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def stubs(replicas):
    channels = [grpc.insecure_channel(address) for address in replicas.gateways()]
    yield [dialogue_pb2_grpc.DialogueServiceStub(c) for c in channels]
    for channel in channels:
        channel.close()


def get_session(stub, session_id: str):
    return stub.GetSession(dialogue_pb2.GetSessionRequest(session_id=session_id), timeout=10)


def stored_events(redis: RedisServer, user_id: str) -> list[str]:
    async def read():
        store = await RedisStore.connect(redis.url)
        try:
            return [e.item_id for e in await store.events_for(user_id, "", 100)]
        finally:
            await store.close()

    return asyncio.run(read())


def test_a_conversation_alternating_between_replicas_keeps_its_state(stubs):
    a, b = stubs
    first = say(a, "I want a science fiction movie after 2000", user_id="replica-user", page_size=5)
    sid = first.session_id
    second = say(b, "no horror please", session_id=sid, page_size=5)
    assert "horror" in second.state.constraints.exclude_categories
    assert list(second.state.constraints.include_categories) == ["science fiction"], "a's turn is seen by b"
    more = say(a, "show me more", session_id=sid, page_size=5)
    assert more.action == A.ACTION_RECOMMEND and more.recommendations
    assert not set(ids(more)) & set(ids(second)), "b's list is shown already, a pages past it"
    assert "horror" in more.state.constraints.exclude_categories
    for stub in stubs:
        state = get_session(stub, sid)
        assert state.state.turn_count == 3 and len(state.turns) == 6
        assert state.user_id == "replica-user"


def test_racing_turns_on_two_replicas_give_one_aborted_and_lose_nothing(stubs):
    a, b = stubs
    sid = say(a, "an action movie from the 90s").session_id
    succeeded, aborted_rounds = 1, 0
    barrier = threading.Barrier(2)

    def turn(stub, text):
        barrier.wait()
        try:
            say(stub, text, session_id=sid)
            return "OK"
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.ABORTED, err.details()
            assert error_info(err).reason == "CONCURRENT_TURN"
            return "ABORTED"

    with ThreadPoolExecutor(2) as pool:
        for _ in range(30):
            outcomes = sorted(pool.map(turn, (a, b), ("something newer", "something older")))
            assert outcomes in (["OK", "OK"], ["ABORTED", "OK"]), "never both aborted"
            succeeded += outcomes.count("OK")
            aborted_rounds += outcomes == ["ABORTED", "OK"]
            if aborted_rounds >= 2:
                break
    assert aborted_rounds >= 1, "two turns at once on one session never raced in 30 rounds"
    session = get_session(b, sid)
    assert session.state.turn_count == succeeded, "every acknowledged turn is in the state"
    assert len(session.turns) == 2 * succeeded


def test_acknowledged_feedback_survives_sigkill_of_redis(stubs, redis):
    a, b = stubs
    r = say(a, "a crime movie", user_id="redis-crash-user", page_size=5)
    liked = ids(r)[0]
    ack = a.SubmitFeedback(
        dialogue_pb2.SubmitFeedbackRequest(
            user_id="redis-crash-user",
            session_id=r.session_id,
            events=[common_pb2.FeedbackEvent(item_id=liked, type=common_pb2.FEEDBACK_TYPE_LIKE)],
        ),
        timeout=10,
    )
    assert ack.accepted == 1
    redis.kill()
    redis.start()
    assert stored_events(redis, "redis-crash-user") == [liked]
    assert liked in get_session(b, r.session_id).state.liked_item_ids


def test_redis_outage_is_unavailable_and_the_replicas_recover(stubs, redis):
    a, b = stubs
    sid = say(a, "a funny movie").session_id
    redis.kill()
    try:
        for stub in stubs:
            for call in (partial(say, stub, "something newer", session_id=sid), partial(say, stub, "a drama movie"),
                         partial(get_session, stub, sid)):
                with pytest.raises(grpc.RpcError) as caught:
                    call()
                assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, caught.value.details()
                assert "retry" in caught.value.details()
    finally:
        redis.start()
    assert say(b, "something newer", session_id=sid).recommendations
    assert get_session(a, sid).state.turn_count == 2


def test_a_redis_without_fsync_is_refused_unless_overridden(replicas, tmp_path):
    unsafe = RedisServer(tmp_path / "unsafe", durable=False).start()
    try:
        with pytest.raises(RuntimeError) as caught:
            replicas.add_gateway("gateway-unsafe", {"CONVREC_REDIS_URL": unsafe.url}, timeout=60)
        message = str(caught.value)
        assert "appendonly no" in message and "appendfsync" in message
        assert "CONVREC_REDIS_ALLOW_UNSAFE" in message
        replicas.stop_one("gateway-unsafe")
        address = replicas.add_gateway(
            "gateway-unsafe", {"CONVREC_REDIS_URL": unsafe.url, "CONVREC_REDIS_ALLOW_UNSAFE": "true"}, timeout=60
        )
        with grpc.insecure_channel(address) as channel:
            assert say(dialogue_pb2_grpc.DialogueServiceStub(channel), "a funny movie").session_id
    finally:
        replicas.stop_one("gateway-unsafe")
        unsafe.stop()
