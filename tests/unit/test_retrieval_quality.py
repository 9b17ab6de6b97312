"""The labeled query set is valid for the demo catalog, and its metrics are right."""

from __future__ import annotations

from convrec_eval.retrieval_quality import load_queries, scores


def test_query_set_is_valid(catalog):
    queries = load_queries()
    assert sum(q["lang"] == "en" for q in queries) >= 40 and sum(q["lang"] == "zh" for q in queries) >= 40
    for query in queries:
        assert query["query"].strip() and 1 <= len(query["relevant"]) <= 8
        assert all(catalog.get(i) is not None for i in query["relevant"]), query


def test_recall_and_reciprocal_rank():
    ranked = [f"i{n}" for n in range(20)]
    assert scores(ranked, {"i0"}) == (1.0, 1.0)
    assert scores(ranked, {"i2", "i15"}) == (0.5, 1 / 3)
    assert scores(ranked, {"x"}) == (0.0, 0.0)
