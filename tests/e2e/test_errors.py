"""Bad input gets a clear INVALID_ARGUMENT or NOT_FOUND; outages give UNAVAILABLE."""

from __future__ import annotations

import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2
from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_kit.errors import error_info

from .helpers import A, say, turn


def expect(code, call, *, contains: str):
    with pytest.raises(grpc.RpcError) as caught:
        call()
    err = caught.value
    assert err.code() == code, err.details()
    assert contains.lower() in err.details().lower()
    info = error_info(err)
    assert info is not None and info.domain == "convrec.dev" and info.reason
    return err


INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    "utterance, message",
    [
        ("", "utterance is empty"),
        ("   \n\t", "utterance is empty"),
        ("a" * 5000, "the limit is 4096"),
    ],
)
def test_bad_utterances(gateway, utterance, message):
    expect(INVALID, lambda: say(gateway, utterance), contains=message)


@pytest.mark.parametrize("page_size", [-1, 101])
def test_page_size_out_of_range(gateway, page_size):
    expect(
        INVALID,
        lambda: say(gateway, "a comedy", page_size=page_size),
        contains="page_size must be between 1 and 100",
    )


def test_min_above_max(gateway):
    filters = common_pb2.Constraints(ranges=[common_pb2.NumericRange(field="year", min=2010, max=2000)])
    expect(INVALID, lambda: say(gateway, "a comedy", filters=filters), contains="min 2010 is above max 2000")


def test_unknown_session(gateway):
    expect(
        grpc.StatusCode.NOT_FOUND,
        lambda: say(gateway, "a comedy", session_id="no-such-session"),
        contains="no session",
    )
    expect(
        grpc.StatusCode.NOT_FOUND,
        lambda: gateway.GetSession(dialogue_pb2.GetSessionRequest(session_id="nope"), timeout=10),
        contains="no session",
    )


def test_malformed_history(gateway):
    bad_role = [common_pb2.Turn(role=0, text="hi")]
    expect(INVALID, lambda: say(gateway, "a comedy", history=bad_role), contains="history[0] has role")
    empty = [turn("user", "a comedy"), turn("assistant", "  ")]
    expect(INVALID, lambda: say(gateway, "more", history=empty), contains="history[1].text is empty")
    too_many = [turn("user", "hi")] * 101
    expect(INVALID, lambda: say(gateway, "more", history=too_many), contains="at most 100 history turns")


def test_bad_feedback(gateway):
    def submit(*events, user_id="u-bad"):
        return lambda: gateway.SubmitFeedback(
            dialogue_pb2.SubmitFeedbackRequest(user_id=user_id, events=events), timeout=10
        )

    expect(
        INVALID,
        submit(common_pb2.FeedbackEvent(item_id="mv-alien-1979", type=99)),
        contains="unknown feedback type 99",
    )
    expect(INVALID, submit(common_pb2.FeedbackEvent(item_id="", type=1)), contains="has no item_id")
    expect(
        INVALID,
        submit(common_pb2.FeedbackEvent(item_id="mv-alien-1979", type=1), user_id=""),
        contains="user_id",
    )
    expect(
        INVALID,
        submit(
            common_pb2.FeedbackEvent(item_id="mv-alien-1979", type=common_pb2.FEEDBACK_TYPE_RATE, value=9)
        ),
        contains="rating must be between",
    )
    expect(
        grpc.StatusCode.NOT_FOUND,
        submit(common_pb2.FeedbackEvent(item_id="no-such-item", type=1)),
        contains="unknown item ids: no-such-item",
    )
    for seconds, words in ((int(time.time()) + 3600, "in the future"), (-60, "before 1970")):
        event = common_pb2.FeedbackEvent(item_id="mv-alien-1979", type=common_pb2.FEEDBACK_TYPE_LIKE)
        event.timestamp.FromSeconds(seconds)
        err = expect(INVALID, submit(event), contains=words)
        assert error_info(err).metadata["field"] == "events[0].timestamp"


@pytest.mark.parametrize("field", ["history_item_ids", "context_item_ids"])
def test_retrieval_refuses_too_many_item_ids(cluster, field):
    with grpc.insecure_channel(cluster.address("retrieval")) as channel:
        stub = retrieval_pb2_grpc.RetrievalServiceStub(channel)
        request = retrieval_pb2.RetrieveRequest(query="a comedy", **{field: ["mv-alien-1979"] * 1001})
        err = expect(INVALID, lambda: stub.Retrieve(request, timeout=10), contains="at most 1000 ids")
        assert error_info(err).metadata["field"] == field
        ok = stub.Retrieve(retrieval_pb2.RetrieveRequest(query="a comedy", **{field: ["mv-alien-1979"]}), timeout=10)
        assert ok.candidates


def test_service_stays_healthy_after_bad_input(cluster, gateway):
    for _ in range(3):
        with pytest.raises(grpc.RpcError):
            say(gateway, "")
    with grpc.insecure_channel(cluster.address()) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert say(gateway, "a comedy").action in (A.ACTION_RECOMMEND, A.ACTION_ASK_CLARIFICATION)


def test_the_callers_deadline_bounds_the_turn(cluster, gateway):
    """A caller with less time than the turn budget gets DEADLINE_EXCEEDED at once and the
    gateway goes on serving."""
    history = [turn("user" if i % 2 == 0 else "assistant", f"a comedy from {1950 + i}") for i in range(100)]
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as caught:
        gateway.Converse(dialogue_pb2.ConverseRequest(utterance="and now?", history=history), timeout=0.05)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 1.0
    assert say(gateway, "a comedy").action in (A.ACTION_RECOMMEND, A.ACTION_ASK_CLARIFICATION)
