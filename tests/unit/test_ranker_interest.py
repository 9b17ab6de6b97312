"""The ranking service with a trained interest model: the interest and timing components,
cold starts, unknown and excess history, time checks, and the embedded client."""

from __future__ import annotations

import datetime as dt
import time

import grpc
import numpy as np
import pytest

from convrec.common.v1 import common_pb2
from convrec.ranking.v1 import ranking_pb2
from convrec_kit.errors import ServiceError
from convrec_kit.models.interest.client import EmbeddedInterest, interest_scorer
from convrec_kit.models.interest.scorer import InterestModel
from convrec_kit.settings import CommonSettings
from convrec_ranking.interest import FORMULA, model_source
from convrec_ranking.ranker import Ranker
from convrec_ranking.service import RankingServicer

from .interest_fixtures import GROUP, SMALL, train_synthetic

FT = common_pb2.FeedbackType
NOW = dt.datetime(2025, 6, 13, 23, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, catalog_dir, catalog):
    return train_synthetic(catalog_dir, catalog, tmp_path_factory.mktemp("ranker-interest"))


@pytest.fixture(scope="module")
def ranker(trained):
    work, directory, _, _ = trained
    return Ranker(work, model=InterestModel.for_catalog(directory, work))


def ids(catalog, start: int, count: int) -> list[str]:
    return [item.item_id for item in catalog.items[start : start + count]]


def event(item_id: str, kind=FT.FEEDBACK_TYPE_LIKE, hours_ago: float = 1.0) -> common_pb2.FeedbackEvent:
    e = common_pb2.FeedbackEvent(item_id=item_id, type=kind)
    e.timestamp.FromDatetime(NOW - dt.timedelta(hours=hours_ago))
    return e


def context() -> common_pb2.Context:
    c = common_pb2.Context(device="tv", locale="en-US")
    c.timestamp.FromDatetime(NOW)
    return c


def candidates(item_ids) -> list[common_pb2.ScoredItem]:
    return [common_pb2.ScoredItem(item_id=i, score=1.0) for i in item_ids]


def components(item: common_pb2.ScoredItem, name: str) -> list[common_pb2.ScoreComponent]:
    return [c for c in item.components if c.name == name]


def test_the_model_scores_interest_and_names_itself_and_the_event_it_leaned_on(ranker, catalog):
    group_a, group_b = ids(catalog, 0, GROUP), ids(catalog, GROUP, GROUP)
    history = [event(group_a[0], hours_ago=3), event(group_a[1], hours_ago=2), event(group_a[2])]
    ranked = ranker.rank(candidates(group_a[3:8] + group_b[:5]), history, context(), common_pb2.Constraints(), 10)
    source = model_source(ranker.model_version)
    for item in ranked:
        (interest,) = components(item, "interest")
        assert interest.source == source and interest.weight == ranker.weights.model_interest
        assert interest.evidence in group_a[:3]
        for timing in components(item, "timing"):
            assert timing.source == source and timing.evidence.startswith("Friday, 23:00 UTC")
        assert item.score == pytest.approx(sum(c.value * c.weight for c in item.components), abs=1e-6)
    by_id = {s.item_id: components(s, "interest")[0].value for s in ranked}
    assert np.mean([by_id[i] for i in group_a[3:8]]) > np.mean([by_id[i] for i in group_b[:5]])


def test_a_cold_start_is_popularity_and_context_only(ranker, catalog):
    for history in ([], [event("no-such-item"), event("gone-too")]):
        ranked = ranker.rank(candidates(ids(catalog, 0, 5)), history, context(), common_pb2.Constraints(), 5)
        assert ranked and all(not components(s, "interest") and not components(s, "timing") for s in ranked)
        assert all(components(s, "popularity") for s in ranked)


def test_unknown_ids_are_skipped_and_only_the_latest_events_are_read(ranker, catalog):
    group_a = ids(catalog, 0, GROUP)
    old = [event(group_a[i % 10], hours_ago=100 - i) for i in range(40)]
    recent = [event("no-such-item", hours_ago=0.5), event(group_a[12], hours_ago=0.2)]
    plan = ranker.interest_plan(candidates(group_a[:3]), old + recent, context())
    assert len(plan.item_ids) == SMALL.max_len and plan.item_ids[-1] == group_a[12]
    assert "no-such-item" not in plan.item_ids
    ranked = ranker.rank(candidates(group_a[13:15]), old + recent, context(), common_pb2.Constraints(), 2)
    assert {components(s, "interest")[0].evidence for s in ranked} <= set(plan.item_ids)


def test_scores_computed_elsewhere_give_the_same_ranking(trained, ranker, catalog):
    cands = candidates(ids(catalog, 0, 2 * GROUP))
    history = [event(i) for i in ids(catalog, 0, 3)]
    plan = ranker.interest_plan(cands, history, context())
    scored = ranker.model.score(plan.request.sequence, plan.request.query, plan.request.candidates)
    remote = Ranker(trained[0], model_version="v-elsewhere", max_events=SMALL.max_len)
    here = ranker.rank(cands, history, context(), common_pb2.Constraints(), 10)
    there = remote.rank(cands, history, context(), common_pb2.Constraints(), 10, scored)
    assert [s.item_id for s in here] == [s.item_id for s in there]
    assert components(there[0], "interest")[0].source == model_source("v-elsewhere")
    with pytest.raises(ValueError, match="no scores came"):
        remote.rank(cands, history, context(), common_pb2.Constraints(), 10)


def test_the_formula_says_it_scored(catalog_dir, catalog):
    ranked = Ranker(catalog_dir).rank(candidates(ids(catalog, 0, 4)), [event(ids(catalog, 0, 1)[0])], context(),
                                      common_pb2.Constraints(), 4)
    assert {c.source for s in ranked for c in components(s, "interest")} == {FORMULA}


class Context:
    def time_remaining(self):
        return 5.0


async def test_the_service_runs_the_model_once_per_call_and_checks_times(trained, catalog):
    work, directory, _, _ = trained
    settings = CommonSettings(artifacts_dir=work.parent, catalog=work.name)
    scorer = interest_scorer(settings, work)
    assert isinstance(scorer, EmbeddedInterest) and scorer.version == directory.name
    await scorer.load()
    servicer = RankingServicer(scorer)
    servicer.ranker = Ranker(work, model_version=scorer.version, max_events=scorer.max_len)
    request = ranking_pb2.RankRequest(candidates=candidates(ids(catalog, 0, 6)), history=[event(ids(catalog, 0, 1)[0])],
                                      context=context(), top_k=3)
    response = await servicer.Rank(request, Context())
    assert all(components(s, "interest")[0].source == model_source(scorer.version) for s in response.items)
    for seconds in (time.time() + 3600, -5):
        bad = ranking_pb2.RankRequest()
        bad.CopyFrom(request)
        bad.history[0].timestamp.FromSeconds(int(seconds))
        with pytest.raises(ServiceError) as err:
            await servicer.Rank(bad, Context())
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT and "history[0].timestamp" in str(err.value)
    await scorer.close()


def test_a_catalog_without_a_model_keeps_the_formula(catalog_dir):
    assert interest_scorer(CommonSettings(), catalog_dir) is None
