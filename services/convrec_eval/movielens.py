"""MovieLens next-item evaluation: leave-last-out per user by timestamp, full ranking over
all movies (each user's earlier movies excluded), HR@10 and NDCG@10, for popularity,
item-kNN and convrec's own retrieval + ranking engines with the user's ratings as feedback."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from convrec.common.v1 import common_pb2
from convrec_data import movielens as ml
from convrec_data.common import DataError, require_file, write_if_changed

from . import metrics

CATALOG_NAME = "movielens-eval"
CONVREC = "convrec (retrieval + ranking)"
# convrec's default blend: no weights tuned for MovieLens.
WEIGHTS = None
K = 10
# Neighbours kept per movie, for item-kNN and for convrec's co-occurrence source.
NEIGHBOURS = 100
# Most recent rated movies sent as the user's history to retrieval (as the gateway does).
HISTORY_IDS = 50


@dataclass
class Split:
    train: dict[str, list[ml.Rating]]  # user -> ratings, oldest first
    test: dict[str, ml.Rating]


def leave_last_out(ratings: list[ml.Rating], dev: bool = False) -> Split:
    """Each user's last rating (by timestamp, then movie id) is the test item; with dev, the
    last is dropped and the one before is held out, so tuning never sees the test items."""
    by_user: dict[str, list[ml.Rating]] = defaultdict(list)
    for rating in ratings:
        by_user[rating.user_id].append(rating)
    train, test = {}, {}
    for user, rows in by_user.items():
        rows.sort(key=lambda r: (r.timestamp, int(r.movie_id)))
        if dev:
            rows = rows[:-1]
        if len(rows) < 2:
            continue
        train[user], test[user] = rows[:-1], rows[-1]
    return Split(train, test)


def hit_and_ndcg(ranks: list[int | None], k: int = K) -> dict[str, float]:
    return {f"HR@{k}": metrics.recall(ranks, k), f"NDCG@{k}": metrics.ndcg(ranks, k)}


class Popularity:
    def __init__(self, counts: np.ndarray) -> None:
        self.order = np.argsort(-counts, kind="stable")

    def top(self, seen: set[int], k: int) -> list[int]:
        out = []
        for pos in self.order:
            if int(pos) not in seen:
                out.append(int(pos))
                if len(out) == k:
                    break
        return out


class ItemKNN:
    """Cosine similarity of movies over the users who rated them (training ratings), the
    NEIGHBOURS most similar kept per movie; a user's score for a movie is the sum of its
    similarities to the movies the user rated."""

    def __init__(self, matrix: np.ndarray, neighbours: int = NEIGHBOURS) -> None:
        co = matrix.T @ matrix
        norms = np.sqrt(np.maximum(np.diag(co), 1e-9))
        sims = co / norms[:, None] / norms[None, :]
        np.fill_diagonal(sims, 0.0)
        keep = np.argpartition(-sims, min(neighbours, sims.shape[1] - 1), axis=1)[:, :neighbours]
        pruned = np.zeros_like(sims)
        rows = np.arange(sims.shape[0])[:, None]
        pruned[rows, keep] = sims[rows, keep]
        self.sims = pruned
        self.co = co

    def top(self, history: list[int], seen: set[int], k: int) -> list[int]:
        scores = self.sims[history].sum(axis=0)
        scores[list(seen)] = -np.inf
        best = np.argpartition(-scores, k)[:k]
        return [int(i) for i in best[np.argsort(-scores[best], kind="stable")]]


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


def evaluate(
    path: Path,
    artifacts_dir: Path | None = None,
    catalog_name: str = CATALOG_NAME,
    max_users: int | None = None,
    dev: bool = False,
    weights: Path | None = WEIGHTS,
) -> dict:
    from convrec_build.pipeline import build
    from convrec_kit.settings import CommonSettings, load_settings
    from convrec_ranking.ranker import Ranker
    from convrec_retrieval.engine import RetrievalEngine

    if not path.is_dir():
        raise DataError(f"MovieLens folder not found: {path}")
    artifacts_dir = artifacts_dir or load_settings(CommonSettings).artifacts_dir
    movies = ml.load_movies(require_file(path / "movies.csv", "MovieLens movies.csv"))
    ratings = ml.load_ratings(require_file(path / "ratings.csv", "MovieLens ratings.csv"), movies)
    links = ml.load_links(path / "links.csv") if (path / "links.csv").exists() else {}
    tags = ml.load_tags(path / "tags.csv", movies) if (path / "tags.csv").exists() else []
    split = leave_last_out(ratings, dev)
    users = sorted(split.test, key=int)[:max_users] if max_users else sorted(split.test, key=int)
    if not users:
        raise DataError(f"{path}: no user with at least two ratings")

    item_ids = [ml.item_id(m) for m in sorted(movies, key=int)]
    position = {m: i for i, m in enumerate(sorted(movies, key=int))}
    matrix = np.zeros((len(split.train), len(item_ids)), dtype=np.float32)
    for row, rows in enumerate(split.train.values()):
        matrix[row, [position[r.movie_id] for r in rows]] = 1.0
    counts = matrix.sum(axis=0)
    popularity = Popularity(counts)
    knn = ItemKNN(matrix)

    work = artifacts_dir / "eval" / catalog_name
    work.mkdir(parents=True, exist_ok=True)
    files = {name: work / f"{name}.jsonl" for name in ("catalog", "popularity", "co_ratings")}
    write_if_changed(files["catalog"], ml.catalog_records(movies, links, tags))
    write_if_changed(
        files["popularity"],
        [{"item_id": item_ids[i], "count": int(c)} for i, c in enumerate(counts) if c > 0],
    )
    write_if_changed(files["co_ratings"], co_rating_records(knn, item_ids))
    build(
        artifacts_dir,
        catalog_name,
        files["catalog"],
        popularity=files["popularity"],
        co_occurrence=files["co_ratings"],
        weights=weights,
    )
    retrieval = RetrievalEngine(artifacts_dir / catalog_name)
    ranker = Ranker(artifacts_dir / catalog_name)

    ranks: dict[str, list[int | None]] = {"popularity": [], "item-kNN": [], CONVREC: []}
    started = time.perf_counter()
    convrec_seconds = 0.0
    for user in tqdm(users, desc="users", unit=" users", disable=None):
        history = split.train[user]
        target = position[split.test[user].movie_id]
        seen = {position[r.movie_id] for r in history}
        ranks["popularity"].append(metrics.rank_of(target, popularity.top(seen, K)))
        ranks["item-kNN"].append(metrics.rank_of(target, knn.top([position[r.movie_id] for r in history], seen, K)))
        begin = time.perf_counter()
        ranked = convrec_top(retrieval, ranker, history, split.test[user].timestamp, K)
        convrec_seconds += time.perf_counter() - begin
        ranks[CONVREC].append(metrics.rank_of(item_ids[target], ranked))
    report = {
        "dev": dev,
        "users": len(users),
        "movies": len(item_ids),
        "train_ratings": int(sum(len(v) for v in split.train.values())),
        "convrec_ms_per_user": 1000 * convrec_seconds / len(users),
        "seconds": time.perf_counter() - started,
        "methods": {name: hit_and_ndcg(r) for name, r in ranks.items()},
        "convrec_minus": {
            name: {f"HR@{K}": metrics.recall_difference(ranks[CONVREC], ranks[name], K)}
            for name in ("popularity", "item-kNN")
        },
    }
    (work / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def convrec_top(retrieval, ranker, history: list[ml.Rating], test_time: int, k: int) -> list[str]:
    """The user's ratings as feedback events, as the gateway passes stored events: recent
    rated movies to retrieval's history source, every rating (with its time) to ranking."""
    events = [
        common_pb2.FeedbackEvent(item_id=ml.item_id(r.movie_id), type=common_pb2.FEEDBACK_TYPE_RATE, value=r.value)
        for r in history
    ]
    for event, rating in zip(events, history):
        event.timestamp.FromSeconds(rating.timestamp)
    constraints = common_pb2.Constraints()
    recent = list(dict.fromkeys(e.item_id for e in reversed(events)))[:HISTORY_IDS]
    candidates, _ = retrieval.retrieve(
        None, "", constraints, [e.item_id for e in events], list(reversed(recent)), max(100, k * 5)
    )
    context = common_pb2.Context()
    context.timestamp.FromSeconds(test_time)
    return [s.item_id for s in ranker.rank(candidates, events[-5000:], context, constraints, k)]


def format_report(report: dict) -> str:
    columns = [f"HR@{K}", f"NDCG@{K}"]
    rows = [(name, [f"{m[c]:.4f}" for c in columns]) for name, m in report["methods"].items()]
    title = (
        f"MovieLens{' (dev: second-to-last item)' if report['dev'] else ''}: leave-last-out, "
        f"{report['users']:,} users, full ranking over {report['movies']:,} movies "
        f"(each user's rated movies excluded)"
    )
    lines = [metrics.table(title, columns, rows), f"convrec: {report['convrec_ms_per_user']:.1f} ms per user"]
    lines += [metrics.format_difference(n, d) for n, d in report.get("convrec_minus", {}).items()]
    return "\n".join(lines + ["(paired bootstrap over users)"] * bool(report.get("convrec_minus")))
