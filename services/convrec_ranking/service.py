"""RankingService servicer."""

from __future__ import annotations

import asyncio
import time

from convrec.common.v1 import common_pb2
from convrec.ranking.v1 import ranking_pb2, ranking_pb2_grpc
from convrec_kit.errors import invalid_argument, not_ready
from convrec_kit.models.interest.client import InterestScorer
from convrec_kit.validation import check_constraints, check_count, check_event_time

from .ranker import Ranker

MAX_CANDIDATES = 2000
MAX_HISTORY = 5000


class RankingServicer(ranking_pb2_grpc.RankingServiceServicer):
    """`interest`: the catalog's trained interest model (in process or on Triton), run once
    per call on the user's history and context; None: the ranker's formula."""

    def __init__(self, interest: InterestScorer | None = None) -> None:
        self.ranker: Ranker | None = None
        self.interest = interest

    async def Rank(self, request, context):
        if self.ranker is None:
            raise not_ready("ranking")
        top_k = check_count(request.top_k, "top_k", 10, 100)
        check_constraints(request.constraints)
        if len(request.candidates) > MAX_CANDIDATES:
            raise invalid_argument("candidates", f"at most {MAX_CANDIDATES} candidates")
        if len(request.history) > MAX_HISTORY:
            raise invalid_argument("history", f"at most {MAX_HISTORY} history events")
        now = time.time()
        for index, event in enumerate(request.history):
            if event.type not in common_pb2.FeedbackType.values() or event.type == 0:
                raise invalid_argument("history.type", f"unknown feedback type {event.type}")
            check_event_time(event, f"history[{index}].timestamp", now)
        scored = None
        if self.interest is not None:
            plan = self.ranker.interest_plan(request.candidates, request.history, request.context)
            if plan is not None:
                scored = await self.interest.score(plan.request, timeout=context.time_remaining())
        items = await asyncio.to_thread(
            self.ranker.rank, request.candidates, request.history, request.context, request.constraints, top_k,
            scored, self.interest.version if self.interest else None,
        )
        return ranking_pb2.RankResponse(items=items)
