"""convrec_intent.flags: what a turn signals besides its intent, in English and Chinese."""

from __future__ import annotations

import pytest

from convrec.intent.v1 import intent_pb2
from convrec_intent.flags import detect, scan

TF = intent_pb2.TurnFlag
SEEN, ADDITIVE, MORE = TF.TURN_FLAG_SEEN, TF.TURN_FLAG_ADDITIVE, TF.TURN_FLAG_MORE
DEMONSTRATIVE, SIMILAR = TF.TURN_FLAG_DEMONSTRATIVE, TF.TURN_FLAG_SIMILAR


@pytest.mark.parametrize(
    "text",
    ["show me more", "Other ones?", "next", "more please", "any others", "what else do you have",
     "give me some more", "a different set? other options", "换一批", "再来几部", "还有别的吗", "再推荐几本"],
)
def test_asking_for_more_is_paging(text):
    assert MORE in detect(text)


@pytest.mark.parametrize(
    "text",
    ["more like the first one", "no more than $30", "something more recent", "a movie", "I want more action",
     "tell me more about it"],
)
def test_comparatives_and_similar_requests_are_not_paging(text):
    assert MORE not in detect(text)


@pytest.mark.parametrize(
    "text", ["more like the first one", "something similar to that", "anything like those", "类似第一部的",
             "和这部差不多的"]
)
def test_similar_to_a_shown_item(text):
    assert SIMILAR in detect(text)


def test_i_like_that_one_is_feedback_not_a_request_for_similar_items():
    assert detect("I like that one") == [DEMONSTRATIVE]


@pytest.mark.parametrize("text", ["I've seen it", "already watched the second one", "I have read that", "第二部看过了"])
def test_seen(text):
    assert SEEN in detect(text)


@pytest.mark.parametrize("text", ["something to read", "a book I can read on a train", "想看电影"])
def test_wanting_to_read_or_watch_is_not_seen(text):
    assert SEEN not in detect(text)


def test_additive_and_demonstratives():
    assert ADDITIVE in detect("comedy too")
    assert ADDITIVE in detect("喜剧也要")
    assert DEMONSTRATIVE in detect("why this one?")
    assert DEMONSTRATIVE in detect("这本多少钱")
    assert detect("a funny movie from the 90s") == []


def test_spans_cover_the_words_that_carry_a_flag():
    flags, spans = scan("Show me more")
    assert flags == [MORE] and spans == [(0, 12)]
