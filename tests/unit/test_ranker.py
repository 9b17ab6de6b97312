"""convrec_ranking.ranker.Ranker: interest over time, categories, context, diversity."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from google.protobuf import timestamp_pb2

from convrec.common.v1 import common_pb2
from convrec_kit.feedback import event_interest as event_weight
from convrec_ranking.ranker import Ranker, RankWeights

FT = common_pb2.FeedbackType
# A Wednesday at noon UTC: no context rule applies to a desktop user.
NOW = dt.datetime(2025, 6, 11, 12, 0, tzinfo=dt.UTC)
W = RankWeights()


@pytest.fixture(scope="module")
def ranker(catalog_dir):
    return Ranker(catalog_dir)


def stamp(when: dt.datetime) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromDatetime(when)
    return t


def context(when: dt.datetime = NOW, device: str = "desktop") -> common_pb2.Context:
    return common_pb2.Context(timestamp=stamp(when), device=device)


def candidates(*item_ids: str, dense: float = 0.5) -> list[common_pb2.ScoredItem]:
    return [
        common_pb2.ScoredItem(
            item_id=i,
            score=1.0,
            components=[
                common_pb2.ScoreComponent(name="dense", value=dense, weight=0.45),
                common_pb2.ScoreComponent(name="prior", value=0.9, weight=0.15),
                common_pb2.ScoreComponent(name="history", value=0.9, weight=0.25, evidence="x"),
            ],
        )
        for i in item_ids
    ]


def event(item_id: str, kind, days_ago: float = 0.0, value: float = 0.0) -> common_pb2.FeedbackEvent:
    return common_pb2.FeedbackEvent(
        item_id=item_id, type=kind, value=value, timestamp=stamp(NOW - dt.timedelta(days=days_ago))
    )


def comp(item: common_pb2.ScoredItem, name: str) -> common_pb2.ScoreComponent | None:
    found = [c for c in item.components if c.name == name]
    assert len(found) <= 1
    return found[0] if found else None


def sim(ranker, a: str, b: str) -> float:
    e = ranker.embeddings
    return float(np.clip(e[ranker.catalog.index[a]] @ e[ranker.catalog.index[b]], 0, 1))


def assert_additive(items):
    for s in items:
        assert s.score == pytest.approx(sum(c.value * c.weight for c in s.components), abs=1e-6)


CANDS = ("mv-aliens-1986", "mv-the-notebook-2004", "mv-casablanca-1942", "mv-toy-story-2-1999")


def test_event_weight():
    assert event_weight(common_pb2.FeedbackEvent(type=FT.FEEDBACK_TYPE_LIKE)) == 1.0
    assert event_weight(common_pb2.FeedbackEvent(type=FT.FEEDBACK_TYPE_DISLIKE)) == -1.0
    assert event_weight(common_pb2.FeedbackEvent(type=FT.FEEDBACK_TYPE_CLICK)) == 0.3
    assert event_weight(common_pb2.FeedbackEvent(type=FT.FEEDBACK_TYPE_RATE, value=5)) == 1.0
    assert event_weight(common_pb2.FeedbackEvent(type=FT.FEEDBACK_TYPE_RATE, value=1)) == -1.0
    assert event_weight(common_pb2.FeedbackEvent(type=FT.FEEDBACK_TYPE_RATE, value=4)) == 0.5
    assert event_weight(common_pb2.FeedbackEvent(type=FT.FEEDBACK_TYPE_UNSPECIFIED)) == 0.0


def test_pass_through_components_and_no_history(ranker):
    out = ranker.rank(candidates("mv-aliens-1986"), [], context(), common_pb2.Constraints(), 5)
    [item] = out
    names = [c.name for c in item.components]
    assert names == ["dense", "popularity"]  # prior/history from retrieval are not kept
    pop = comp(item, "popularity")
    assert pop.value == pytest.approx(float(ranker.prior[ranker.catalog.index["mv-aliens-1986"]]))
    assert pop.weight == W.popularity
    assert pop.evidence == "rated 8.4"
    assert_additive(out)


def test_liked_item_raises_similar_items(ranker):
    base = ranker.rank(candidates(*CANDS), [], context(), common_pb2.Constraints(), 4)
    liked = ranker.rank(
        candidates(*CANDS),
        [event("mv-toy-story-1995", FT.FEEDBACK_TYPE_LIKE, 1)],
        context(),
        common_pb2.Constraints(),
        4,
    )
    assert [s.item_id for s in base][0] != "mv-toy-story-2-1999"
    assert liked[0].item_id == "mv-toy-story-2-1999"
    interest = comp(liked[0], "interest")
    assert interest.evidence == "mv-toy-story-1995"
    assert interest.weight == W.interest
    # a single event: the decay cancels out and the value is the similarity itself
    assert interest.value == pytest.approx(sim(ranker, "mv-toy-story-2-1999", "mv-toy-story-1995"), abs=1e-5)
    assert_additive(liked)


def test_recent_like_counts_more_than_old_like(ranker):
    near_alien, near_toy = "mv-aliens-1986", "mv-toy-story-2-1999"
    history = [
        event("mv-alien-1979", FT.FEEDBACK_TYPE_LIKE, days_ago=1),
        event("mv-toy-story-1995", FT.FEEDBACK_TYPE_LIKE, days_ago=90),
    ]
    out = ranker.rank(candidates(near_alien, near_toy), history, context(), common_pb2.Constraints(), 2)
    values = {s.item_id: comp(s, "interest").value for s in out}
    w_recent, w_old = 0.5 ** (1 / 30), 0.5 ** (90 / 30)
    for item_id in (near_alien, near_toy):
        expected = (
            sim(ranker, item_id, "mv-alien-1979") * w_recent + sim(ranker, item_id, "mv-toy-story-1995") * w_old
        ) / (w_recent + w_old)
        assert values[item_id] == pytest.approx(expected, abs=1e-5)
    assert values[near_alien] > values[near_toy]
    assert comp(out[0], "interest").evidence in ("mv-alien-1979", "mv-toy-story-1995")

    swapped = [
        event("mv-alien-1979", FT.FEEDBACK_TYPE_LIKE, days_ago=90),
        event("mv-toy-story-1995", FT.FEEDBACK_TYPE_LIKE, days_ago=1),
    ]
    out = ranker.rank(candidates(near_alien, near_toy), swapped, context(), common_pb2.Constraints(), 2)
    values = {s.item_id: comp(s, "interest").value for s in out}
    assert values[near_toy] > values[near_alien]
    assert out[0].item_id == near_toy


def test_half_life_is_thirty_days(ranker):
    # two likes; the one 30 days old weighs half the fresh one
    history = [
        event("mv-alien-1979", FT.FEEDBACK_TYPE_LIKE, days_ago=0),
        event("mv-toy-story-1995", FT.FEEDBACK_TYPE_LIKE, days_ago=30),
    ]
    [s] = ranker.rank(candidates("mv-casablanca-1942"), history, context(), common_pb2.Constraints(), 1)
    expected = (
        sim(ranker, "mv-casablanca-1942", "mv-alien-1979") * 1.0
        + sim(ranker, "mv-casablanca-1942", "mv-toy-story-1995") * 0.5
    ) / 1.5
    assert comp(s, "interest").value == pytest.approx(expected, abs=1e-5)


def test_disliked_similar_items_are_pushed_down(ranker):
    cands = ("mv-aliens-1986", "mv-the-notebook-2004")
    base = ranker.rank(candidates(*cands), [], context(), common_pb2.Constraints(), 2)
    assert base[0].item_id == "mv-aliens-1986"
    out = ranker.rank(
        candidates(*cands),
        [event("mv-alien-1979", FT.FEEDBACK_TYPE_DISLIKE, 1)],
        context(),
        common_pb2.Constraints(),
        2,
    )
    assert [s.item_id for s in out] == ["mv-the-notebook-2004", "mv-aliens-1986"]
    aliens = next(s for s in out if s.item_id == "mv-aliens-1986")
    interest = comp(aliens, "interest")
    assert interest.value == pytest.approx(-sim(ranker, "mv-aliens-1986", "mv-alien-1979"), abs=1e-5)
    assert interest.evidence == ""  # a negative contribution is not evidence of taste
    assert aliens.score < next(s for s in base if s.item_id == "mv-aliens-1986").score
    assert_additive(out)


def test_unknown_history_items_and_zero_weight_events_are_ignored(ranker):
    history = [event("no-such-item", FT.FEEDBACK_TYPE_LIKE), event("mv-alien-1979", FT.FEEDBACK_TYPE_UNSPECIFIED)]
    [s] = ranker.rank(candidates("mv-aliens-1986"), history, context(), common_pb2.Constraints(), 1)
    assert comp(s, "interest") is None


def test_diversity_component_from_the_second_item(ranker):
    out = ranker.rank(candidates(*CANDS), [], context(), common_pb2.Constraints(), 4)
    assert len(out) == 4
    assert comp(out[0], "diversity") is None
    earlier = [out[0].item_id]
    for s in out[1:]:
        d = comp(s, "diversity")
        assert d is not None
        assert d.weight == W.diversity
        assert d.value <= 0
        assert d.evidence in earlier
        e = ranker.embeddings
        best = max(float(e[ranker.catalog.index[s.item_id]] @ e[ranker.catalog.index[x]]) for x in earlier)
        assert d.value == pytest.approx(-max(0.0, best), abs=1e-5)
        earlier.append(s.item_id)
    assert_additive(out)


def test_diversity_demotes_a_near_duplicate(ranker):
    # Alien: Covenant has a better base score than The Notebook, but it is a near duplicate
    # of Aliens (cos 0.71 vs 0.43), so the greedy re-ranking picks The Notebook second.
    cands = (
        candidates("mv-aliens-1986", dense=1.0)
        + candidates("mv-alien-covenant-2017", dense=0.59)
        + candidates("mv-the-notebook-2004", dense=0.5)
    )
    out = ranker.rank(cands, [], context(), common_pb2.Constraints(), 3)
    base = {s.item_id: sum(c.value * c.weight for c in s.components if c.name != "diversity") for s in out}
    assert base["mv-alien-covenant-2017"] > base["mv-the-notebook-2004"]
    assert [s.item_id for s in out] == ["mv-aliens-1986", "mv-the-notebook-2004", "mv-alien-covenant-2017"]
    assert comp(out[1], "diversity").evidence == "mv-aliens-1986"
    assert comp(out[2], "diversity").evidence == "mv-aliens-1986"  # its closest earlier pick
    assert_additive(out)


def test_diversity_evidence_is_always_an_earlier_pick(ranker):
    # a book has a negative cosine to Alien, so its penalty is 0
    cands = (
        candidates("mv-alien-1979", dense=1.0)
        + candidates("bk-the-wealth-of-nations", dense=0.5)
        + candidates("mv-casablanca-1942", dense=0.0)
    )
    out = ranker.rank(cands, [], context(), common_pb2.Constraints(), 3)
    assert [s.item_id for s in out] == ["mv-alien-1979", "bk-the-wealth-of-nations", "mv-casablanca-1942"]
    d = comp(out[1], "diversity")
    assert d.value == 0.0
    assert d.evidence in ("", "mv-alien-1979")


def test_category_and_mood_component(ranker):
    cons = common_pb2.Constraints(include_categories=["comedy"], mood="funny")
    out = ranker.rank(candidates("mv-toy-story-2-1999", "mv-the-notebook-2004"), [], context(), cons, 2)
    assert out[0].item_id == "mv-toy-story-2-1999"
    cat = comp(out[0], "category")
    assert (cat.value, cat.weight, cat.evidence) == (1.0, W.category, "comedy")
    cat = comp(out[1], "category")
    assert (cat.value, cat.evidence) == (0.0, "")
    cons = common_pb2.Constraints(include_categories=["romance", "war"])
    [s] = ranker.rank(candidates("mv-the-notebook-2004"), [], context(), cons, 1)
    assert comp(s, "category").value == 0.5
    assert comp(s, "category").evidence == "romance"


def test_late_night_context(ranker):
    late = dt.datetime(2025, 6, 11, 23, 0, tzinfo=dt.UTC)  # a Wednesday
    out = ranker.rank(
        candidates("mv-toy-story-2-1999", "mv-the-godfather-1972", "mv-the-notebook-2004"),
        [],
        context(late),
        common_pb2.Constraints(),
        3,
    )
    by_id = {s.item_id: s for s in out}
    short = comp(by_id["mv-toy-story-2-1999"], "context")
    assert (short.value, short.weight) == (1.0, W.context)
    assert "short (92 min)" in short.evidence
    long = comp(by_id["mv-the-godfather-1972"], "context")
    assert long.value == -0.5 and "175 min" in long.evidence
    assert comp(by_id["mv-the-notebook-2004"], "context") is None
    assert_additive(out)


def test_weekend_family_context(ranker):
    saturday = dt.datetime(2025, 6, 14, 10, 0, tzinfo=dt.UTC)
    [s] = ranker.rank(candidates("mv-toy-story-2-1999"), [], context(saturday), common_pb2.Constraints(), 1)
    assert comp(s, "context").evidence == "a family pick for a weekend daytime"
    [s] = ranker.rank(candidates("mv-toy-story-2-1999"), [], context(), common_pb2.Constraints(), 1)
    assert comp(s, "context") is None


def test_top_k_and_unknown_candidates(ranker):
    cands = candidates(*CANDS) + candidates("no-such-item")
    out = ranker.rank(cands, [], context(), common_pb2.Constraints(), 2)
    assert len(out) == 2
    assert "no-such-item" not in [s.item_id for s in ranker.rank(cands, [], context(), common_pb2.Constraints(), 10)]
    assert len(ranker.rank(cands, [], context(), common_pb2.Constraints(), 10)) == 4
    assert ranker.rank([], [], context(), common_pb2.Constraints(), 10) == []


def test_every_score_is_the_sum_of_its_components(ranker):
    history = [
        event("mv-alien-1979", FT.FEEDBACK_TYPE_LIKE, 3),
        event("mv-the-notebook-2004", FT.FEEDBACK_TYPE_DISLIKE, 40),
        event("mv-up-2009", FT.FEEDBACK_TYPE_RATE, 10, value=4),
    ]
    cons = common_pb2.Constraints(include_categories=["comedy", "drama"], mood="sad")
    late = dt.datetime(2025, 6, 14, 23, 30, tzinfo=dt.UTC)
    ids = [i.item_id for i in ranker.catalog.items if i.item_id.startswith("mv-")][:40]
    out = ranker.rank(candidates(*ids), history, context(late, "mobile"), cons, 20)
    assert len(out) == 20
    assert_additive(out)
    assert len(set(s.item_id for s in out)) == 20


# Dense values chosen so that the second-best base blend is a near duplicate of the best.
DENSE = {
    "mv-aliens-1986": 1.0,
    "mv-alien-covenant-2017": 0.8,
    "mv-the-notebook-2004": 0.6,
    "mv-toy-story-2-1999": 0.5,
    "mv-casablanca-1942": 0.4,
}


def greedy_inputs(ranker):
    cands = [c for item_id, dense in DENSE.items() for c in candidates(item_id, dense=dense)]
    # no history, constraints or context rule: the blend is dense and popularity only
    base = {i: 0.45 * d + ranker.weights.popularity * float(ranker.prior[ranker.catalog.index[i]])
            for i, d in DENSE.items()}
    return cands, base


def test_without_diversity_the_order_is_the_base_blend(catalog_dir):
    ranker = Ranker(catalog_dir, RankWeights(diversity=0.0))
    cands, base = greedy_inputs(ranker)
    out = ranker.rank(cands, [], context(), common_pb2.Constraints(), len(DENSE))
    expected = sorted(base, key=lambda i: -base[i])
    assert expected[:2] == ["mv-aliens-1986", "mv-alien-covenant-2017"]
    assert [s.item_id for s in out] == expected
    for s in out:
        assert s.score == pytest.approx(base[s.item_id], abs=1e-6)
    assert_additive(out)


def test_each_pick_is_penalised_by_its_similarity_to_earlier_picks(catalog_dir):
    diversity = 0.5
    ranker = Ranker(catalog_dir, RankWeights(diversity=diversity))
    cands, base = greedy_inputs(ranker)
    out = ranker.rank(cands, [], context(), common_pb2.Constraints(), len(DENSE))
    picked = [s.item_id for s in out]
    # Alien: Covenant (second by base) is close to Aliens, so The Notebook comes second, and
    # Toy Story 2 third, being closer to The Notebook than to Aliens.
    assert picked == ["mv-aliens-1986", "mv-the-notebook-2004", "mv-toy-story-2-1999",
                      "mv-alien-covenant-2017", "mv-casablanca-1942"]
    assert out[0].score == pytest.approx(base["mv-aliens-1986"], abs=1e-6)
    second = sim(ranker, "mv-the-notebook-2004", "mv-aliens-1986")
    assert out[1].score == pytest.approx(base["mv-the-notebook-2004"] - diversity * second, abs=1e-6)
    for n, s in enumerate(out[1:], start=1):
        earlier = picked[:n]
        penalty = {i: max(sim(ranker, i, e) for e in earlier) for i in picked[n:]}
        expected = {i: base[i] - diversity * penalty[i] for i in penalty}
        assert s.item_id == max(expected, key=expected.get)
        assert s.score == pytest.approx(expected[s.item_id], abs=1e-6)
        d = comp(s, "diversity")
        assert (d.value, d.weight) == (pytest.approx(-penalty[s.item_id], abs=1e-6), diversity)
        assert d.evidence == max(earlier, key=lambda e: sim(ranker, s.item_id, e))
    assert comp(out[2], "diversity").evidence == "mv-the-notebook-2004"
    assert_additive(out)
