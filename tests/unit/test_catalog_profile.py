"""The gateway's view of the served catalog: asked of retrieval once, kept, and never in the
way when retrieval cannot answer."""

from __future__ import annotations

import asyncio

import grpc
from grpc.aio import AioRpcError, Metadata

from convrec.retrieval.v1 import retrieval_pb2
from convrec_gateway.catalog_profile import CatalogProfiles, Profile
from convrec_gateway.fetch import Call
from convrec_kit.channels import Budget


class FakeRetrieval:
    def __init__(self, answers) -> None:
        self.answers, self.calls = list(answers), []

    async def DescribeCatalog(self, request, timeout=None, metadata=None):
        self.calls.append(timeout)
        answer = self.answers.pop(0)
        if isinstance(answer, grpc.StatusCode):
            raise AioRpcError(answer, Metadata(), Metadata(), "down")
        return answer


RESTAURANTS = retrieval_pb2.DescribeCatalogResponse(
    kinds=[retrieval_pb2.CatalogKind(category="restaurant", items=24, names={"zh": "餐厅"}, rating_scale=5)], items=24)


def test_the_profile_is_asked_for_until_retrieval_answers_then_kept():
    retrieval = FakeRetrieval([grpc.StatusCode.UNAVAILABLE, RESTAURANTS])
    profiles = CatalogProfiles(retrieval)
    on = Call(Budget(5.0), "r1")

    async def turns():
        return [await profiles.get(on) for _ in range(3)]

    down, first, kept = asyncio.run(turns())
    assert down == Profile()
    assert first.kinds == ("restaurant",) and first.names == {"restaurant": {"zh": "餐厅"}}
    assert kept is first and len(retrieval.calls) == 2
    assert all(t <= 0.5 for t in retrieval.calls)  # a slow retrieval never holds up the turn
    assert first.offer("zh") == "餐厅" and first.offer("en") == "restaurants"
