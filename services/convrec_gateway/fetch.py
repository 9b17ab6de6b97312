"""Fetching for a turn: candidates from retrieval, their ranking, and catalog look-ups.

An outage of ranking is answered in retrieval's order, and one of retrieval from the items
this process has seen; the turn records what it went without."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import grpc

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2_grpc
from convrec.ranking.v1 import ranking_pb2, ranking_pb2_grpc
from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_kit import feedback as policy
from convrec_kit.channels import Budget, call
from convrec_kit.errors import ServiceError

from .session import Session


@dataclass
class Clients:
    intent: intent_pb2_grpc.IntentServiceStub
    retrieval: retrieval_pb2_grpc.RetrievalServiceStub
    ranking: ranking_pb2_grpc.RankingServiceStub


@dataclass
class Call:
    """What every downstream call of one turn shares, and the services it went without."""

    budget: Budget
    request_id: str
    degraded: list[str] = field(default_factory=list)

    def went_without(self, service: str) -> None:
        if service not in self.degraded:
            self.degraded.append(service)


def is_outage(err: ServiceError) -> bool:
    """A downstream that is down or still loading, not a bad request."""
    return err.code == grpc.StatusCode.UNAVAILABLE


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


# Catalog items kept in process for answering through a retrieval outage.
ITEM_CACHE_SIZE = 5000


class Fetcher:
    def __init__(self, clients: Clients, candidates: int) -> None:
        self.clients = clients
        self._candidates = candidates
        self._cache: OrderedDict[str, common_pb2.Item] = OrderedDict()

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
                dialogue=[common_pb2.Turn(role=role, text=text) for role, text in state.talk],
            ),
            on.budget,
            on.request_id,
        )
        if not retrieved.candidates:
            return []
        try:
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
        except ServiceError as err:
            if not is_outage(err):
                raise
            on.went_without("ranking")
            return _retrieval_order(retrieved.candidates, req.page_size)
        return list(ranked.items)

    async def items(self, ids: list[str], on: Call) -> dict[str, common_pb2.Item]:
        ids = [i for i in dict.fromkeys(ids) if i]
        if not ids:
            return {}
        try:
            found = await call(
                "retrieval",
                self.clients.retrieval.BatchGetItems,
                retrieval_pb2.BatchGetItemsRequest(item_ids=ids),
                on.budget,
                on.request_id,
            )
        except ServiceError as err:
            cached = {i: self._cache[i] for i in ids if i in self._cache}
            if not is_outage(err) or not cached:
                raise
            on.went_without("retrieval")
            return cached
        self._remember(found.items)
        return {item.item_id: item for item in found.items}

    def _remember(self, items) -> None:
        for item in items:
            self._cache[item.item_id] = item
            self._cache.move_to_end(item.item_id)
        while len(self._cache) > ITEM_CACHE_SIZE:
            self._cache.popitem(last=False)


def _retrieval_order(candidates, page_size: int) -> list[common_pb2.ScoredItem]:
    """Retrieval's fused order, its components kept, when ranking cannot be reached."""
    best = sorted(candidates, key=lambda c: -c.score)[:page_size]
    return [common_pb2.ScoredItem(item_id=c.item_id, score=c.score, components=c.components) for c in best]
