"""The interest model on a real tritonserver (Python backend, CPU): parity with the embedded
model for single and concurrent (ragged) requests, a bad request answered with an error,
and the ranking service scoring interest through Triton."""

from __future__ import annotations

import asyncio
import datetime as dt

import grpc
import numpy as np
import pytest

from convrec.common.v1 import common_pb2
from convrec.ranking.v1 import ranking_pb2, ranking_pb2_grpc
from convrec_cli.launcher import Cluster
from convrec_cli.triton import INTEREST_MODEL
from convrec_kit.models.interest import wire
from convrec_kit.models.interest.client import TritonInterest
from convrec_kit.models.interest.features import Event, Query, encode
from convrec_kit.models.interest.scorer import InterestModel, Request
from convrec_ranking.interest import model_source
from convrec_ranking.ranker import Ranker
from unit.interest_fixtures import train_synthetic

from .helpers import assert_bad_request_is_refused, running_triton  # tests/ is on the path: e2e and unit are packages

FT = common_pb2.FeedbackType


@pytest.fixture(scope="module")
def trained(tmp_path_factory, catalog_dir, catalog):
    root = tmp_path_factory.mktemp("artifacts-interest")
    (root / "models").symlink_to(catalog_dir.parent / "models")
    work, directory, _, _ = train_synthetic(catalog_dir, catalog, root)
    return root, work, directory


@pytest.fixture(scope="module")
def triton(tmp_path_factory, trained):
    root, work, _ = trained
    with running_triton(tmp_path_factory.mktemp("triton-interest"), root, catalog=work.name) as server:
        yield server


@pytest.fixture(scope="module")
def embedded(trained):
    _, work, directory = trained
    return InterestModel.for_catalog(directory, work)


def requests(count: int = 6) -> list[Request]:
    rng = np.random.default_rng(7)
    out = []
    for n in (1, 3, 5, 12, 20, 40)[:count]:  # 20 and 40 are longer than the model's window
        kinds = [FT.FEEDBACK_TYPE_LIKE if rng.random() < 0.7 else FT.FEEDBACK_TYPE_DISLIKE for _ in range(n)]
        events = [Event(int(rng.integers(30)), kind, 0.0, 1.7e9 + 3600 * i) for i, kind in enumerate(kinds)]
        sequence = encode(events)
        query = Query.at(1.7e9 + 3600 * (n + 30), float(sequence.timestamps[-1]), "tv", "en")
        out.append(Request(sequence, query, rng.choice(400, size=int(rng.integers(5, 60)), replace=False)))
    return out


def assert_same(a, b):
    np.testing.assert_allclose(a.relative, b.relative, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(a.context_effect, b.context_effect, rtol=1e-4, atol=1e-4)
    assert (a.evidence == b.evidence).all()


async def test_parity_with_the_embedded_model_alone_and_batched(triton, trained, embedded):
    assert INTEREST_MODEL in triton.models
    client = TritonInterest(triton.url, 30.0, trained[2])
    await client.load()
    assert await client.ready() and client.version == trained[2].name
    cases = requests()
    for request in cases:
        assert_same(await client.score(request), embedded.score(request.sequence, request.query, request.candidates))
    together = await asyncio.gather(*(client.score(r) for r in cases * 3))
    for request, scored in zip(cases * 3, together):
        assert_same(scored, embedded.score(request.sequence, request.query, request.candidates))
    await client.close()


def test_a_bad_request_is_an_error_not_a_crash(triton, embedded):
    tensors = wire.request_tensors(requests(1)[0])
    tensors["CANDIDATES"] = np.array([[len(embedded.table) + 5]], dtype=np.int64)
    assert_bad_request_is_refused(triton.url, INTEREST_MODEL, tensors, wire.INPUTS, "outside the catalog")


def test_the_ranking_service_scores_interest_on_triton(tmp_path, triton, trained, catalog):
    root, work, directory = trained
    cluster = Cluster(tmp_path / "ranking", extra_env={
        "CONVREC_MODEL_BACKEND": "triton", "CONVREC_TRITON_URL": triton.url,
        "CONVREC_ARTIFACTS_DIR": str(root), "CONVREC_CATALOG": work.name})
    now = dt.datetime(2025, 6, 13, 21, 0, tzinfo=dt.UTC)
    history = []
    for i, item in enumerate(catalog.items[:3]):
        history.append(common_pb2.FeedbackEvent(item_id=item.item_id, type=FT.FEEDBACK_TYPE_LIKE))
        history[-1].timestamp.FromDatetime(now - dt.timedelta(hours=3 - i))
    context = common_pb2.Context(device="tv")
    context.timestamp.FromDatetime(now)
    candidates = [common_pb2.ScoredItem(item_id=item.item_id) for item in catalog.items[3:30]]
    try:
        cluster.start(names=("ranking",))
        with grpc.insecure_channel(cluster.address("ranking")) as channel:
            stub = ranking_pb2_grpc.RankingServiceStub(channel)
            served = stub.Rank(ranking_pb2.RankRequest(candidates=candidates, history=history, context=context,
                                                       top_k=8), timeout=30)
    finally:
        cluster.stop()
    local = Ranker(work, model=InterestModel.for_catalog(directory, work))
    expected = local.rank(candidates, history, context, common_pb2.Constraints(), 8)
    assert [s.item_id for s in served.items] == [s.item_id for s in expected]
    interest = [c for s in served.items for c in s.components if c.name == "interest"]
    assert interest and {c.source for c in interest} == {model_source(directory.name)}
