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
from convrec_kit.models.interest.scorer import InterestModel, Scored
from convrec_kit.models.ranker.model import LearnedRanker
from convrec_kit.vocabulary import MOOD_CATEGORIES, PASS_THROUGH
from convrec_kit.vocabulary import Component as K

from . import interest as learned


@dataclass(frozen=True)
class RankWeights:
    interest: float = 0.5
    category: float = 0.2
    popularity: float = 0.2
    context: float = 0.08
    diversity: float = 0.1
    half_life_days: float = 30.0
    # With a trained interest model: the weight of its score, and how many nats below the
    # catalog's best item map onto the interest range (value 1 at the best, -1 at `span` below).
    model_interest: float = 0.5
    model_span: float = 8.0


class Ranker:
    """`model` scores interest in process; `model_version` alone says a model serves it
    elsewhere (Triton) and its scores come with each call; neither: the formula.
    `learned`: a learned ranker re-orders the blend's best items; None: the blend orders them."""

    def __init__(self, catalog_dir: Path, weights: RankWeights | None = None, model: InterestModel | None = None,
                 model_version: str | None = None, max_events: int = 200,
                 learned: LearnedRanker | None = None) -> None:
        self.catalog: Catalog = artifacts.load_catalog(catalog_dir)
        self.embeddings = np.load(
            artifacts.require(catalog_dir / artifacts.EMBEDDINGS_FILE, "item embeddings")
        )
        self.prior = np.load(artifacts.require(catalog_dir / artifacts.POPULARITY_FILE, "popularity"))
        self.weights = weights or artifacts.tuned_weights(catalog_dir, "ranking", RankWeights())
        self.model = model
        self.model_version = model.version if model is not None else model_version
        self.max_events = model.max_len if model is not None else max_events
        self.learned = learned

    def interest_plan(self, candidates, history, context: common_pb2.Context) -> learned.Plan | None:
        """What the interest model is asked this turn; None when it is not used or has no history."""
        if self.model_version is None:
            return None
        positions = [self.catalog.index[c.item_id] for c in candidates if c.item_id in self.catalog.index]
        return learned.plan(self.catalog.index, positions, history, context, _now(context), self.max_events)

    def _interest_parts(self, candidates, positions, history, context, now, scored: Scored | None,
                        scored_by: str | None = None):
        """Per candidate, its interest components: the model's when one serves (none at a
        cold start), else the formula's."""
        if self.model_version is None:
            formula = self._interest(positions, history, now)
            if formula is None:
                return [[] for _ in positions]
            return [[common_pb2.ScoreComponent(name=K.INTEREST, value=float(v), weight=self.weights.interest,
                                               evidence=e, source=learned.FORMULA)] for v, e in zip(*formula)]
        plan = self.interest_plan(candidates, history, context)
        if plan is None or not positions:
            return [[] for _ in positions]
        if scored is None:
            if self.model is None:
                raise ValueError("an interest model serves this catalog, but no scores came with the call")
            scored = self.model.score_many([plan.request])[0]
        w = self.weights
        return learned.components(plan, scored, w.model_interest, w.model_span, scored_by or self.model_version)

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
        scored: Scored | None = None,
        scored_by: str | None = None,
    ) -> list[common_pb2.ScoredItem]:
        """`scored`: the interest model's output for `interest_plan(...)` when it runs elsewhere,
        `scored_by` the version that computed it."""
        w = self.weights
        now = _now(context)
        known = [c for c in candidates if c.item_id in self.catalog.index]
        positions = [self.catalog.index[c.item_id] for c in known]
        interest = self._interest_parts(known, positions, history, context, now, scored, scored_by)
        wanted = set(constraints.include_categories) | MOOD_CATEGORIES.get(constraints.mood, set())
        rows = []
        for row, (cand, pos) in enumerate(zip(known, positions)):
            item = self.catalog.items[pos]
            parts = [c for c in cand.components if c.name in PASS_THROUGH] + interest[row]
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
        if self.learned is not None:
            rows = self._learned_order(rows)
        return self._diversify(rows, top_k)

    def _learned_order(self, rows):
        """The blend's best `rerank` items scored by the learned ranker; each component's share
        is its scaled blend part plus its SHAP value. The rest follow in the blend's order."""
        rows = sorted(rows, key=lambda r: (-r[3], r[1]))
        head, rest = rows[: self.learned.rerank], rows[self.learned.rerank :]
        ranked = self.learned.score([[(c.name, c.value) for c in parts] for _, _, parts, _ in head],
                                    [blend for _, _, _, blend in head])
        out = []
        for i, (pos, item_id, parts, _) in enumerate(head):
            seen = set()
            for c in parts:
                j = self.learned.column.get(c.name)
                shap = float(ranked.shap[i, j]) if j is not None and c.name not in seen else 0.0
                c.contribution = self.learned.blend_scale * c.value * c.weight + shap
                seen.add(c.name)
            out.append((pos, item_id, parts, float(ranked.scores[i])))
        floor = min((r[3] for r in out), default=0.0) - 1.0
        return out + [(pos, item_id, parts, floor - 1e-6 * i) for i, (pos, item_id, parts, _) in enumerate(rest)]

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


def _now(context: common_pb2.Context) -> dt.datetime:
    return context.timestamp.ToDatetime(dt.UTC) if context.HasField("timestamp") else dt.datetime.now(dt.UTC)
