"""Degraded answers: a downstream outage costs quality, not the turn; recovery by itself."""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from convrec_kit.errors import error_info

from .helpers import A, ids, say

SERVING = health_pb2.HealthCheckResponse.SERVING


@contextmanager
def down(cluster, name: str):
    """`name` killed for the block, then restarted and SERVING again."""
    cluster.stop_one(name, sig=signal.SIGKILL)
    try:
        yield
    finally:
        cluster.start_one(name)
        cluster.wait(name)


def recovered(gateway, utterance: str, **kwargs):
    """The first answer that is not degraded, within the gateway's reconnect time."""
    deadline = time.monotonic() + 10
    while True:
        r = say(gateway, utterance, **kwargs)
        if not r.degraded or time.monotonic() > deadline:
            return r
        time.sleep(0.3)


def gateway_health(cluster) -> int:
    with grpc.insecure_channel(cluster.address()) as channel:
        return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status


def test_ranking_down_answers_in_retrieval_order(cluster, gateway):
    with down(cluster, "ranking"):
        started = time.monotonic()
        r = say(gateway, "a thriller from the 90s")
        assert time.monotonic() - started < 5
        assert r.action == A.ACTION_RECOMMEND and ids(r) and list(r.degraded) == ["ranking"]
        names = {c.name for rec in r.recommendations for c in rec.components}
        assert "popularity" not in names and names & {"dense", "lexical"}  # retrieval's components
        assert all(rec.explanation for rec in r.recommendations)
        assert all(1990 <= rec.item.numeric["year"] <= 1999 for rec in r.recommendations)
        assert gateway_health(cluster) == SERVING
    r = recovered(gateway, "a thriller from the 90s")
    assert list(r.degraded) == [] and any(c.name == "popularity" for c in r.recommendations[0].components)


def test_intent_down_still_answers_a_plain_request(cluster, gateway):
    with down(cluster, "intent"):
        r = say(gateway, "space adventure robots")
        assert list(r.degraded) == ["intent"] and ids(r)
        assert gateway_health(cluster) == SERVING
    assert list(recovered(gateway, "space adventure robots").degraded) == []


def test_retrieval_down_explains_from_the_session_and_fails_only_new_lists(cluster, gateway):
    first = say(gateway, "a comedy from the 90s", page_size=5)
    top = first.recommendations[0].item
    with down(cluster, "retrieval"):
        why = say(gateway, "why the first one?", session_id=first.session_id)
        assert why.action == A.ACTION_EXPLAIN and why.reply.startswith(top.title)
        assert list(why.degraded) == ["retrieval"]
        with pytest.raises(grpc.RpcError) as caught:
            say(gateway, "something newer", session_id=first.session_id)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert error_info(caught.value).metadata["service"] == "retrieval"
    deadline = time.monotonic() + 10
    while True:  # the gateway's channel reconnects within about a second
        try:
            again = say(gateway, "something newer", session_id=first.session_id)
            break
        except grpc.RpcError:
            assert time.monotonic() < deadline
            time.sleep(0.3)
    assert again.action == A.ACTION_RECOMMEND and list(again.degraded) == []
