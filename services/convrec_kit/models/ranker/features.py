"""The learned ranker's features: one column per score component, NaN where an item has none."""

from __future__ import annotations

import numpy as np

from convrec_kit.vocabulary import Component as K

# Every component an item can carry into ranking's blend, in column order. Diversity is
# left out: it is applied after ranking, to whatever ranked the items.
FEATURES: tuple[str, ...] = (
    K.DENSE, K.LEXICAL, K.SEED, K.DISCUSSED, K.CO_OCCURRENCE, K.DIALOGUE,
    K.INTEREST, K.TIMING, K.CATEGORY, K.POPULARITY, K.CONTEXT,
)


def matrix(rows, features: tuple[str, ...] = FEATURES) -> np.ndarray:
    """`rows`: per item, its (name, value) components; a name twice adds up."""
    column = {name: j for j, name in enumerate(features)}
    out = np.full((len(rows), len(features)), np.nan, dtype=np.float64)
    for i, parts in enumerate(rows):
        for name, value in parts:
            j = column.get(name)
            if j is not None:
                out[i, j] = value if np.isnan(out[i, j]) else out[i, j] + value
    return out
