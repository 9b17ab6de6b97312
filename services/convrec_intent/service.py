"""IntentService servicer."""

from __future__ import annotations

from convrec.intent.v1 import intent_pb2, intent_pb2_grpc
from convrec_kit.errors import invalid_argument, not_ready
from convrec_kit.models.client import IntentClassifier
from convrec_kit.validation import check_utterance

from .parser import Parser

MAX_BATCH = 256


class IntentServicer(intent_pb2_grpc.IntentServiceServicer):
    def __init__(self, classifier: IntentClassifier, max_utterance_bytes: int) -> None:
        self._classifier = classifier
        self._max_bytes = max_utterance_bytes
        self.parser: Parser | None = None

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
        probs = await self._classifier.predict(texts, timeout)
        return [self.parser.parse(t, p, r.locale) for t, p, r in zip(texts, probs, requests)]
