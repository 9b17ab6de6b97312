"""MovieLens next-item evaluation: leave-last-out per user by time (ties in a seeded random
order, never by id) and a global time split; full ranking over all movies (each user's
earlier movies excluded); HR@10 and NDCG@10 for popularity, item-kNN, ALS, the interest
model alone and its ablations, and convrec's retrieval + ranking with the formula and with
the model, with paired bootstrap intervals of the differences."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from convrec_data import movielens as ml
from convrec_data.common import DataError, require_file
from convrec_kit.models.interest.data import chronological

from . import metrics
from .baselines import ALSParams
from .movielens_run import Protocol, run_protocol

CATALOG_NAME = "movielens-eval"
DATA = Path(__file__).with_name("data")
# Ranking blend weights with the interest model, and ALS's settings, chosen with --dev.
WEIGHTS = DATA / "movielens_weights.json"
ALS_PARAMS = DATA / "movielens_als.json"
K = 10
SEED = 0
# The global time split: every model trains on the ratings before this date; each user whose
# last rating is on or after it is tested on that rating, with everything before it as history
# (as a deployed model meets users who came back or came later). Chosen for the number of test
# users (155 on ml-latest-small; 92 at 2017), not for any result.
CUTOFF = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)


@dataclass
class Split:
    train: dict[str, list[ml.Rating]]  # every training user's ratings, oldest first
    test: dict[str, ml.Rating]  # the held-out rating of each evaluated user
    name: str = "leave-last-out"
    # What each evaluated user's recommendations are made from, where it is not their
    # training ratings (the time split: ratings after the cut-off are history, never trained on).
    history: dict[str, list[ml.Rating]] | None = None

    def history_of(self, user: str) -> list[ml.Rating]:
        return (self.history or self.train)[user]


def in_time(ratings: list[ml.Rating], seed: int = SEED) -> dict[str, list[ml.Rating]]:
    """Each user's ratings by time; ratings of one timestamp (entered in one burst) in a
    seeded random order, so nothing learns or is tested on the file's movie id order."""
    by_user: dict[str, list[ml.Rating]] = defaultdict(list)
    for rating in ratings:
        by_user[rating.user_id].append(rating)
    return {
        user: chronological(rows, lambda r: r.timestamp, lambda r: (r.timestamp, int(r.movie_id)), seed, user)
        for user, rows in sorted(by_user.items(), key=lambda x: int(x[0]))
    }


def leave_last_out(ratings: list[ml.Rating], dev: bool = False, seed: int = SEED) -> Split:
    """Each user's last rating is the test item; with dev, the last is dropped and the one
    before is held out, so tuning never sees the test items."""
    train, test = {}, {}
    for user, rows in in_time(ratings, seed).items():
        if dev:
            rows = rows[:-1]
        if len(rows) < 2:
            continue
        train[user], test[user] = rows[:-1], rows[-1]
    return Split(train, test, "leave-last-out" + (" (dev: second-to-last item)" if dev else ""))


def time_split(ratings: list[ml.Rating], cutoff: dt.datetime = CUTOFF, seed: int = SEED) -> Split:
    """Train on every rating before the cut-off; test the last rating of each user whose last
    rating is on or after it, from all their earlier ratings (before or after the cut-off)."""
    stamp = cutoff.timestamp()
    train, test, history = {}, {}, {}
    for user, rows in in_time(ratings, seed).items():
        before = [r for r in rows if r.timestamp < stamp]
        if before:
            train[user] = before
        if len(rows) >= 2 and rows[-1].timestamp >= stamp:
            test[user], history[user] = rows[-1], rows[:-1]
    return Split(train, test, f"global time split at {cutoff.date()}", history)


def load(path: Path) -> tuple[dict, list[ml.Rating], dict, list]:
    if not path.is_dir():
        raise DataError(f"MovieLens folder not found: {path}")
    movies = ml.load_movies(require_file(path / "movies.csv", "MovieLens movies.csv"))
    ratings = ml.load_ratings(require_file(path / "ratings.csv", "MovieLens ratings.csv"), movies)
    links = ml.load_links(path / "links.csv") if (path / "links.csv").exists() else {}
    tags = ml.load_tags(path / "tags.csv", movies) if (path / "tags.csv").exists() else []
    return movies, ratings, links, tags


def evaluate(
    path: Path,
    artifacts_dir: Path | None = None,
    catalog_name: str = CATALOG_NAME,
    max_users: int | None = None,
    dev: bool = False,
    weights: Path | None = WEIGHTS,
    als: Path | None = ALS_PARAMS,
    with_time_split: bool = True,
    ablations: bool = True,
    device: str = "cpu",
) -> dict:
    """Leave-last-out (and, unless dev, the time split); writes results.json."""
    from convrec_kit.settings import CommonSettings, load_settings

    artifacts_dir = artifacts_dir or load_settings(CommonSettings).artifacts_dir
    movies, ratings, links, tags = load(path)
    split = leave_last_out(ratings, dev)
    if not split.test:
        raise DataError(f"{path}: no user with at least two ratings")
    als_params = ALSParams(**json.loads(als.read_text())) if als else ALSParams()
    started = time.perf_counter()
    protocol = Protocol(movies, links, tags, artifacts_dir, catalog_name, weights, als_params, max_users,
                        ablations, device)
    report = {"dev": dev, "protocols": [run_protocol(protocol, split)]}
    if with_time_split and not dev:
        timed = time_split(ratings)
        if timed.test:
            time_protocol = Protocol(movies, links, tags, artifacts_dir, f"{catalog_name}-time", weights,
                                     als_params, max_users, False, device)
            report["protocols"].append(run_protocol(time_protocol, timed))
    report["seconds"] = time.perf_counter() - started
    work = artifacts_dir / "eval" / catalog_name
    work.mkdir(parents=True, exist_ok=True)
    (work / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def format_report(report: dict) -> str:
    return "\n\n".join(_format_protocol(p) for p in report["protocols"]) + f"\n({report['seconds']:.0f} s)"


def _format_protocol(result: dict) -> str:
    columns = [f"HR@{K}", f"NDCG@{K}"]
    rows = [(name, [f"{m[c]:.4f}" for c in columns]) for name, m in result["methods"].items()]
    title = (
        f"MovieLens, {result['split']}: {result['users']:,} users, full ranking over {result['movies']:,} movies "
        f"(each user's rated movies excluded)"
    )
    lines = [metrics.table(title, columns, rows)]
    for line in result["differences"]:
        parts = [f"{m} {d:+.4f} (95% CI {lo:+.4f} to {hi:+.4f})" for m, (d, lo, hi) in line["delta"].items()]
        lines.append(f"{line['method']} minus {line['baseline']}: " + ", ".join(parts))
    lines.append(f"(paired bootstrap over users; convrec {result['convrec_ms_per_user']:.1f} ms per user; "
                 f"interest model {result['model_ms_per_user']:.1f} ms per user)")
    return "\n".join(lines)
