"""The learned ranker: features, LambdaRank training on top of the blend, its artifact, and
ranking with it (order, each component's share of the score, the breakdown)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from convrec.common.v1 import common_pb2
from convrec_gateway.explain import breakdown
from convrec_kit.models.ranker import artifact
from convrec_kit.models.ranker.features import FEATURES, matrix
from convrec_kit.models.ranker.model import LearnedRanker
from convrec_kit.models.ranker.train import Group, TrainConfig, train, useful
from convrec_kit.vocabulary import contribution
from convrec_ranking.ranker import Ranker, RankWeights


def test_features_are_nan_where_missing_and_add_up_when_repeated():
    x = matrix([[("dense", 0.5), ("dense", 0.25), ("unknown", 9.0)], []])
    assert x.shape == (2, len(FEATURES))
    assert x[0, FEATURES.index("dense")] == 0.75
    assert np.isnan(x[0, FEATURES.index("lexical")]) and np.isnan(x[1]).all()


def synthetic(lists: int, seed: int) -> list[Group]:
    """The target is the item with the highest `lexical`, which the blend score ignores."""
    rng = random.Random(seed)
    out = []
    for n in range(lists):
        rows, blend = [], []
        for _ in range(30):
            dense, lexical = rng.random(), rng.random()
            rows.append([("dense", dense), ("lexical", lexical)])
            blend.append(dense)
        order = sorted(range(30), key=lambda i: -blend[i])
        rows, blend = [rows[i] for i in order], [blend[i] for i in order]
        best = max(range(30), key=lambda i: rows[i][1][1])
        out.append(Group(rows, [int(i == best) for i in range(30)], blend, f"d{n // 2}"))
    return out


@pytest.fixture(scope="module")
def trained():
    config = TrainConfig(rounds=200, min_data_in_leaf=10, early_stopping=20)
    return train(synthetic(300, 1), config)


def test_training_learns_what_the_blend_misses(trained):
    booster, report = trained
    chosen = next(t for t in report["tried"] if t["blend_scale"] == report["blend_scale"])
    assert chosen["given_recall@10"] < 0.5 < chosen["learned_recall@10"]
    assert report["importance_gain"]["lexical"] > report["importance_gain"]["dense"]


def test_lists_without_a_target_or_without_others_teach_nothing():
    rows = [[("dense", 0.1)], [("dense", 0.2)]]
    groups = [Group(rows, [0, 0], [0.1, 0.2]), Group(rows, [1, 1], [0.1, 0.2]), Group(rows, [0, 1], [0.1, 0.2])]
    assert useful(groups) == [groups[2]]
    with pytest.raises(ValueError, match="usable ranked lists"):
        train(groups[:2])


def test_group_json_round_trip():
    group = synthetic(1, 3)[0]
    assert Group.from_json(group.to_json()) == group


@pytest.fixture()
def learned(tmp_path, trained):
    booster, report = trained
    artifact.save(tmp_path, "v1", booster, FEATURES, {"rerank": 100, "blend_scale": report["blend_scale"]})
    return LearnedRanker.for_catalog(tmp_path)


def test_artifact_round_trip_scores_as_the_blend_plus_the_trees(learned, trained):
    booster, report = trained
    group = synthetic(1, 7)[0]
    ranked = learned.score(group.rows, group.blend)
    expected = report["blend_scale"] * np.asarray(group.blend) + booster.predict(matrix(group.rows))
    assert np.allclose(ranked.scores, expected)
    assert learned.version == "ranker v1" and learned.rerank == 100


def test_a_catalog_without_a_ranker_has_none(tmp_path):
    assert LearnedRanker.for_catalog(tmp_path) is None


def candidate(item_id: str, dense: float, lexical: float) -> common_pb2.ScoredItem:
    return common_pb2.ScoredItem(item_id=item_id, score=1.0, components=[
        common_pb2.ScoreComponent(name="dense", value=dense, weight=0.45),
        common_pb2.ScoreComponent(name="lexical", value=lexical, weight=0.0),
    ])


def test_ranking_with_the_learned_ranker_grounds_every_share(catalog_dir, catalog, learned):
    ids = [item.item_id for item in catalog.items[:12]]
    lexical_best = ids[-1]
    candidates = [candidate(i, dense=0.9 - 0.05 * n, lexical=0.99 if i == lexical_best else 0.1)
                  for n, i in enumerate(ids)]
    weights = RankWeights(popularity=0.0, diversity=0.0)
    blend = Ranker(catalog_dir, weights).rank(candidates, [], common_pb2.Context(), common_pb2.Constraints(), 10)
    ranker = Ranker(catalog_dir, weights, learned=learned)
    ranked = ranker.rank(candidates, [], common_pb2.Context(), common_pb2.Constraints(), 10)
    assert lexical_best not in [s.item_id for s in blend]
    assert ranked[0].item_id == lexical_best
    for scored in ranked:
        lexical = next(c for c in scored.components if c.name == "lexical")
        assert lexical.HasField("contribution")
    top = ranked[0]
    text = breakdown(top.score, list(top.components), "en", lambda i: i)
    base = top.score - sum(contribution(c) for c in top.components)
    assert "learned ranker's base" in text and f"{base:+.3f}" in text
    assert next(c for c in top.components if c.name == "lexical").contribution > 0


def test_the_session_keeps_each_share_for_later_explanations():
    from convrec_gateway.session import Session

    session = Session()
    session.remember_scores([common_pb2.ScoredItem(item_id="a", score=1.5, components=[
        common_pb2.ScoreComponent(name="dense", value=0.5, weight=0.45, contribution=1.2),
        common_pb2.ScoreComponent(name="seed", value=0.9, weight=0.8),
    ])])
    restored = Session.from_json("s", "u", 1, session.to_json())
    score, parts = restored.components_of("a")
    assert score == 1.5 and parts[0].contribution == 1.2 and not parts[1].HasField("contribution")
