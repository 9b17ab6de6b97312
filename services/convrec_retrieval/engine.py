"""Hybrid retrieval: candidates from dense, lexical, seed, history and prior sources,
filtered by the constraints, then scored on every source and fused."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from convrec.common.v1 import common_pb2
from convrec_kit import artifacts
from convrec_kit.catalog import Catalog, item_text

from .bm25 import BM25Index
from .filters import FilterIndex

faiss.cvar.distance_compute_blas_threshold = 16
KINDS = {"movie", "book", "product"}


@dataclass(frozen=True)
class FusionWeights:
    dense: float = 0.45
    lexical: float = 0.3
    seed: float = 0.8
    history: float = 0.25
    prior: float = 0.15


class RetrievalEngine:
    def __init__(self, catalog_dir: Path, weights: FusionWeights = FusionWeights()) -> None:
        self.catalog: Catalog = artifacts.load_catalog(catalog_dir)
        self.embeddings = np.load(
            artifacts.require(catalog_dir / artifacts.EMBEDDINGS_FILE, "item embeddings")
        )
        self.index = faiss.read_index(
            str(artifacts.require(catalog_dir / artifacts.DENSE_INDEX_FILE, "dense index"))
        )
        self.prior = np.load(artifacts.require(catalog_dir / artifacts.POPULARITY_FILE, "popularity"))
        if not (len(self.catalog) == self.embeddings.shape[0] == self.index.ntotal == len(self.prior)):
            raise ValueError(f"{catalog_dir}: artifacts disagree on the number of items; rebuild them")
        self.lexical = BM25Index([item_text(item) for item in self.catalog.items])
        self.filters = FilterIndex(self.catalog)
        self.weights = weights
        genres = sorted({c for item in self.catalog.items for c in item.categories} - KINDS)
        column = {g: i for i, g in enumerate(genres)}
        self._genres = np.zeros((len(self.catalog), max(1, len(genres))), dtype=np.float32)
        self._people_of: list[set[str]] = []
        self._people_index: dict[str, list[int]] = {}
        for pos, item in enumerate(self.catalog.items):
            for c in set(item.categories) - KINDS:
                self._genres[pos, column[c]] = 1.0
            people = _people(item)
            self._people_of.append(people)
            for person in people:
                self._people_index.setdefault(person, []).append(pos)

    def _dense_top(self, vectors: np.ndarray, allowed: np.ndarray, k: int) -> set[int]:
        positions = np.flatnonzero(allowed)
        if len(positions) == 0 or len(vectors) == 0:
            return set()
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(positions.astype(np.int64)))
        _, ids = self.index.search(vectors.astype(np.float32), min(k, len(positions)), params=params)
        return {int(i) for i in ids.ravel() if i >= 0}

    def seed_similarity(self, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Per item: best similarity to a seed (embedding cosine blended with shared
        categories and people), and which seed gave it."""
        sims = np.clip(self.embeddings @ self.embeddings[seeds].T, 0, 1)
        seed_cats = self._genres[seeds]
        inter = self._genres @ seed_cats.T
        union = self._genres.sum(1, keepdims=True) + seed_cats.sum(1)[None, :] - inter
        jaccard = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        shared = np.zeros_like(sims)
        for col, seed in enumerate(seeds):
            for person in self._people_of[seed]:
                shared[self._people_index[person], col] = 1.0
        blended = 0.6 * sims + 0.4 * (0.7 * jaccard + 0.3 * shared)
        best = blended.argmax(axis=1)
        return blended[np.arange(len(blended)), best], np.asarray(seeds)[best]

    def retrieve(
        self,
        query_vector: np.ndarray | None,
        lexical_query: str,
        constraints: common_pb2.Constraints,
        exclude_ids: list[str],
        history_ids: list[str],
        top_k: int,
    ) -> tuple[list[common_pb2.ScoredItem], int]:
        seeds = self.catalog.positions(constraints.seed_item_ids)
        history = self.catalog.positions(history_ids)
        allowed = self.filters.mask(constraints, [*exclude_ids, *constraints.seed_item_ids])
        total = int(allowed.sum())
        if total == 0:
            return [], 0
        pool = max(top_k * 3, 50)
        candidates: set[int] = set()
        dense = np.zeros(len(self.catalog), dtype=np.float32)
        if query_vector is not None:
            dense = np.clip(self.embeddings @ query_vector, 0, 1)
            candidates |= self._dense_top(query_vector[None, :], allowed, pool)
        lexical = self.lexical.scores(lexical_query) if lexical_query.strip() else np.zeros_like(dense)
        if lexical.max() > 0:
            lexical = lexical / lexical.max()
            candidates |= _top(lexical, allowed, pool)
        seed_score = np.zeros_like(dense)
        seed_source = np.full(len(dense), -1)
        if seeds:
            seed_score, seed_source = self.seed_similarity(seeds)
            candidates |= _top(seed_score, allowed, pool)
        history_score = np.zeros_like(dense)
        history_source = np.full(len(dense), -1)
        if history:
            sims = np.clip(self.embeddings @ self.embeddings[history].T, 0, 1)
            best = sims.argmax(axis=1)
            history_score = sims[np.arange(len(sims)), best]
            history_source = np.asarray(history)[best]
            candidates |= self._dense_top(self.embeddings[history], allowed, max(10, pool // len(history)))
        candidates |= _top(self.prior, allowed, pool)
        candidates = {c for c in candidates if allowed[c]}

        w = self.weights
        scored = []
        for pos in candidates:
            components = []
            if query_vector is not None:
                components.append(
                    common_pb2.ScoreComponent(name="dense", value=float(dense[pos]), weight=w.dense)
                )
            if lexical_query.strip():
                components.append(
                    common_pb2.ScoreComponent(name="lexical", value=float(lexical[pos]), weight=w.lexical)
                )
            if seeds:
                components.append(
                    common_pb2.ScoreComponent(
                        name="seed",
                        value=float(seed_score[pos]),
                        weight=w.seed,
                        evidence=self.catalog.items[int(seed_source[pos])].item_id,
                    )
                )
            if history:
                components.append(
                    common_pb2.ScoreComponent(
                        name="history",
                        value=float(history_score[pos]),
                        weight=w.history,
                        evidence=self.catalog.items[int(history_source[pos])].item_id,
                    )
                )
            components.append(
                common_pb2.ScoreComponent(name="prior", value=float(self.prior[pos]), weight=w.prior)
            )
            score = sum(c.value * c.weight for c in components)
            scored.append(
                common_pb2.ScoredItem(
                    item_id=self.catalog.items[pos].item_id, score=score, components=components
                )
            )
        scored.sort(key=lambda s: (-s.score, s.item_id))
        return scored[:top_k], total


def _top(scores: np.ndarray, allowed: np.ndarray, k: int) -> set[int]:
    """Positions of the k best allowed items with a positive score."""
    masked = np.where(allowed, scores, -1.0)
    best = np.argsort(-masked)[:k]
    return {int(p) for p in best if masked[p] > 0}


def _people(item: common_pb2.Item) -> set[str]:
    names = set()
    for key in ("director", "cast", "author"):
        names.update(n.strip() for n in item.attributes.get(key, "").split(",") if n.strip())
    return names
