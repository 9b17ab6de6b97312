"""convrec_retrieval.bm25.BM25Index."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convrec_retrieval.bm25 import BM25Index

DOCS = [
    "the cat sat on the mat",  # cat, sat, mat
    "dogs and cats",  # dog, cat
    "a story about space travel and aliens",  # story, space, travel, alien
    "cat cat cat cat cat cat cat cat cat",  # 9 x cat
    "",
]


@pytest.fixture(scope="module")
def index():
    return BM25Index(DOCS)


def test_scores_shape_and_dtype(index):
    scores = index.scores("cat")
    assert scores.shape == (len(DOCS),)
    assert scores.dtype == np.float32


def test_matches_the_okapi_formula(index):
    k1, b = 1.2, 0.75
    lengths = np.array([3, 2, 4, 9, 0], dtype=np.float64)
    avg = lengths.mean()
    n, df = 5, 3
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    expected = []
    for tf, length in zip([1, 1, 0, 9, 0], lengths):
        expected.append(idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg)) if tf else 0.0)
    np.testing.assert_allclose(index.scores("cat"), expected, rtol=1e-5)


def test_plural_query_matches_singular_document(index):
    assert np.array_equal(index.scores("cats"), index.scores("cat"))


def test_term_frequency_saturates_and_ranks(index):
    scores = index.scores("cat")
    assert scores[3] > scores[1] > 0
    assert scores[3] < 2.2 * scores[1]  # 9x the term is far from 9x the score
    assert scores[2] == 0 and scores[4] == 0


def test_rare_term_scores_only_its_document(index):
    scores = index.scores("space aliens")
    assert np.flatnonzero(scores).tolist() == [2]


def test_repeated_query_terms_count_once(index):
    assert np.array_equal(index.scores("space space space"), index.scores("space"))


def test_unknown_and_empty_query_score_zero(index):
    assert not index.scores("zebra").any()
    assert not index.scores("").any()
    assert not index.scores("the and of").any()  # stopwords only


def test_empty_index():
    assert BM25Index([]).scores("anything").shape == (0,)


def test_chinese_terms():
    index = BM25Index(["科幻电影 太空", "爱情电影", "经济学入门"])
    scores = index.scores("科幻")
    assert scores[0] > 0 and scores[1] == 0 and scores[2] == 0
