"""Multi-turn conversations over real gRPC against the four services, understood by the
default understanding (the rules) and again by the understanding model."""

from __future__ import annotations

import re

import grpc
import pytest

from convrec.dialogue.v1 import dialogue_pb2_grpc
from convrec.intent.v1 import intent_pb2
from convrec_kit.cluster import Cluster

from .helpers import A, ids, say, turn, years

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module", params=["default", "model"])
def gateway(request, gateway, tmp_path_factory):
    """The session's gateway, then one whose intent service understands with the model."""
    if request.param == "default":
        yield gateway
        return
    cluster = Cluster(tmp_path_factory.mktemp("model"), extra_env={"CONVREC_UNDERSTANDING": "model"})
    try:
        cluster.start()
        with grpc.insecure_channel(cluster.address()) as channel:
            yield dialogue_pb2_grpc.DialogueServiceStub(channel)
    finally:
        cluster.stop()


def test_vague_first_request_gets_a_clarifying_question(gateway):
    first = say(gateway, "Recommend me a movie")
    assert first.action == A.ACTION_ASK_CLARIFICATION
    assert first.session_id and not first.recommendations and first.suggested_replies
    second = say(gateway, "Something funny from the 90s", session_id=first.session_id)
    assert second.action == A.ACTION_RECOMMEND
    assert all(1990 <= y <= 1999 for y in years(second))


def test_constraints_accumulate_override_and_negate(gateway):
    r = say(gateway, "I want a science fiction movie after 2000", user_id="acc-user")
    sid = r.session_id
    assert r.action == A.ACTION_RECOMMEND and len(r.recommendations) == 10
    assert all(y >= 2001 for y in years(r))
    assert all("science fiction" in rec.item.categories for rec in r.recommendations)
    assert list(r.state.constraints.include_categories) == ["science fiction"]

    r = say(gateway, "no horror please", session_id=sid)
    assert "horror" in r.state.constraints.exclude_categories
    assert all("horror" not in rec.item.categories for rec in r.recommendations)
    assert all(y >= 2001 for y in years(r)), "the earlier year range is kept"

    r = say(gateway, "make it a comedy instead", session_id=sid)
    assert list(r.state.constraints.include_categories) == ["comedy"]
    assert all("comedy" in rec.item.categories for rec in r.recommendations)

    r = say(gateway, "actually no comedy", session_id=sid)
    assert "comedy" not in r.state.constraints.include_categories
    assert "comedy" in r.state.constraints.exclude_categories
    assert all("comedy" not in rec.item.categories for rec in r.recommendations)


def test_like_x_explanations_why_and_details(gateway, catalog):
    r = say(gateway, "Something like Alien, but after 2000 and no horror", page_size=5)
    assert r.action == A.ACTION_RECOMMEND
    assert [m.item_id for m in r.intent.mentions] == ["mv-alien-1979"]
    assert "mv-alien-1979" not in ids(r)
    for rec in r.recommendations:
        assert rec.explanation
        assert abs(rec.score - sum(c.value * c.weight for c in rec.components)) < 1e-6
        seed = [c for c in rec.components if c.name == "seed"]
        assert seed and seed[0].evidence == "mv-alien-1979"
    assert "Alien (1979)" in r.recommendations[0].explanation

    why = say(gateway, "Why the first one?", session_id=r.session_id)
    assert why.action == A.ACTION_EXPLAIN
    first = r.recommendations[0]
    assert first.item.title in why.reply
    assert f"{first.score:.3f}" in why.reply, "the explanation quotes the stored score"

    second = r.recommendations[1].item
    details = say(gateway, "Who directed the second one?", session_id=r.session_id)
    assert details.action == A.ACTION_DETAILS
    assert second.attributes["director"] in details.reply


def test_rejected_and_seen_items_never_come_back(gateway):
    r = say(gateway, "an action movie from the 90s", page_size=5)
    sid, first = r.session_id, ids(r)[0]
    r = say(gateway, "I've seen the first one", session_id=sid, page_size=5)
    assert first in r.state.rejected_item_ids
    assert first not in ids(r)
    second = ids(r)[1]  # "the second one" of the list just shown
    r = say(gateway, "not the second one either", session_id=sid, page_size=5)
    assert second in r.state.rejected_item_ids
    for utterance in ("something else", "an action movie from the 90s", "more action movies please"):
        r = say(gateway, utterance, session_id=sid, page_size=20)
        assert first not in ids(r) and second not in ids(r)


def test_relative_refinement_moves_past_the_shown_list(gateway):
    r = say(gateway, "a drama movie", page_size=10)
    shown = sorted(years(r))
    median = (shown[4] + shown[5]) / 2
    r = say(gateway, "something newer", session_id=r.session_id)
    assert r.intent.type == intent_pb2.INTENT_TYPE_REFINE
    assert all(y > median for y in years(r))


def test_small_talk_goodbye_and_out_of_scope(gateway):
    assert say(gateway, "hello there").action == A.ACTION_SMALL_TALK
    assert say(gateway, "bye, thanks!").action == A.ACTION_GOODBYE
    assert say(gateway, "book me a flight to Paris").action == A.ACTION_OUT_OF_SCOPE
    assert say(gateway, "how are you today?").action == A.ACTION_SMALL_TALK


def test_small_talk_inside_a_conversation_keeps_suggesting(gateway):
    first = say(gateway, "a funny movie from the 90s")
    r = say(gateway, "haha nice, how are you today?", session_id=first.session_id)
    assert r.action == A.ACTION_RECOMMEND
    assert r.reply.startswith("Happy to chat!")
    assert r.recommendations and not set(ids(r)) & set(ids(first))
    assert r.state.constraints.mood == "funny" and r.state.constraints.ranges[0].min == 1990


def test_chinese_conversation_gets_chinese_replies(gateway):
    r = say(gateway, "我想看一部动作片", page_size=5)
    assert r.action == A.ACTION_RECOMMEND and r.intent.language == "zh"
    assert CJK.search(r.reply)
    assert all("action" in rec.item.categories for rec in r.recommendations)
    assert all(CJK.search(rec.explanation) for rec in r.recommendations)

    r = say(gateway, "我想买一本经济类的书，价格在100-200元之间", session_id=r.session_id, page_size=10)
    assert r.action == A.ACTION_RECOMMEND
    assert r.recommendations
    for rec in r.recommendations:
        assert "book" in rec.item.categories and "economics" in rec.item.categories
        assert 100 <= rec.item.numeric["price"] <= 200

    price = say(gateway, "第一本书多少钱？", session_id=r.session_id)
    assert price.action == A.ACTION_DETAILS
    assert f"{r.recommendations[0].item.numeric['price']:g}" in price.reply


def test_chinese_similar_and_excluded_genres(gateway):
    r = say(gateway, "我今天看了《肖申克的救赎》，推荐一些类似的电影", page_size=5)
    assert [m.item_id for m in r.intent.mentions] == ["mv-the-shawshank-redemption-1994"]
    assert "mv-the-shawshank-redemption-1994" not in ids(r)
    assert "《肖申克的救赎》" in r.recommendations[0].explanation
    r = say(gateway, "我对科幻电影不太感兴趣，推荐一些比较有趣的电影", page_size=10)
    assert "science fiction" in r.state.constraints.exclude_categories
    assert all("science fiction" not in rec.item.categories for rec in r.recommendations)


def test_chinese_description_is_matched_by_the_multilingual_encoder(gateway):
    r = say(gateway, "关于太空探索的电影", page_size=5)
    assert r.action == A.ACTION_RECOMMEND
    dense = [c for rec in r.recommendations for c in rec.components if c.name == "dense"]
    assert dense and all(c.evidence == "multilingual-e5-small" for c in dense)
    space = {"mv-2001-a-space-odyssey-1968", "mv-interstellar-2014", "mv-gravity-2013", "mv-the-martian-2015",
             "mv-wall-e-2008", "mv-apollo-13-1995", "mv-guardians-of-the-galaxy-2014"}
    assert len(space & set(ids(r))) >= 2
    english = say(gateway, "a movie about space exploration", page_size=5)
    assert all(c.evidence == "all-MiniLM-L6-v2" for rec in english.recommendations
               for c in rec.components if c.name == "dense")


def test_stateless_turn_is_answered_from_history_alone(gateway):
    history = [
        turn("user", "I'd like a crime movie from the 90s"),
        turn("assistant", "How about Pulp Fiction (1994) or Goodfellas (1990)?"),
        turn("user", "I've seen Pulp Fiction"),
    ]
    r = say(gateway, "no comedy please", history=history, page_size=10)
    assert r.session_id == "", "a stateless turn stores no session"
    assert "crime" in r.state.constraints.include_categories
    assert "comedy" in r.state.constraints.exclude_categories
    assert "mv-pulp-fiction-1994" in r.state.rejected_item_ids
    assert "mv-pulp-fiction-1994" not in ids(r)
    assert all(
        1990 <= y <= 1999 and "crime" in c
        for y, c in zip(years(r), (x.item.categories for x in r.recommendations))
    )


def test_items_that_came_up_earlier_shape_the_next_list(gateway):
    history = [
        turn("user", "I want a movie for tonight"),
        turn("assistant", "Have you seen Alien (1979)? It is a classic."),
    ]
    r = say(gateway, "what else would you suggest?", history=history, page_size=10)
    assert r.state.discussed_item_ids == ["mv-alien-1979"]
    assert "mv-alien-1979" not in ids(r), "an item already suggested is not suggested again"
    discussed = [
        c for x in r.recommendations for c in x.components if c.name == "discussed"
    ]
    assert discussed and {c.evidence for c in discussed} == {"mv-alien-1979"}
    assert "mv-aliens-1986" in ids(r)
    aliens = next(x for x in r.recommendations if x.item.item_id == "mv-aliens-1986")
    assert "Alien (1979), which came up earlier" in aliens.explanation


def test_get_session_returns_state_and_turns(gateway):
    from convrec.dialogue.v1 import dialogue_pb2

    r = say(gateway, "a western movie", page_size=3)
    session = gateway.GetSession(dialogue_pb2.GetSessionRequest(session_id=r.session_id), timeout=10)
    assert session.state.last_recommended_ids == r.state.last_recommended_ids
    assert [t.text for t in session.turns] == ["a western movie", r.reply]
    assert session.created_at.seconds > 0
