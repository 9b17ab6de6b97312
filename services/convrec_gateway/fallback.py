"""A simple parse for when the intent service cannot be reached: the words as a search."""

from __future__ import annotations

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2
from convrec_kit.text import detect_language, tokenize

MAX_KEYWORDS = 8


def simple_parse(utterance: str) -> intent_pb2.ParseResponse:
    """A request for items about the utterance's content words; no classifier, no slots."""
    language = detect_language(utterance)
    words = list(dict.fromkeys(tokenize(utterance)))[:MAX_KEYWORDS]
    return intent_pb2.ParseResponse(
        intent=intent_pb2.INTENT_TYPE_RECOMMEND,
        confidence=0.0,
        constraints=common_pb2.Constraints(keywords=words),
        rewritten_query=utterance,
        language=language,
    )
