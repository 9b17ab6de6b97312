"""The most probable valid BIO tag sequence of one utterance (an I- tag only after a B- or I- of its
slot), from the tagger's per-token probabilities, instead of each token's own best tag."""

from __future__ import annotations

import numpy as np

from .labels import TAGS

_PREFIX = [t.split("-", 1)[0] for t in TAGS]
_SLOT = [t.split("-", 1)[-1] for t in TAGS]
# _ALLOWED[i, j]: tag j may follow tag i
_ALLOWED = np.array([[b != "I" or (a != "O" and sa == sb) for b, sb in zip(_PREFIX, _SLOT, strict=True)]
                     for a, sa in zip(_PREFIX, _SLOT, strict=True)])
_STARTS = np.array([p != "I" for p in _PREFIX])


def best_tags(tag_probs: np.ndarray, tagged: list[bool]) -> tuple[list[int], list[float]]:
    """Tag ids and their probabilities for every token; tokens not `tagged` (special tokens, the
    context) get O and break the sequence."""
    tags = [0] * len(tagged)
    probs = [float(p) for p in tag_probs[:, 0]]
    start = 0
    while start < len(tagged):
        if not tagged[start]:
            start += 1
            continue
        end = start
        while end < len(tagged) and tagged[end]:
            end += 1
        for index, tag in enumerate(_decode(tag_probs[start:end]), start):
            tags[index], probs[index] = tag, float(tag_probs[index, tag])
        start = end
    return tags, probs


def _decode(probs: np.ndarray) -> list[int]:
    log = np.log(np.clip(probs, 1e-9, None))
    score = np.where(_STARTS, log[0], -np.inf)
    back = np.zeros((len(log), len(TAGS)), dtype=np.int64)
    for step in range(1, len(log)):
        candidates = np.where(_ALLOWED, score[:, None], -np.inf)
        back[step] = candidates.argmax(0)
        score = candidates.max(0) + log[step]
    path = [int(score.argmax())]
    for step in range(len(log) - 1, 0, -1):
        path.append(int(back[step, path[-1]]))
    return path[::-1]

