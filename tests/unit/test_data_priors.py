"""A catalog built with a popularity source, co-occurrence neighbours and tuned weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convrec.common.v1 import common_pb2
from convrec_kit import artifacts
from convrec_ranking.ranker import Ranker
from convrec_retrieval.engine import CoOccurrence, RetrievalEngine
from convrec_retrieval.index_build import build_catalog


class FakeEncoder:
    """Deterministic unit vectors: no model to load."""

    calls = 0

    def encode(self, texts):
        FakeEncoder.calls += 1
        rng = np.random.default_rng(len(texts))
        vectors = rng.normal(size=(len(texts), 384)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def sources(tmp_path):
    items = [{"item_id": f"m{i}", "title": f"Movie {i}", "categories": ["movie", "drama"]} for i in range(6)]
    return {
        "catalog": jsonl(tmp_path / "catalog.jsonl", items),
        "popularity": jsonl(tmp_path / "pop.jsonl", [
            {"item_id": "m0", "count": 99}, {"item_id": "m1", "count": 9}, {"item_id": "ghost", "count": 5},
        ]),
        "co": jsonl(tmp_path / "co.jsonl", [
            {"item_id": "m0", "other_id": "m1", "count": 4},
            {"item_id": "m2", "other_id": "m0", "count": 2},
            {"item_id": "m3", "other_id": "m4", "count": 1},
        ]),
        "weights": tmp_path / "weights.json",
    }


def test_popularity_source_replaces_the_rating_prior(tmp_path, sources):
    manifest = build_catalog(sources["catalog"], tmp_path / "cat", FakeEncoder(), popularity=sources["popularity"])
    prior = np.load(tmp_path / "cat" / artifacts.POPULARITY_FILE)
    assert prior[0] == pytest.approx(1.0) and prior[1] == pytest.approx(np.log(10) / np.log(100))
    assert prior[2:].tolist() == [0.0] * 4
    assert manifest["popularity_counts"] == {"items_counted": 2, "unknown_ids": 1}
    plain = build_catalog(sources["catalog"], tmp_path / "plain", FakeEncoder())
    assert "popularity_sha256" not in plain
    assert np.load(tmp_path / "plain" / artifacts.POPULARITY_FILE).tolist() == [0.5] * 6  # no ratings


def test_only_the_priors_are_redone_when_only_they_change(tmp_path, sources):
    build_catalog(sources["catalog"], tmp_path / "cat", FakeEncoder())
    calls = FakeEncoder.calls
    manifest = build_catalog(sources["catalog"], tmp_path / "cat", FakeEncoder(), popularity=sources["popularity"])
    assert FakeEncoder.calls == calls, "embeddings are reused"
    assert manifest["popularity_sha256"]
    again = build_catalog(sources["catalog"], tmp_path / "cat", FakeEncoder(), popularity=sources["popularity"])
    assert again == manifest


def test_co_occurrence_neighbours_and_the_retrieval_source(tmp_path, sources):
    sources["weights"].write_text(json.dumps({"retrieval": {"co_occurrence": 2.0}, "ranking": {"diversity": 0}}))
    build_catalog(sources["catalog"], tmp_path / "cat", FakeEncoder(), popularity=sources["popularity"],
                  co_occurrence=sources["co"], weights=sources["weights"])
    engine = RetrievalEngine(tmp_path / "cat")
    assert engine.weights.co_occurrence == 2.0 and engine.weights.dense == 0.45  # the rest stay default
    assert Ranker(tmp_path / "cat").weights.diversity == 0
    # m0 co-occurs with m1 (4) and m2 (2): with m0 liked, m1 scores 1 and m2 0.5.
    scores, evidence = engine.co_occurrence.scores([0])
    assert scores[1] == pytest.approx(1.0) and scores[2] == pytest.approx(0.5) and scores[3] == 0
    assert evidence[1] == 0
    found, _ = engine.retrieve(None, "", common_pb2.Constraints(), [], ["m0"], 3)
    assert found[0].item_id == "m1"
    component = next(c for c in found[0].components if c.name == "co_occurrence")
    assert component.weight == 2.0 and component.evidence == "m0"
    ranked = Ranker(tmp_path / "cat").rank(found, [], common_pb2.Context(), common_pb2.Constraints(), 3)
    assert "co_occurrence" in [c.name for c in ranked[0].components]


def test_recent_sources_weigh_more():
    neighbours = np.array([[1, -1], [-1, -1], [-1, -1], [2, -1]], dtype=np.int32)
    counts = np.array([[1, 0], [0, 0], [0, 0], [1, 0]], dtype=np.float32)
    co = CoOccurrence(neighbours, counts, 4)
    flat, _ = co.scores([0, 3])
    assert flat[1] == flat[2] == pytest.approx(0.5)
    recent, evidence = co.scores([0, 3], half_life=1.0)  # 3 is the most recent
    assert recent[2] > recent[1] and evidence[2] == 3


def test_bad_inputs_are_refused(tmp_path, sources):
    jsonl(sources["popularity"], [{"item_id": "m0", "count": -1}])
    with pytest.raises(ValueError, match="non-negative"):
        build_catalog(sources["catalog"], tmp_path / "cat", FakeEncoder(), popularity=sources["popularity"])
    sources["weights"].write_text(json.dumps({"retrieval": {"nonsense": 1}}))
    build_catalog(sources["catalog"], tmp_path / "w", FakeEncoder(), weights=sources["weights"])
    with pytest.raises(ValueError, match="unknown retrieval weights"):
        RetrievalEngine(tmp_path / "w")
    sources["weights"].write_text(json.dumps({"search": {}}))
    with pytest.raises(ValueError, match="retrieval"):
        build_catalog(sources["catalog"], tmp_path / "w2", FakeEncoder(), weights=sources["weights"])
