"""Fetching for a turn: candidates from retrieval, their ranking, and catalog look-ups."""

from __future__ import annotations

from dataclasses import dataclass

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2_grpc
from convrec.ranking.v1 import ranking_pb2, ranking_pb2_grpc
from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_kit import feedback as policy
from convrec_kit.channels import Budget, call

from .session import Session


@dataclass
class Clients:
    intent: intent_pb2_grpc.IntentServiceStub
    retrieval: retrieval_pb2_grpc.RetrievalServiceStub
    ranking: ranking_pb2_grpc.RankingServiceStub


@dataclass(frozen=True)
class Call:
    """What every downstream call of one turn shares."""

    budget: Budget
    request_id: str


@dataclass(frozen=True)
class Request:
    """One list to fetch: constraints, query, and who it is for."""

    constraints: common_pb2.Constraints
    query: str
    language: str
    # Items never to show: opinions given, and what was shown before.
    exclude: frozenset[str]
    # The user's stored events and this session's feedback, oldest first.
    history: tuple[common_pb2.FeedbackEvent, ...]
    context: common_pb2.Context
    page_size: int


class Fetcher:
    def __init__(self, clients: Clients, candidates: int) -> None:
        self.clients = clients
        self._candidates = candidates

    async def ranked(self, state: Session, req: Request, on: Call) -> list[common_pb2.ScoredItem]:
        """Retrieves candidates for the request and ranks them; [] when nothing matches."""
        liked = [e.item_id for e in req.history if policy.liked(e)]
        known = set(req.constraints.seed_item_ids) | set(liked) | set(state.rejected)
        retrieved = await call(
            "retrieval",
            self.clients.retrieval.Retrieve,
            retrieval_pb2.RetrieveRequest(
                query=req.query,
                constraints=req.constraints,
                exclude_item_ids=sorted(req.exclude),
                top_k=max(self._candidates, req.page_size * 5),
                history_item_ids=list(dict.fromkeys(liked))[-50:],
                language=req.language,
                context_item_ids=[i for i in state.discussed if i not in known],
            ),
            on.budget,
            on.request_id,
        )
        if not retrieved.candidates:
            return []
        ranked = await call(
            "ranking",
            self.clients.ranking.Rank,
            ranking_pb2.RankRequest(
                query=req.query,
                candidates=retrieved.candidates,
                history=req.history,
                context=req.context,
                constraints=req.constraints,
                top_k=req.page_size,
            ),
            on.budget,
            on.request_id,
        )
        return list(ranked.items)

    async def items(self, ids: list[str], on: Call) -> dict[str, common_pb2.Item]:
        ids = [i for i in dict.fromkeys(ids) if i]
        if not ids:
            return {}
        found = await call(
            "retrieval",
            self.clients.retrieval.BatchGetItems,
            retrieval_pb2.BatchGetItemsRequest(item_ids=ids),
            on.budget,
            on.request_id,
        )
        return {item.item_id: item for item in found.items}
