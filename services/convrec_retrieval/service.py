"""RetrievalService servicer."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_kit.errors import invalid_argument, not_ready
from convrec_kit.models.client import TextEncoder
from convrec_kit.text import has_cjk
from convrec_kit.validation import check_constraints, check_count

from .engine import RetrievalEngine

MAX_IDS = 1000
QUERY_CACHE_SIZE = 4096


class RetrievalServicer(retrieval_pb2_grpc.RetrievalServiceServicer):
    def __init__(self, encoder: TextEncoder, max_query_bytes: int) -> None:
        self._encoders: dict[str, TextEncoder] = {"minilm": encoder}
        self._max_query_bytes = max_query_bytes
        self.engine: RetrievalEngine | None = None
        # A dialogue re-sends its accumulated query every turn; its vector is kept.
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    def add_multilingual(self, encoder: TextEncoder) -> None:
        """Chinese and mixed queries are then matched in multilingual-e5-small's space."""
        self._encoders["e5"] = encoder

    def space_for(self, text: str, language: str) -> str:
        wants = language == "zh" or has_cjk(text)
        return "e5" if wants and "e5" in self._encoders and self.engine.multilingual else "minilm"

    async def _query_vector(self, space: str, query: str, timeout: float | None) -> np.ndarray:
        key = (space, query)
        vector = self._vectors.get(key)
        if vector is None:
            vector = (await self._encoders[space].encode([query], timeout))[0]
            self._vectors[key] = vector
            if len(self._vectors) > QUERY_CACHE_SIZE:
                self._vectors.popitem(last=False)
        else:
            self._vectors.move_to_end(key)
        return vector

    def _ready(self) -> RetrievalEngine:
        if self.engine is None:
            raise not_ready("retrieval")
        return self.engine

    async def Retrieve(self, request, context):
        engine = self._ready()
        top_k = check_count(request.top_k, "top_k", 100, 1000)
        check_constraints(request.constraints)
        if len(request.query.encode()) > self._max_query_bytes:
            raise invalid_argument("query", f"query is over {self._max_query_bytes} bytes")
        if len(request.exclude_item_ids) > 10 * MAX_IDS:
            raise invalid_argument("exclude_item_ids", f"at most {10 * MAX_IDS} ids")
        for name in ("history_item_ids", "context_item_ids"):
            if len(getattr(request, name)) > MAX_IDS:
                raise invalid_argument(name, f"at most {MAX_IDS} ids")
        query = request.query.strip()
        lexical = " ".join([query, *request.constraints.keywords]).strip()
        space = self.space_for(lexical, request.language)
        # e5 reads Chinese, so its query also carries the Chinese keywords.
        dense_text = lexical if space == "e5" else query
        vector = await self._query_vector(space, dense_text, context.time_remaining()) if dense_text else None
        candidates, total = engine.retrieve(
            vector,
            lexical,
            request.constraints,
            list(request.exclude_item_ids),
            list(request.history_item_ids),
            top_k,
            space,
            list(request.context_item_ids),
        )
        return retrieval_pb2.RetrieveResponse(candidates=candidates, total_matching=total)

    async def BatchGetItems(self, request, context):
        engine = self._ready()
        if len(request.item_ids) > MAX_IDS:
            raise invalid_argument("item_ids", f"at most {MAX_IDS} ids per call")
        found, missing = [], []
        for item_id in request.item_ids:
            item = engine.catalog.get(item_id)
            (found if item is not None else missing).append(item if item is not None else item_id)
        return retrieval_pb2.BatchGetItemsResponse(items=found, missing_ids=missing)
