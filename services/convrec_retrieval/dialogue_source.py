"""The dialogue source: every item scored by the dialogue model's query for the dialogue so
far, with the evidence it matched (a mentioned item, or the turn closest to the item)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convrec_kit.models.dialogue.model import Query
from convrec_kit.vocabulary import quote


@dataclass(frozen=True)
class DialogueQuery:
    query: Query
    bias: np.ndarray  # per item: the model's popularity bias
    version: str  # the model that computed the query
    turns: list[str]  # the user's turns, oldest first
    turn_vectors: np.ndarray  # (len(turns), dim)
    mentioned: list[int]  # catalog positions of the items mentioned


@dataclass(frozen=True)
class DialogueScores:
    text: np.ndarray  # per item: what the turns gave
    items: np.ndarray  # per item: what the mentioned items gave
    total: np.ndarray  # text + items + popularity bias


def score(vectors: np.ndarray, q: DialogueQuery) -> DialogueScores:
    text, items = vectors @ q.query.text, vectors @ q.query.items
    return DialogueScores(text, items, text + items + q.bias)


def evidence(vectors: np.ndarray, scores: DialogueScores, q: DialogueQuery, pos: int, item_ids: list[str]) -> str:
    """The mentioned item most like the candidate when the items gave more than the turns,
    else the user's turn most like it, quoted."""
    if q.mentioned and scores.items[pos] >= scores.text[pos]:
        sims = vectors[q.mentioned] @ vectors[pos]
        return item_ids[q.mentioned[int(np.argmax(sims))]]
    if not q.turns:
        return ""
    return quote(q.turns[int(np.argmax(q.turn_vectors @ vectors[pos]))])
