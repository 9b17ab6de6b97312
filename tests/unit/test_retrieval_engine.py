"""convrec_retrieval.engine.RetrievalEngine over the demo artifacts, with real MiniLM vectors."""

from __future__ import annotations

import numpy as np
import pytest

from convrec.common.v1 import common_pb2
from convrec_kit.models.minilm import DIMENSION, MiniLMEncoder
from convrec_retrieval.engine import FusionWeights, RetrievalEngine


@pytest.fixture(scope="module")
def encoder():
    return MiniLMEncoder()


@pytest.fixture(scope="module")
def engine(catalog_dir):
    return RetrievalEngine(catalog_dir)


@pytest.fixture(scope="module")
def space_vector(encoder):
    return encoder.encode(["a crew on a spaceship hunted by an alien creature"])[0]


def people(item):
    return {
        n.strip()
        for key in ("director", "cast", "author")
        for n in item.attributes.get(key, "").split(",")
        if n.strip()
    }


def check_scores(results):
    for s in results:
        assert s.score == pytest.approx(sum(c.value * c.weight for c in s.components), abs=1e-6)
    scores = [s.score for s in results]
    assert scores == sorted(scores, reverse=True)


def test_encoder_outputs_unit_vectors(encoder):
    vectors = encoder.encode(["hello", "a much longer sentence about movies"])
    assert vectors.shape == (2, DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, DIMENSION)


def test_dense_query_finds_the_obvious_item(engine, space_vector):
    results, total = engine.retrieve(space_vector, "alien spaceship", common_pb2.Constraints(), [], [], 10)
    assert total == len(engine.catalog)
    assert len(results) == 10
    assert "mv-alien-1979" in [s.item_id for s in results[:3]]
    names = [c.name for c in results[0].components]
    assert names == ["dense", "lexical", "prior"]
    weights = {c.name: c.weight for c in results[0].components}
    assert weights == {"dense": FusionWeights.dense, "lexical": FusionWeights.lexical, "prior": FusionWeights.prior}
    check_scores(results)


def test_filters_are_respected(engine, catalog, space_vector):
    constraints = common_pb2.Constraints(
        domain="movie",
        include_categories=["science fiction"],
        exclude_categories=["horror"],
        ranges=[common_pb2.NumericRange(field="year", min=2000, max=2020)],
    )
    results, total = engine.retrieve(space_vector, "space", constraints, [], [], 20)
    expected_total = sum(
        "movie" in i.categories
        and "science fiction" in i.categories
        and "horror" not in i.categories
        and 2000 <= i.numeric["year"] <= 2020
        for i in catalog.items
    )
    assert total == expected_total
    assert 0 < len(results) <= 20
    for s in results:
        item = catalog.get(s.item_id)
        assert "movie" in item.categories and "science fiction" in item.categories
        assert "horror" not in item.categories
        assert 2000 <= item.numeric["year"] <= 2020
    check_scores(results)


def test_excluded_ids_are_never_returned(engine, space_vector):
    first, _ = engine.retrieve(space_vector, "alien", common_pb2.Constraints(), [], [], 10)
    excluded = [s.item_id for s in first[:5]]
    constraint_excluded = first[5].item_id
    again, total = engine.retrieve(
        space_vector, "alien", common_pb2.Constraints(exclude_item_ids=[constraint_excluded]), excluded, [], 50
    )
    returned = {s.item_id for s in again}
    assert not returned & set(excluded)
    assert constraint_excluded not in returned
    assert total == len(engine.catalog) - 6


def test_seed_component_and_seed_not_returned(engine, catalog):
    constraints = common_pb2.Constraints(domain="movie", seed_item_ids=["mv-alien-1979"])
    results, total = engine.retrieve(None, "", constraints, [], [], 10)
    assert total == 324  # the seed itself is filtered out
    assert "mv-alien-1979" not in [s.item_id for s in results]
    for s in results:
        seed = [c for c in s.components if c.name == "seed"]
        assert len(seed) == 1
        assert seed[0].evidence == "mv-alien-1979"
        assert seed[0].weight == FusionWeights.seed
        assert [c.name for c in s.components] == ["seed", "prior"]
    # the closest relative of Alien comes first
    assert results[0].item_id == "mv-aliens-1986"
    check_scores(results)


def test_seed_similarity_values(engine):
    a = engine.catalog.index["mv-alien-1979"]
    b = engine.catalog.index["mv-aliens-1986"]
    values, sources = engine.seed_similarity([a])
    assert sources[b] == a
    cos = float(engine.embeddings[b] @ engine.embeddings[a])
    alien, aliens = engine.catalog.items[a], engine.catalog.items[b]
    cats_a = set(alien.categories) - {"movie"}
    cats_b = set(aliens.categories) - {"movie"}
    jaccard = len(cats_a & cats_b) / len(cats_a | cats_b)
    shared = 1.0 if people(alien) & people(aliens) else 0.0
    assert shared == 1.0  # Sigourney Weaver is in both
    assert values[b] == pytest.approx(0.6 * cos + 0.4 * (0.7 * jaccard + 0.3 * shared), abs=1e-5)
    assert values[a] == pytest.approx(1.0, abs=1e-5)  # an item is fully similar to itself


def test_two_seeds_evidence_names_the_closer_one(engine):
    seeds = ["mv-alien-1979", "mv-toy-story-1995"]
    results, _ = engine.retrieve(None, "", common_pb2.Constraints(seed_item_ids=seeds), [], [], 30)
    found = {s.item_id: next(c for c in s.components if c.name == "seed") for s in results}
    assert found["mv-aliens-1986"].evidence == "mv-alien-1979"
    assert found["mv-toy-story-2-1999"].evidence == "mv-toy-story-1995"
    assert {c.evidence for c in found.values()} == set(seeds)
    assert not set(seeds) & set(found)
    per_seed = {seed: engine.seed_similarity([engine.catalog.index[seed]])[0] for seed in seeds}
    for item_id, seed in found.items():
        pos = engine.catalog.index[item_id]
        closer = max(seeds, key=lambda s: per_seed[s][pos])
        assert seed.evidence == closer
        assert seed.value == pytest.approx(float(per_seed[closer][pos]), abs=1e-5)


def test_history_component(engine):
    results, _ = engine.retrieve(None, "", common_pb2.Constraints(), [], ["mv-alien-1979"], 10)
    assert len(results) == 10
    values, _ = engine.seed_similarity([engine.catalog.index["mv-alien-1979"]])
    for s in results:
        [history] = [c for c in s.components if c.name == "history"]
        assert history.evidence == "mv-alien-1979"
        assert history.weight == FusionWeights.history
        assert history.value == pytest.approx(float(values[engine.catalog.index[s.item_id]]), abs=1e-5)
    # the liked item's close relatives outrank the more popular rest
    assert {"mv-aliens-1986", "mv-prometheus-2012"} <= {s.item_id for s in results}
    check_scores(results)


def test_discussed_items_are_weaker_seeds(engine):
    constraints = common_pb2.Constraints(seed_item_ids=["mv-toy-story-1995"])
    discussed = ["mv-alien-1979", "mv-toy-story-1995"]  # a seed is not also a discussed item
    results, _ = engine.retrieve(None, "", constraints, [], [], 30, context_ids=discussed)
    found = {s.item_id: {c.name: c for c in s.components} for s in results}
    values, _ = engine.seed_similarity([engine.catalog.index["mv-alien-1979"]])
    assert "mv-aliens-1986" in found  # close to Alien, brought in by the discussed source
    for item_id, parts in found.items():
        assert parts["discussed"].evidence == "mv-alien-1979"
        assert parts["discussed"].weight == FusionWeights.discussed < FusionWeights.seed
        assert parts["discussed"].value == pytest.approx(values[engine.catalog.index[item_id]], abs=1e-5)
        assert parts["seed"].evidence == "mv-toy-story-1995"
    assert "mv-alien-1979" in found  # discussed, not excluded: only seeds and exclusions are
    check_scores(results)


def test_prior_only_without_query(engine):
    results, total = engine.retrieve(None, "", common_pb2.Constraints(), [], [], 5)
    assert total == len(engine.catalog)
    assert len(results) == 5
    for s in results:
        assert [c.name for c in s.components] == ["prior"]
        assert s.score == pytest.approx(FusionWeights.prior * engine.prior[engine.catalog.index[s.item_id]])
    assert results[0].score == pytest.approx(FusionWeights.prior * float(engine.prior.max()))


def test_nothing_matches(engine, space_vector):
    results, total = engine.retrieve(
        space_vector, "alien", common_pb2.Constraints(include_categories=["no-such-category"]), [], [], 10
    )
    assert results == [] and total == 0


def test_top_k_limits_results(engine, space_vector):
    results, total = engine.retrieve(space_vector, "", common_pb2.Constraints(domain="book"), [], [], 3)
    assert len(results) == 3
    assert total == 115
    assert all(s.item_id.startswith("bk-") for s in results)


def test_lexical_only_query(engine):
    results, _ = engine.retrieve(None, "wealth of nations", common_pb2.Constraints(), [], [], 5)
    assert results[0].item_id == "bk-the-wealth-of-nations"
    lexical = next(c for c in results[0].components if c.name == "lexical")
    assert lexical.value == pytest.approx(1.0)  # normalised by the best match
