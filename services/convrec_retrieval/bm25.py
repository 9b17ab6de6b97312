"""Okapi BM25 over an inverted index."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np

from convrec_kit.text import tokenize


class BM25Index:
    def __init__(self, documents: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.size = len(documents)
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths = np.zeros(self.size, dtype=np.float32)
        for doc_id, text in enumerate(documents):
            counts = Counter(tokenize(text))
            lengths[doc_id] = sum(counts.values())
            for term, tf in counts.items():
                postings[term].append((doc_id, tf))
        avg = float(lengths.mean()) if self.size else 1.0
        self._norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))
        self._postings = {
            term: (
                np.array([d for d, _ in rows], dtype=np.int64),
                np.array([t for _, t in rows], dtype=np.float32),
            )
            for term, rows in postings.items()
        }
        self._idf = {
            term: math.log(1 + (self.size - len(rows) + 0.5) / (len(rows) + 0.5))
            for term, rows in postings.items()
        }

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the query (zeros where no term matches)."""
        out = np.zeros(self.size, dtype=np.float32)
        for term in set(tokenize(query)):
            if term not in self._postings:
                continue
            docs, tf = self._postings[term]
            out[docs] += self._idf[term] * tf * (self.k1 + 1) / (tf + self._norm[docs])
        return out
