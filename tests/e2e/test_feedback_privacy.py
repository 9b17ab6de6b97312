"""Feedback through the API changes the next turn, survives a crash, and can be erased."""

from __future__ import annotations

import json
import signal
import urllib.request

from google.protobuf import timestamp_pb2

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2

from .helpers import A, ids, say

FT = common_pb2


def feedback(stub, user_id: str, *events, session_id: str = ""):
    return stub.SubmitFeedback(
        dialogue_pb2.SubmitFeedbackRequest(
            user_id=user_id,
            session_id=session_id,
            events=[common_pb2.FeedbackEvent(item_id=i, type=t) for i, t in events],
        ),
        timeout=10,
    )


def test_api_feedback_changes_the_next_turn(gateway):
    user = "feedback-user-1"
    # A fixed weekday evening, so that the context component does not depend on the clock.
    evening = common_pb2.Context(device="tv", timestamp=timestamp_pb2.Timestamp(seconds=1763496000))
    before = say(gateway, "a science fiction movie", user_id=user, page_size=10, context=evening)
    disliked = ids(before)[0]
    ack = feedback(gateway, user, ("mv-wall-e-2008", FT.FEEDBACK_TYPE_LIKE),
                   ("mv-the-iron-giant-1999", FT.FEEDBACK_TYPE_LIKE), (disliked, FT.FEEDBACK_TYPE_DISLIKE))
    assert ack.accepted == 3
    after = say(gateway, "a science fiction movie", user_id=user, page_size=10, context=evening)
    assert disliked not in ids(after)
    assert "mv-wall-e-2008" not in ids(after), "a liked item is not suggested again"
    interest = [c for rec in after.recommendations for c in rec.components if c.name == "interest"]
    liked = {"mv-wall-e-2008": "WALL-E (2008)", "mv-the-iron-giant-1999": "The Iron Giant (1999)"}
    assert interest and all(c.evidence in liked for c in interest if c.value > 0)
    cited = [rec for rec in after.recommendations if any(title in rec.explanation for title in liked.values())]
    assert cited, "the strongest taste matches are named in the explanations"


def test_feedback_in_dialogue_is_stored_for_the_user(gateway):
    user = "feedback-user-2"
    r = say(gateway, "an animated movie", user_id=user, page_size=5)
    liked = ids(r)[0]
    r = say(gateway, "I loved the first one", user_id=user, session_id=r.session_id)
    assert r.action == A.ACTION_ACKNOWLEDGE and liked in r.state.liked_item_ids
    fresh = say(gateway, "a fantasy movie", user_id=user, page_size=10)
    assert any(
        c.name == "interest" and c.evidence == liked for rec in fresh.recommendations for c in rec.components
    )


def test_acknowledged_feedback_survives_a_gateway_crash(cluster, gateway):
    user = "crash-user"
    feedback(gateway, user, ("mv-the-godfather-1972", FT.FEEDBACK_TYPE_LIKE))
    cluster.stop_one("gateway", sig=signal.SIGKILL)
    cluster.start_one("gateway")
    cluster.wait("gateway")
    r = say(gateway, "a crime movie", user_id=user, page_size=10)
    assert any(
        c.name == "interest" and c.evidence == "mv-the-godfather-1972"
        for rec in r.recommendations
        for c in rec.components
    )


def test_delete_user_data_erases_everything(gateway):
    user = "erase-me"
    r = say(gateway, "a war movie", user_id=user)
    feedback(gateway, user, (ids(r)[0], FT.FEEDBACK_TYPE_LIKE))
    deleted = gateway.DeleteUserData(dialogue_pb2.DeleteUserDataRequest(user_id=user), timeout=10)
    assert deleted.sessions_deleted >= 1 and deleted.events_deleted >= 1
    after = say(gateway, "a war movie", user_id=user)
    assert not any(c.name == "interest" for rec in after.recommendations for c in rec.components)


def test_logs_hold_no_utterances_or_user_ids(cluster, gateway):
    secret_user, secret_text = "alice.pii@example.com", "a documentary about penguins"
    say(gateway, secret_text, user_id=secret_user)
    for name in ("gateway", "intent", "retrieval", "ranking"):
        text = cluster.log_path(name).read_text()
        assert secret_user not in text and "penguins" not in text, name
    lines = [
        json.loads(line)
        for line in cluster.log_path("gateway").read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(line.get("event") == "listening" for line in lines)


def test_metrics_are_exposed(cluster, gateway):
    say(gateway, "a comedy")
    with urllib.request.urlopen(
        f"http://127.0.0.1:{cluster.metrics_ports['gateway']}/metrics", timeout=5
    ) as reply:
        body = reply.read().decode()
    assert 'convrec_rpc_latency_seconds_count{code="OK",method="Converse",service="gateway"}' in body
    with urllib.request.urlopen(
        f"http://127.0.0.1:{cluster.metrics_ports['intent']}/metrics", timeout=5
    ) as reply:
        assert "convrec_model_forward_seconds" in reply.read().decode()
