"""One MovieLens protocol run: baselines fitted on the training ratings, an evaluation
catalog built from them, interest models trained on them, every method ranking each test
user's held-out movie, and the differences with their bootstrap intervals."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from convrec.common.v1 import common_pb2
from convrec_data import movielens as ml
from convrec_data.common import write_if_changed
from convrec_kit.models.interest.features import Event, Query, encode

from . import metrics
from .baselines import ALS, ALSParams, ItemKNN, Popularity, top_k

K = 10
# Most recent rated movies sent as the user's history to retrieval (as the gateway does).
HISTORY_IDS = 50
CANDIDATES = 100
POPULARITY, KNN, ALS_NAME = "popularity", "item-kNN", "ALS (implicit)"
BASELINES = (POPULARITY, KNN, ALS_NAME)
# The interest model's feature settings, each trained and reported alone (same code); the
# default configuration is the one convrec's ranking blends.
FEATURES = ({"time": True, "text": True}, {"time": False, "text": True}, {"time": True, "text": False},
            {"time": False, "text": False})


def variant_name(features: dict) -> str:
    time_part, text_part = ("time" if features["time"] else "no time"), ("text" if features["text"] else "no text")
    default = _default_features() == features
    return f"interest model alone, {time_part} + {text_part}" + (" (default)" if default else "")


def _default_features() -> dict:
    from convrec_kit.models.interest.network import Config

    return {"time": Config().time, "text": Config().text}


FORMULA = "convrec, formula interest (before)"
WITH_MODEL = "convrec, model interest"


@dataclass
class Protocol:
    movies: dict
    links: dict
    tags: list
    artifacts_dir: Path
    catalog_name: str
    weights: Path | None
    als: ALSParams
    max_users: int | None
    ablations: bool
    device: str


def build_catalog(p: Protocol, item_ids: list[str], counts: np.ndarray, knn: ItemKNN) -> Path:
    """The evaluation catalog with the training ratings' popularity and co-ratings."""
    from convrec_build.pipeline import build

    work = p.artifacts_dir / "eval" / p.catalog_name
    work.mkdir(parents=True, exist_ok=True)
    files = {name: work / f"{name}.jsonl" for name in ("catalog", "popularity", "co_ratings")}
    write_if_changed(files["catalog"], ml.catalog_records(p.movies, p.links, p.tags))
    write_if_changed(
        files["popularity"], [{"item_id": item_ids[i], "count": int(c)} for i, c in enumerate(counts) if c > 0]
    )
    write_if_changed(files["co_ratings"], co_rating_records(knn, item_ids))
    build(p.artifacts_dir, p.catalog_name, files["catalog"], popularity=files["popularity"],
          co_occurrence=files["co_ratings"], weights=p.weights)
    return p.artifacts_dir / p.catalog_name


def co_rating_records(knn: ItemKNN, item_ids: list[str]) -> list[dict]:
    """Co-rating counts of each movie with its nearest neighbours, each pair once."""
    pairs: dict[tuple[int, int], float] = {}
    rows, cols = np.nonzero(knn.sims)
    for a, b in zip(rows.tolist(), cols.tolist()):
        key = (a, b) if a < b else (b, a)
        pairs[key] = float(knn.co[a, b])
    return [
        {"item_id": item_ids[a], "other_id": item_ids[b], "count": count}
        for (a, b), count in sorted(pairs.items())
        if count > 0
    ]


def events_of(ratings: list[ml.Rating], index: dict[str, int]) -> list[Event]:
    return [Event(index[ml.item_id(r.movie_id)], common_pb2.FEEDBACK_TYPE_RATE, r.value, float(r.timestamp))
            for r in ratings]


def train_models(p: Protocol, catalog_dir: Path, train: dict[str, list[ml.Rating]], index: dict[str, int]):
    """The interest model and (with ablations) its variants, trained on the training
    ratings; each is cached as a version of the evaluation catalog's interest models."""
    from convrec_kit.models.interest.network import Config
    from convrec_kit.models.interest.pipeline import events_sha, train_for_catalog
    from convrec_kit.models.interest.scorer import InterestModel

    users = {u: events_of(rows, index) for u, rows in train.items()}
    sha = events_sha(users)
    default = _default_features()
    variants = [default] + ([f for f in FEATURES if f != default] if p.ablations else [])
    models = {}
    for features in variants:
        name = variant_name(features)
        print(f"{name}:", flush=True)
        directory, _ = train_for_catalog(catalog_dir, users, sha, "MovieLens training ratings", Config(**features),
                                         device=p.device, make_current=False)
        models[name] = InterestModel.for_catalog(directory, catalog_dir, p.device)
    return models


def default_model(models: dict):
    return models[variant_name(_default_features())]


def rated_events(history: list[ml.Rating]) -> list[common_pb2.FeedbackEvent]:
    events = []
    for r in history:
        event = common_pb2.FeedbackEvent(item_id=ml.item_id(r.movie_id), type=common_pb2.FEEDBACK_TYPE_RATE,
                                         value=r.value)
        event.timestamp.FromSeconds(r.timestamp)
        events.append(event)
    return events


def candidates_for(retrieval, events: list[common_pb2.FeedbackEvent]) -> list[common_pb2.ScoredItem]:
    """Retrieval as the gateway asks it: recent rated movies as history, all rated excluded."""
    recent = list(dict.fromkeys(e.item_id for e in reversed(events)))[:HISTORY_IDS]
    found, _ = retrieval.retrieve(None, "", common_pb2.Constraints(), [e.item_id for e in events],
                                  list(reversed(recent)), CANDIDATES)
    return found


def ranked_ids(ranker, candidates, events, test_time: int, scored=None) -> list[str]:
    """convrec's ranking service on the candidates, at the held-out rating's time."""
    context = common_pb2.Context()
    context.timestamp.FromSeconds(test_time)
    ranked = ranker.rank(candidates, events[-5000:], context, common_pb2.Constraints(), K, scored=scored)
    return [s.item_id for s in ranked]


def model_rank(model, history: list[ml.Rating], index: dict[str, int], target: int, test_time: int):
    """Rank of the target in the model's full ranking (the user's rated movies excluded)."""
    sequence = encode(events_of(history, index))
    scores = model.full(sequence, Query.at(float(test_time), float(sequence.timestamps[-1])))
    seen = {int(i) for i in sequence.items}
    return metrics.rank_of(target, top_k(scores, seen, K))


def run_protocol(p: Protocol, split) -> dict:
    from convrec_ranking.ranker import Ranker
    from convrec_retrieval.engine import RetrievalEngine

    ordered = sorted(p.movies, key=int)
    item_ids = [ml.item_id(m) for m in ordered]
    users = sorted(split.test, key=int)[: p.max_users]
    rows = {u: i for i, u in enumerate(split.train)}
    matrix = np.zeros((len(split.train), len(item_ids)), dtype=np.float32)
    position = {m: i for i, m in enumerate(ordered)}
    for user, ratings in split.train.items():
        matrix[rows[user], [position[r.movie_id] for r in ratings]] = 1.0
    counts = matrix.sum(axis=0)
    popularity, knn, als = Popularity(counts), ItemKNN(matrix), ALS(matrix, p.als)
    catalog_dir = build_catalog(p, item_ids, counts, knn)
    retrieval = RetrievalEngine(catalog_dir)
    formula = Ranker(catalog_dir)
    index = formula.catalog.index
    models = train_models(p, catalog_dir, split.train, index)
    with_model = Ranker(catalog_dir, model=default_model(models))
    ranks: dict[str, list[int | None]] = {n: [] for n in (*BASELINES, *models, FORMULA, WITH_MODEL)}
    seconds = {"convrec": 0.0, "model": 0.0}
    for user in tqdm(users, desc=split.name, unit=" users", disable=None):
        history, test = split.history_of(user), split.test[user]
        target = index[ml.item_id(test.movie_id)]
        seen = {index[ml.item_id(r.movie_id)] for r in history}
        ranks[POPULARITY].append(metrics.rank_of(target, popularity.top(seen, K)))
        ranks[KNN].append(metrics.rank_of(target, knn.top(sorted(seen), seen, K)))
        als_top = als.top(rows[user], seen, K) if split.history is None else als.top_for(sorted(seen), seen, K)
        ranks[ALS_NAME].append(metrics.rank_of(target, als_top))
        for name, model in models.items():
            begin = time.perf_counter()
            ranks[name].append(model_rank(model, history, index, target, test.timestamp))
            seconds["model"] += (time.perf_counter() - begin) * (model is with_model.model)
        begin = time.perf_counter()
        events = rated_events(history)
        candidates = candidates_for(retrieval, events)
        ranks[FORMULA].append(metrics.rank_of(item_ids[target], ranked_ids(formula, candidates, events,
                                                                           test.timestamp)))
        seconds["convrec"] += time.perf_counter() - begin
        ranks[WITH_MODEL].append(metrics.rank_of(item_ids[target], ranked_ids(with_model, candidates, events,
                                                                              test.timestamp)))
    return summarise(split.name, ranks, len(item_ids), seconds, len(users), with_model.weights)


def feature_pairs(ranks: dict) -> list[tuple[str, str]]:
    """(with, without) for each feature where both variants were run: what time and text add."""
    pairs = []
    for features in FEATURES:
        for feature in ("time", "text"):
            if features[feature]:
                a, b = variant_name(features), variant_name({**features, feature: False})
                if a in ranks and b in ranks:
                    pairs.append((a, b))
    return pairs


def summarise(name: str, ranks: dict, movies: int, seconds: dict, users: int, weights) -> dict:
    methods = {n: {f"HR@{K}": metrics.recall(r, K), f"NDCG@{K}": metrics.ndcg(r, K)} for n, r in ranks.items()}
    best = max(BASELINES, key=lambda n: methods[n][f"NDCG@{K}"])
    pairs = [(n, best) for n in ranks if n not in BASELINES]
    pairs += [(WITH_MODEL, FORMULA)] + feature_pairs(ranks)
    differences = [
        {"method": a, "baseline": b, "delta": {
            f"HR@{K}": metrics.recall_difference(ranks[a], ranks[b], K),
            f"NDCG@{K}": metrics.ndcg_difference(ranks[a], ranks[b], K)}}
        for a, b in pairs
    ]
    before = methods[FORMULA][f"NDCG@{K}"]
    return {
        "split": name,
        "users": users,
        "movies": movies,
        "methods": methods,
        "best_baseline": best,
        "differences": differences,
        "ndcg_ratio_model_to_formula": methods[WITH_MODEL][f"NDCG@{K}"] / before if before else None,
        "ranking_weights": {"model_interest": weights.model_interest, "model_span": weights.model_span},
        "convrec_ms_per_user": 1000 * seconds["convrec"] / max(1, users),
        "model_ms_per_user": 1000 * seconds["model"] / max(1, users),
    }
