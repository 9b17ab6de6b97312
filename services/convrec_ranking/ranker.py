"""Blends the retrieval components with the user's interest over time, the request's
categories, the context, popularity and diversity; every part is returned."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convrec.common.v1 import common_pb2
from convrec_kit import artifacts
from convrec_kit.catalog import Catalog
from convrec_kit.feedback import event_interest
from convrec_kit.vocabulary import MOOD_CATEGORIES, PASS_THROUGH
from convrec_kit.vocabulary import Component as K


@dataclass(frozen=True)
class RankWeights:
    interest: float = 0.5
    category: float = 0.2
    popularity: float = 0.2
    context: float = 0.08
    diversity: float = 0.1
    half_life_days: float = 30.0


class Ranker:
    def __init__(self, catalog_dir: Path, weights: RankWeights | None = None) -> None:
        self.catalog: Catalog = artifacts.load_catalog(catalog_dir)
        self.embeddings = np.load(
            artifacts.require(catalog_dir / artifacts.EMBEDDINGS_FILE, "item embeddings")
        )
        self.prior = np.load(artifacts.require(catalog_dir / artifacts.POPULARITY_FILE, "popularity"))
        self.weights = weights or artifacts.tuned_weights(catalog_dir, "ranking", RankWeights())

    def _interest(self, positions: list[int], history, now: dt.datetime):
        """Recency-weighted similarity to what the user liked minus what they disliked."""
        events = []
        for event in history:
            pos = self.catalog.index.get(event.item_id)
            weight = event_interest(event)
            if pos is None or weight == 0:
                continue
            when = event.timestamp.ToDatetime(dt.UTC) if event.HasField("timestamp") else now
            age_days = max(0.0, (now - when).total_seconds() / 86400)
            decay = 0.5 ** (age_days / self.weights.half_life_days)
            events.append((pos, weight * decay, event.item_id))
        if not events or not positions:
            return None
        event_pos = [p for p, _, _ in events]
        w = np.array([x for _, x, _ in events], dtype=np.float32)
        sims = np.clip(self.embeddings[positions] @ self.embeddings[event_pos].T, 0, 1)
        contributions = sims * w[None, :]
        values = contributions.sum(axis=1) / max(1e-6, float(np.abs(w).sum()))
        strongest = contributions.argmax(axis=1)
        evidence = [events[j][2] if contributions[i, j] > 0 else "" for i, j in enumerate(strongest)]
        return values, evidence

    def _context(self, item: common_pb2.Item, context: common_pb2.Context, now: dt.datetime):
        hour = now.hour
        weekend = now.weekday() >= 5
        runtime = item.numeric.get("runtime")
        device = context.device.lower()
        if "movie" in item.categories and runtime:
            if (hour >= 22 or hour < 5) or device in ("mobile", "phone"):
                if runtime <= 105:
                    return 1.0, f"short ({int(runtime)} min) for a late-night or on-the-go watch"
                if runtime >= 150:
                    return -0.5, f"long ({int(runtime)} min) for a late-night or on-the-go watch"
            if weekend and 8 <= hour < 19 and {"family", "animation"} & set(item.categories):
                return 1.0, "a family pick for a weekend daytime"
            if weekend and hour >= 18 and runtime >= 140 and device in ("tv", ""):
                return 0.5, f"a long ({int(runtime)} min) film for a weekend evening"
        return 0.0, ""

    def rank(
        self,
        candidates,
        history,
        context: common_pb2.Context,
        constraints: common_pb2.Constraints,
        top_k: int,
    ) -> list[common_pb2.ScoredItem]:
        w = self.weights
        now = (
            context.timestamp.ToDatetime(dt.UTC) if context.HasField("timestamp") else dt.datetime.now(dt.UTC)
        )
        known = [c for c in candidates if c.item_id in self.catalog.index]
        positions = [self.catalog.index[c.item_id] for c in known]
        interest = self._interest(positions, history, now)
        wanted = set(constraints.include_categories) | MOOD_CATEGORIES.get(constraints.mood, set())
        rows = []
        for row, (cand, pos) in enumerate(zip(known, positions)):
            item = self.catalog.items[pos]
            parts = [c for c in cand.components if c.name in PASS_THROUGH]
            if interest is not None:
                parts.append(
                    common_pb2.ScoreComponent(
                        name=K.INTEREST,
                        value=float(interest[0][row]),
                        weight=w.interest,
                        evidence=interest[1][row],
                    )
                )
            if wanted:
                matched = sorted(wanted & set(item.categories))
                parts.append(
                    common_pb2.ScoreComponent(
                        name=K.CATEGORY,
                        value=len(matched) / len(wanted),
                        weight=w.category,
                        evidence=", ".join(matched),
                    )
                )
            rating = item.numeric.get("rating")
            parts.append(
                common_pb2.ScoreComponent(
                    name=K.POPULARITY,
                    value=float(self.prior[pos]),
                    weight=w.popularity,
                    evidence=f"rated {rating:g}" if rating else "",
                )
            )
            value, why = self._context(item, context, now)
            if value:
                parts.append(
                    common_pb2.ScoreComponent(name=K.CONTEXT, value=value, weight=w.context, evidence=why)
                )
            rows.append((pos, item.item_id, parts, sum(p.value * p.weight for p in parts)))
        return self._diversify(rows, top_k)

    def _diversify(self, rows, top_k: int) -> list[common_pb2.ScoredItem]:
        """Greedy re-ranking: each pick is penalised by its similarity to earlier picks."""
        if not rows:
            return []
        positions = [pos for pos, _, _, _ in rows]
        vectors = self.embeddings[positions]
        sims = np.clip(vectors @ vectors.T, 0, None)
        base = np.array([b for _, _, _, b in rows])
        order_key = np.array([item_id for _, item_id, _, _ in rows])
        penalty = np.zeros(len(rows))
        closest = np.full(len(rows), -1)
        taken = np.zeros(len(rows), dtype=bool)
        chosen: list[common_pb2.ScoredItem] = []
        for _ in range(min(top_k, len(rows))):
            score = np.where(taken, -np.inf, base - self.weights.diversity * penalty)
            best = min(np.flatnonzero(score == score.max()), key=lambda i: order_key[i])  # ties: smaller id
            _, item_id, parts, _ = rows[best]
            if chosen:
                parts = [
                    *parts,
                    common_pb2.ScoreComponent(
                        name=K.DIVERSITY,
                        value=-float(penalty[best]),
                        weight=self.weights.diversity,
                        evidence=rows[closest[best]][1] if closest[best] >= 0 else "",
                    ),
                ]
            chosen.append(common_pb2.ScoredItem(item_id=item_id, score=float(score[best]), components=parts))
            taken[best] = True
            update = sims[:, best] > penalty
            closest[update] = best
            penalty = np.maximum(penalty, sims[:, best])
        return chosen
