"""RetrievalService servicer."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_kit.errors import invalid_argument, not_ready
from convrec_kit.models.client import TextEncoder
from convrec_kit.validation import check_constraints, check_count

from .engine import RetrievalEngine

MAX_IDS = 1000
QUERY_CACHE_SIZE = 4096


class RetrievalServicer(retrieval_pb2_grpc.RetrievalServiceServicer):
    def __init__(self, encoder: TextEncoder, max_query_bytes: int) -> None:
        self._encoder = encoder
        self._max_query_bytes = max_query_bytes
        self.engine: RetrievalEngine | None = None
        # A dialogue re-sends its accumulated query every turn; its vector is kept.
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    async def _query_vector(self, query: str, timeout: float | None) -> np.ndarray:
        vector = self._vectors.get(query)
        if vector is None:
            vector = (await self._encoder.encode([query], timeout))[0]
            self._vectors[query] = vector
            if len(self._vectors) > QUERY_CACHE_SIZE:
                self._vectors.popitem(last=False)
        else:
            self._vectors.move_to_end(query)
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
        if len(request.exclude_item_ids) > 10 * MAX_IDS or len(request.history_item_ids) > MAX_IDS:
            raise invalid_argument("exclude_item_ids", "too many item ids")
        query = request.query.strip()
        vector = await self._query_vector(query, context.time_remaining()) if query else None
        lexical = " ".join([query, *request.constraints.keywords])
        candidates, total = engine.retrieve(
            vector,
            lexical,
            request.constraints,
            list(request.exclude_item_ids),
            list(request.history_item_ids),
            top_k,
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
