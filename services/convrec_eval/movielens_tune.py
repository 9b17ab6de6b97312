"""`convrec eval movielens --tune`: chooses ALS's settings and the ranking blend's weights
for the interest model on the dev split (each user's second-to-last movie) only, and
writes them where the evaluation reads them."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from convrec_data import movielens as ml

from . import metrics
from .baselines import ALS, ALSParams
from .movielens import ALS_PARAMS, WEIGHTS, leave_last_out, load
from .movielens_run import K as TOP
from .movielens_run import (
    Protocol,
    build_catalog,
    candidates_for,
    default_model,
    ranked_ids,
    rated_events,
    train_models,
)

ALS_GRID = {"factors": (16, 32, 64, 128), "regularization": (0.003, 0.01, 0.1, 1.0), "alpha": (3.0, 10.0, 40.0)}
BLEND_GRID = {"model_interest": (0.5, 1.0, 2.0, 4.0, 8.0), "model_span": (2.0, 4.0, 8.0, 16.0)}


def tune(path: Path, artifacts_dir: Path, catalog_name: str, device: str = "cpu") -> dict:
    movies, ratings, links, tags = load(path)
    split = leave_last_out(ratings, dev=True)
    ordered = sorted(movies, key=int)
    position = {m: i for i, m in enumerate(ordered)}
    matrix = np.zeros((len(split.train), len(ordered)), dtype=np.float32)
    for row, rows in enumerate(split.train.values()):
        matrix[row, [position[r.movie_id] for r in rows]] = 1.0
    als = _tune_als(split, matrix, position)
    ALS_PARAMS.write_text(json.dumps(als["best"]) + "\n")
    protocol = Protocol(movies, links, tags, artifacts_dir, catalog_name, None, ALSParams(**als["best"]), None,
                        False, device)
    from .baselines import ItemKNN

    catalog_dir = build_catalog(protocol, [ml.item_id(m) for m in ordered], matrix.sum(0), ItemKNN(matrix))
    blend = _tune_blend(protocol, catalog_dir, split)
    WEIGHTS.write_text(json.dumps({"ranking": blend["best"]}) + "\n")
    return {"als": als, "blend": blend}


def _tune_als(split, matrix: np.ndarray, position: dict[str, int]) -> dict:
    rows = {u: i for i, u in enumerate(split.train)}
    results = []
    for values in tqdm(list(itertools.product(*ALS_GRID.values())), desc="ALS grid", disable=None):
        params = ALSParams(**dict(zip(ALS_GRID, values)))
        als = ALS(matrix, params)
        ranks = []
        for user, test in split.test.items():
            seen = {position[r.movie_id] for r in split.train[user]}
            ranks.append(metrics.rank_of(position[test.movie_id], als.top(rows[user], seen, TOP)))
        results.append({**dataclasses.asdict(params), f"NDCG@{TOP}": metrics.ndcg(ranks, TOP)})
    best = max(results, key=lambda r: r[f"NDCG@{TOP}"])
    return {"grid": results, "best": {k: best[k] for k in dataclasses.asdict(ALSParams())}}


def _tune_blend(protocol: Protocol, catalog_dir: Path, split) -> dict:
    """NDCG@10 of convrec with the model for each blend setting, on cached candidates and
    model scores (one retrieval and one forward per user)."""
    from convrec.common.v1 import common_pb2
    from convrec_ranking.ranker import Ranker
    from convrec_retrieval.engine import RetrievalEngine

    retrieval = RetrievalEngine(catalog_dir)
    index = retrieval.catalog.index
    model = default_model(train_models(protocol, catalog_dir, split.train, index))
    ranker = Ranker(catalog_dir, model=model)
    cases = []
    for user, test in tqdm(split.test.items(), desc="dev candidates", disable=None):
        events = rated_events(split.train[user])
        candidates = candidates_for(retrieval, events)
        context = common_pb2.Context()
        context.timestamp.FromSeconds(test.timestamp)
        plan = ranker.interest_plan(candidates, events, context)
        cases.append((events, candidates, model.score_many([plan.request])[0], test))
    results = []
    for values in tqdm(list(itertools.product(*BLEND_GRID.values())), desc="blend grid", disable=None):
        ranker.weights = dataclasses.replace(ranker.weights, **dict(zip(BLEND_GRID, values)))
        ranks = [metrics.rank_of(ml.item_id(test.movie_id), ranked_ids(ranker, cands, events, test.timestamp,
                                                                         scored))
                 for events, cands, scored, test in cases]
        results.append({**dict(zip(BLEND_GRID, values)), f"NDCG@{TOP}": metrics.ndcg(ranks, TOP),
                        f"HR@{TOP}": metrics.recall(ranks, TOP)})
    best = max(results, key=lambda r: r[f"NDCG@{TOP}"])
    return {"grid": results, "best": {k: best[k] for k in BLEND_GRID}}


def format_tuning(result: dict) -> str:
    lines = ["ALS on the dev split (NDCG@10):"]
    lines += [f"  {r}" for r in sorted(result["als"]["grid"], key=lambda r: -r[f"NDCG@{TOP}"])[:5]]
    lines += [f"  chosen: {result['als']['best']} -> {ALS_PARAMS}", "ranking blend with the model (dev):"]
    lines += [f"  {r}" for r in sorted(result["blend"]["grid"], key=lambda r: -r[f"NDCG@{TOP}"])]
    lines.append(f"  chosen: {result['blend']['best']} -> {WEIGHTS}")
    return "\n".join(lines)
