"""The offline evaluations' parts: metrics, splits, baselines and the replayed request."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from convrec.common.v1 import common_pb2
from convrec_data import movielens as ml
from convrec_data import redial as rd
from convrec_eval import metrics
from convrec_eval.baselines import ALS, ALSParams, ItemKNN
from convrec_eval.movielens import leave_last_out, time_split
from convrec_eval.redial import GenrePopularity, Popularity, converse_request, split_dialogues

from .data_fixtures import REDIAL_DIALOGUES, write_redial


def test_metrics_from_ranks():
    ranks = [1, 3, None, 60]
    assert metrics.recall(ranks, 1) == 0.25 and metrics.recall(ranks, 10) == 0.5 and metrics.recall(ranks, 50) == 0.5
    assert metrics.ndcg(ranks, 10) == pytest.approx((1 + 1 / math.log2(4)) / 4)
    assert metrics.mrr(ranks, 50) == pytest.approx((1 + 1 / 3) / 4)
    assert metrics.rank_of("b", ["a", "b"]) == 2 and metrics.rank_of("z", ["a"]) is None
    assert set(metrics.summary(ranks)) == {"R@1", "R@10", "R@50", "NDCG@10", "NDCG@50", "MRR@50"}


def test_recall_difference_with_a_bootstrap_interval():
    same = [1, None, 30, 2]
    assert metrics.recall_difference(same, same, 10) == (0.0, 0.0, 0.0)
    better = [1] * 80 + [None] * 20
    worse = [1] * 40 + [None] * 60
    diff, low, high = metrics.recall_difference(better, worse, 10)
    assert diff == pytest.approx(0.4) and 0 < low < diff < high < 1
    # Grouped: two groups only, so the interval is far wider than per target.
    groups = ["a"] * 50 + ["b"] * 50
    _, g_low, g_high = metrics.recall_difference(better, worse, 10, groups)
    assert g_high - g_low > high - low
    assert metrics.recall_difference(better, worse, 10, seed=3) != metrics.recall_difference(better, worse, 10, seed=4)
    with pytest.raises(ValueError):
        metrics.recall_difference([1], [1, 2], 10)
    line = metrics.format_difference("popularity", {"R@10": [0.04, 0.01, 0.07]})
    assert line == "convrec minus popularity: R@10 +0.040 (95% CI +0.010 to +0.070)"


def test_dialogue_split_is_fixed_by_the_seed(tmp_path):
    movies = rd.load_movies(write_redial(tmp_path) / "movies.csv")
    dialogues = [rd.parse_dialogue({**REDIAL_DIALOGUES[0], "conversationId": str(i)}, movies, "t") for i in range(10)]
    a, b = split_dialogues(dialogues, 42, 0.2), split_dialogues(dialogues, 42, 0.2)
    assert [d.dialogue_id for d in a.test] == [d.dialogue_id for d in b.test] and len(a.test) == 2
    assert {d.dialogue_id for d in a.train} | {d.dialogue_id for d in a.test} == {str(i) for i in range(10)}
    assert not {d.dialogue_id for d in a.train} & {d.dialogue_id for d in a.test}
    assert [d.dialogue_id for d in split_dialogues(dialogues, 7, 0.2).test] != [d.dialogue_id for d in a.test]


def test_popularity_baselines(tmp_path):
    movies = rd.load_movies(write_redial(tmp_path) / "movies.csv")
    case = rd.eval_cases(rd.parse_dialogue(REDIAL_DIALOGUES[0], movies, "t"))[0]
    counts = Counter({"105": 5, "100": 3, "101": 1})
    assert Popularity(list(movies), counts).rank(case, 3) == ["105", "100", "101"]
    genres = {"100": {"horror"}, "101": {"horror"}, "105": {"action"}}
    # The seeker asked for a horror movie: horror first, by popularity, then the rest.
    assert GenrePopularity.asked(case) == {"horror"}
    assert GenrePopularity(list(movies), counts, genres).rank(case, 3) == ["100", "101", "105"]


def test_replayed_request_carries_the_context_as_history(tmp_path):
    movies = rd.load_movies(write_redial(tmp_path) / "movies.csv")
    case = rd.eval_cases(rd.parse_dialogue(REDIAL_DIALOGUES[0], movies, "t"))[1]
    request = converse_request(case)
    roles = [t.role for t in request.history]
    assert roles == [common_pb2.Turn.ROLE_ASSISTANT, common_pb2.Turn.ROLE_USER, common_pb2.Turn.ROLE_ASSISTANT]
    assert request.utterance == "I did not like The Shining (1980)" and request.page_size == 50
    assert request.context.HasField("timestamp")


def test_leave_last_out_by_timestamp():
    ratings = [ml.Rating("1", m, 4.0, t) for m, t in (("10", 3), ("11", 1), ("12", 2), ("13", 4))]
    ratings.append(ml.Rating("2", "10", 4.0, 1))  # one rating: not evaluated
    split = leave_last_out(ratings)
    assert split.test["1"].movie_id == "13" and [r.movie_id for r in split.train["1"]] == ["11", "12", "10"]
    assert "2" not in split.test
    dev = leave_last_out(ratings, dev=True)
    assert dev.test["1"].movie_id == "10" and [r.movie_id for r in dev.train["1"]] == ["11", "12"]


def test_leave_last_out_breaks_timestamp_ties_by_a_seeded_shuffle():
    ratings = [ml.Rating(str(u), str(m), 4.0, 100) for u in range(1, 41) for m in range(1, 6)]
    held_out = [s.movie_id for s in leave_last_out(ratings).test.values()]
    assert held_out == [s.movie_id for s in leave_last_out(list(reversed(ratings))).test.values()]
    assert len(set(held_out)) > 1  # not always the highest id of the burst
    assert held_out != [s.movie_id for s in leave_last_out(ratings, seed=1).test.values()]


def test_item_knn_scores_by_cosine_neighbours():
    matrix = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 1]], dtype=np.float32)
    knn = ItemKNN(matrix, neighbours=2)
    assert knn.top([0], {0}, 1) == [1]
    assert knn.top([2], {2}, 1) == [3]


def test_als_ranks_what_similar_users_have_and_is_seeded():
    blocks = np.zeros((40, 20), dtype=np.float32)
    blocks[:20, :10] = blocks[20:, 10:] = 1.0
    blocks[0, 3] = 0.0  # user 0 has all of the first group but item 3
    params = ALSParams(factors=4, regularization=0.1, alpha=10.0, iterations=10)
    als = ALS(blocks, params)
    seen = {int(i) for i in np.flatnonzero(blocks[0])}
    assert als.top(0, seen, 1) == [3]
    assert np.array_equal(als.items, ALS(blocks, params).items)


def test_time_split_trains_before_the_cutoff_and_tests_each_later_users_last_rating():
    import datetime as dt

    cut = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    t = cut.timestamp()
    ratings = [ml.Rating("1", "10", 4.0, int(t - 5)), ml.Rating("1", "11", 4.0, int(t + 9)),
               ml.Rating("1", "12", 4.0, int(t + 3)), ml.Rating("2", "10", 4.0, int(t + 1)),
               ml.Rating("2", "14", 4.0, int(t + 2)), ml.Rating("3", "13", 4.0, int(t - 1)),
               ml.Rating("3", "10", 4.0, int(t - 2)), ml.Rating("4", "12", 4.0, int(t + 4))]
    split = time_split(ratings, cut)
    assert set(split.train) == {"1", "3"} and [r.movie_id for r in split.train["1"]] == ["10"]
    # 1 came back, 2 came after the cut-off; 3 ended before it, 4 has a single rating
    assert {u: r.movie_id for u, r in split.test.items()} == {"1": "11", "2": "14"}
    assert [r.movie_id for r in split.history_of("1")] == ["10", "12"]  # "12" is history, never trained on
    assert [r.movie_id for r in split.history_of("2")] == ["10"]


def test_als_folds_in_a_history_it_was_not_trained_on():
    blocks = np.zeros((40, 20), dtype=np.float32)
    blocks[:20, :10] = blocks[20:, 10:] = 1.0
    als = ALS(blocks, ALSParams(factors=4, regularization=0.1, alpha=10.0, iterations=10))
    history = [11, 12, 13, 14]
    assert als.top_for(history, set(history), 3)[0] in range(10, 20)
    assert set(als.top_for([1, 2, 3], {1, 2, 3}, 3)) <= set(range(10))


def test_ndcg_difference_is_paired():
    better, worse = [1] * 30 + [None] * 10, [None] * 40
    diff, low, high = metrics.ndcg_difference(better, worse, 10)
    assert diff == pytest.approx(0.75) and low > 0 and high <= 1
    assert metrics.ndcg_difference(better, better, 10) == (0.0, 0.0, 0.0)
