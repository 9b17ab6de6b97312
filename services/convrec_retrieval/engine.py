"""Hybrid retrieval: candidates from dense, lexical, seed, discussed, history, co-occurrence
and prior sources, filtered by the constraints, then scored on every source and fused."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from convrec.common.v1 import common_pb2
from convrec_kit import artifacts
from convrec_kit.catalog import Catalog
from convrec_kit.vocabulary import Component as K

from . import dialogue_source
from .bm25 import BM25Index
from .filters import FilterIndex
from .multilingual_index import load_e5_embeddings

faiss.cvar.distance_compute_blas_threshold = 16
# Which encoder's space a dense score comes from, as shown in its evidence.
DENSE_MODELS = {"minilm": "all-MiniLM-L6-v2", "e5": "multilingual-e5-small"}


@dataclass(frozen=True)
class FusionWeights:
    dense: float = 0.45
    lexical: float = 0.3
    seed: float = 0.8
    # Items that came up earlier in the dialogue, as weaker seeds.
    discussed: float = 0.4
    history: float = 0.25
    prior: float = 0.15
    # Items that co-occur with the seeds and liked items (a catalog built with --co-occurrence).
    co_occurrence: float = 0.5
    # In the co-occurrence source, an item's say halves with every this many later items.
    co_occurrence_half_life: float = 3.0
    # The dialogue model's score (a catalog with a trained dialogue model): its value is the
    # item's probability relative to the best item's, to the power 1 / temperature.
    dialogue: float = 0.5
    dialogue_temperature: float = 1.0


class RetrievalEngine:
    def __init__(self, catalog_dir: Path, weights: FusionWeights | None = None) -> None:
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
        self.lexical = BM25Index([self.catalog.text(item) for item in self.catalog.items])
        self.filters = FilterIndex(self.catalog)
        self.weights = weights or artifacts.tuned_weights(catalog_dir, "retrieval", FusionWeights())
        self.co_occurrence = CoOccurrence.load(catalog_dir / artifacts.CO_OCCURRENCE_FILE, len(self.catalog))
        self.embeddings_e5 = load_e5_embeddings(catalog_dir, len(self.catalog))
        self.index_e5 = None
        if self.embeddings_e5 is not None:
            self.index_e5 = faiss.IndexFlatIP(self.embeddings_e5.shape[1])
            self.index_e5.add(self.embeddings_e5)
        self._ids = [item.item_id for item in self.catalog.items]
        kinds = self.catalog.kinds
        genres = sorted({c for item in self.catalog.items for c in item.categories} - kinds)
        column = {g: i for i, g in enumerate(genres)}
        self._genres = np.zeros((len(self.catalog), max(1, len(genres))), dtype=np.float32)
        self._people_of: list[set[str]] = []
        self._people_index: dict[str, list[int]] = {}
        for pos, item in enumerate(self.catalog.items):
            for c in set(item.categories) - kinds:
                self._genres[pos, column[c]] = 1.0
            people = _people(item, self.catalog.name_fields)
            self._people_of.append(people)
            for person in people:
                self._people_index.setdefault(person, []).append(pos)

    @property
    def multilingual(self) -> bool:
        return self.index_e5 is not None

    def _dense_top(self, vectors: np.ndarray, allowed: np.ndarray, k: int, index=None) -> set[int]:
        positions = np.flatnonzero(allowed)
        if len(positions) == 0 or len(vectors) == 0:
            return set()
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(positions.astype(np.int64)))
        index = index if index is not None else self.index
        _, ids = index.search(vectors.astype(np.float32), min(k, len(positions)), params=params)
        return {int(i) for i in ids.ravel() if i >= 0}

    def seed_similarity(self, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Per item: best similarity to one of the given items (embedding cosine blended
        with shared categories and people), and which of them gave it."""
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
        space: str = "minilm",
        context_ids: list[str] = (),
        dialogue: dialogue_source.DialogueQuery | None = None,
    ) -> tuple[list[common_pb2.ScoredItem], int]:
        seeds = self.catalog.positions(constraints.seed_item_ids)
        history = self.catalog.positions(history_ids)
        discussed = [p for p in self.catalog.positions(context_ids) if p not in seeds]
        allowed = self.filters.mask(constraints, [*exclude_ids, *constraints.seed_item_ids])
        total = int(allowed.sum())
        if total == 0:
            return [], 0
        pool = max(top_k * 3, 50)
        candidates: set[int] = set()
        dense = np.zeros(len(self.catalog), dtype=np.float32)
        if query_vector is not None:
            # "e5": the query was encoded by multilingual-e5-small; items use their e5 passages.
            embeddings, index = (self.embeddings_e5, self.index_e5) if space == "e5" else (self.embeddings, self.index)
            dense = np.clip(embeddings @ query_vector, 0, 1)
            candidates |= self._dense_top(query_vector[None, :], allowed, pool, index)
        lexical = self.lexical.scores(lexical_query) if lexical_query.strip() else np.zeros_like(dense)
        if lexical.max() > 0:
            lexical = lexical / lexical.max()
            candidates |= _top(lexical, allowed, pool)
        similar = {}  # component -> (per-item similarity, the source item that gave it)
        for name, sources in ((K.SEED, seeds), (K.DISCUSSED, discussed), (K.HISTORY, history)):
            if sources:
                similar[name] = self.seed_similarity(sources)
                candidates |= _top(similar[name][0], allowed, max(10, pool // (1 + (name != K.SEED))))
        related = None
        if self.co_occurrence is not None and (seeds or discussed or history):
            # Oldest first: the liked items, the dialogue's items, then the seeds named now.
            sources = list(reversed(dict.fromkeys(reversed([*history, *discussed, *seeds]))))
            related = self.co_occurrence.scores(sources, self.weights.co_occurrence_half_life)
            candidates |= _top(related[0], allowed, pool)
        talk = None
        if dialogue is not None and self.embeddings_e5 is not None:
            talk = dialogue_source.score(self.embeddings_e5, dialogue)
            best = np.max(np.where(allowed, talk.total, -np.inf))
            talk_value = np.exp(np.minimum(0.0, talk.total - best) / self.weights.dialogue_temperature)
            candidates |= _top(talk_value, allowed, pool)
        candidates |= _top(self.prior, allowed, pool)
        candidates = {c for c in candidates if allowed[c]}

        w = self.weights
        scored = []
        for pos in candidates:
            components = []
            if query_vector is not None:
                components.append(
                    common_pb2.ScoreComponent(
                        name=K.DENSE, value=float(dense[pos]), weight=w.dense, evidence=DENSE_MODELS[space]
                    )
                )
            if lexical_query.strip():
                components.append(
                    common_pb2.ScoreComponent(name=K.LEXICAL, value=float(lexical[pos]), weight=w.lexical)
                )
            for name, (score, source) in similar.items():
                components.append(
                    common_pb2.ScoreComponent(
                        name=name,
                        value=float(score[pos]),
                        weight=getattr(w, name),
                        evidence=self.catalog.items[int(source[pos])].item_id,
                    )
                )
            if related is not None:
                source = int(related[1][pos])
                components.append(
                    common_pb2.ScoreComponent(
                        name=K.CO_OCCURRENCE,
                        value=float(related[0][pos]),
                        weight=w.co_occurrence,
                        evidence=self.catalog.items[source].item_id if source >= 0 else "",
                    )
                )
            if talk is not None:
                components.append(
                    common_pb2.ScoreComponent(
                        name=K.DIALOGUE,
                        value=float(talk_value[pos]),
                        weight=w.dialogue,
                        evidence=dialogue_source.evidence(self.embeddings_e5, talk, dialogue, pos, self._ids),
                        source=dialogue.version,
                    )
                )
            components.append(
                common_pb2.ScoreComponent(name=K.PRIOR, value=float(self.prior[pos]), weight=w.prior)
            )
            score = sum(c.value * c.weight for c in components)
            scored.append(
                common_pb2.ScoredItem(
                    item_id=self.catalog.items[pos].item_id, score=score, components=components
                )
            )
        scored.sort(key=lambda s: (-s.score, s.item_id))
        return scored[:top_k], total


class CoOccurrence:
    """Item-to-item co-occurrence (e.g. movies mentioned in one dialogue, rated by one user):
    each item's strongest neighbours with their counts."""

    def __init__(self, neighbours: np.ndarray, counts: np.ndarray, size: int) -> None:
        if neighbours.shape != counts.shape or neighbours.shape[0] != size:
            raise ValueError("co-occurrence artifacts disagree with the catalog; rebuild them")
        self.neighbours = neighbours
        # Per row, the strongest neighbour scores 1.
        self.strength = counts / np.maximum(counts[:, :1], 1e-9)
        self.size = size

    @classmethod
    def load(cls, path: Path, size: int) -> CoOccurrence | None:
        if not path.exists():
            return None
        with np.load(path) as data:
            return cls(data["neighbours"], data["counts"], size)

    def scores(self, sources: list[int], half_life: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Per item: its strength averaged over the sources (0-1), recent sources (the end of
        the list) weighing more when half_life > 0, and the source that gave the most."""
        total = np.zeros(self.size, dtype=np.float32)
        best = np.zeros(self.size, dtype=np.float32)
        evidence = np.full(self.size, -1)
        weight_sum = 0.0
        for age, source in enumerate(reversed(sources)):
            weight = 0.5 ** (age / half_life) if half_life > 0 else 1.0
            weight_sum += weight
            row = self.neighbours[source]
            valid = row >= 0
            items, strength = row[valid], self.strength[source][valid]
            total[items] += weight * strength
            stronger = weight * strength > best[items]
            best[items[stronger]] = weight * strength[stronger]
            evidence[items[stronger]] = source
        return total / max(weight_sum, 1e-9), evidence


def _top(scores: np.ndarray, allowed: np.ndarray, k: int) -> set[int]:
    """Positions of the k best allowed items with a positive score."""
    masked = np.where(allowed, scores, -1.0)
    best = np.argsort(-masked)[:k]
    return {int(p) for p in best if masked[p] > 0}


def _people(item: common_pb2.Item, fields: tuple[str, ...]) -> set[str]:
    names = set()
    for key in fields:
        names.update(n.strip() for n in item.attributes.get(key, "").split(",") if n.strip())
    return names
