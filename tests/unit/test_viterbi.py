"""The tagger's constrained decode: the best valid BIO sequence, not each token's own best tag."""

from __future__ import annotations

import numpy as np

from convrec_kit.models.understanding.labels import TAG_INDEX, TAGS
from convrec_kit.models.understanding.viterbi import best_tags


def _probs(rows: list[dict[str, float]]) -> np.ndarray:
    """Per token: the named tags' probabilities, the rest of the mass spread over the other tags."""
    out = np.zeros((len(rows), len(TAGS)))
    for i, row in enumerate(rows):
        rest = (1.0 - sum(row.values())) / (len(TAGS) - len(row))
        out[i] = rest
        for tag, p in row.items():
            out[i, TAG_INDEX[tag]] = p
    return out


def names(tags: list[int]) -> list[str]:
    return [TAGS[t] for t in tags]


def test_a_word_the_greedy_tags_cut_in_two_slots_stays_one_span():
    # "豆瓣高分": greedy would read B-category, I-rating, I-rating (two spans, one of them wrong)
    probs = _probs([{"B-category": 0.45, "B-rating": 0.40}, {"I-rating": 0.9}, {"I-rating": 0.9}])
    tags, scores = best_tags(probs, [True, True, True])
    assert names(tags) == ["B-rating", "I-rating", "I-rating"]
    assert scores[0] == probs[0, TAG_INDEX["B-rating"]]


def test_an_inside_tag_never_follows_outside_or_another_slot():
    rng = np.random.default_rng(0)
    for _ in range(200):
        probs = rng.dirichlet(np.ones(len(TAGS)), size=8)
        previous = "O"
        for tag in names(best_tags(probs, [True] * 8)[0]):
            if tag.startswith("I-"):
                assert previous != "O" and previous[2:] == tag[2:]
            previous = tag


def test_tokens_outside_the_utterance_are_outside_and_break_spans():
    probs = _probs([{"I-title": 0.9}, {"B-title": 0.9}, {"I-title": 0.9}, {"I-title": 0.9}, {"I-title": 0.9}])
    tags, _ = best_tags(probs, [False, True, True, False, True])
    assert names(tags)[0] == "O" and names(tags)[3] == "O"
    assert names(tags)[1:3] == ["B-title", "I-title"]
    assert names(tags)[4] != "I-title"


def test_a_confident_sequence_is_left_as_it_is():
    probs = _probs([{"O": 0.9}, {"B-person": 0.8}, {"I-person": 0.8}, {"O": 0.9}])
    assert names(best_tags(probs, [True] * 4)[0]) == ["O", "B-person", "I-person", "O"]
