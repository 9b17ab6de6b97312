"""IntentService servicer."""

from __future__ import annotations

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2, intent_pb2_grpc
from convrec_kit.errors import invalid_argument, not_ready
from convrec_kit.validation import check_utterance

from .parser import Parser
from .span_parser import SpanParser

MAX_BATCH = 256


class IntentServicer(intent_pb2_grpc.IntentServiceServicer):
    def __init__(self, classifier, max_utterance_bytes: int, joint: bool = False) -> None:
        """`classifier`: the intent head (rules) or, with `joint`, the understanding model."""
        self._classifier = classifier
        self._max_bytes = max_utterance_bytes
        self._joint = joint
        self.parser: Parser | SpanParser | None = None

    async def Parse(self, request, context):
        return (await self._parse([request], "utterance", context.time_remaining()))[0]

    async def BatchParse(self, request, context):
        if len(request.requests) > MAX_BATCH:
            raise invalid_argument(
                "requests", f"at most {MAX_BATCH} texts per batch, got {len(request.requests)}"
            )
        responses = await self._parse(request.requests, "requests.utterance", context.time_remaining())
        return intent_pb2.BatchParseResponse(responses=responses)

    async def _parse(self, requests, field: str, timeout: float | None) -> list[intent_pb2.ParseResponse]:
        if self.parser is None:
            raise not_ready("intent")
        texts = [check_utterance(r.utterance, self._max_bytes, field) for r in requests]
        if not texts:
            return []
        inputs = [(t, last_reply(r.history)) for t, r in zip(texts, requests)] if self._joint else texts
        outputs = await self._classifier.predict(inputs, timeout)
        return [self.parser.parse(t, o, r.locale) for t, o, r in zip(texts, outputs, requests)]


def last_reply(history) -> str:
    """The assistant's last turn: context for "yes", "the second one"."""
    for turn in reversed(history):
        if turn.role == common_pb2.Turn.ROLE_ASSISTANT:
            return turn.text
    return ""
