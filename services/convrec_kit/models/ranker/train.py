"""Training a learned ranker with LightGBM LambdaRank on ranked lists with relevance labels."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass

import lightgbm as lgb
import numpy as np

from .features import FEATURES, matrix


@dataclass(frozen=True)
class TrainConfig:
    rounds: int = 400
    learning_rate: float = 0.03
    num_leaves: int = 15
    min_data_in_leaf: int = 40
    feature_fraction: float = 0.9
    lambda_l2: float = 1.0
    # The share of lists held back to choose the number of rounds (early stopping).
    dev_fraction: float = 0.2
    early_stopping: int = 40
    # Where the trees start: the blend's score times one of these (chosen on the dev lists).
    blend_scales: tuple[float, ...] = (1.0, 3.0, 10.0)
    seed: int = 42

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Group:
    """One ranked list: per item its (name, value) components, and whether it is a target."""

    rows: list
    labels: list[int]
    blend: list[float]  # the hand-set blend's score of each item
    key: str = ""  # lists with one key (a dialogue) go to the same side of the dev split

    def to_json(self) -> dict:
        return {"rows": self.rows, "labels": self.labels, "blend": self.blend, "key": self.key}

    @classmethod
    def from_json(cls, data: dict) -> Group:
        return cls([[tuple(p) for p in row] for row in data["rows"]], data["labels"], data["blend"], data["key"])


def useful(groups: list[Group]) -> list[Group]:
    """Lists with at least one target and one other item: the others teach nothing."""
    return [g for g in groups if 0 < sum(g.labels) < len(g.labels)]


def _dataset(groups: list[Group], scale: float, reference: lgb.Dataset | None = None) -> lgb.Dataset:
    x = np.concatenate([matrix(g.rows, FEATURES) for g in groups])
    y = np.concatenate([np.asarray(g.labels, dtype=np.float64) for g in groups])
    start = scale * np.concatenate([np.asarray(g.blend, dtype=np.float64) for g in groups])
    return lgb.Dataset(x, y, group=[len(g.rows) for g in groups], init_score=start, feature_name=list(FEATURES),
                       reference=reference, free_raw_data=False)


def split(groups: list[Group], fraction: float, seed: int) -> tuple[list[Group], list[Group]]:
    keys = sorted({g.key for g in groups})
    random.Random(seed).shuffle(keys)
    held = set(keys[: max(1, int(len(keys) * fraction))]) if len(keys) > 1 else set()
    return [g for g in groups if g.key not in held], [g for g in groups if g.key in held]


def dev_recall(dev: list[Group], booster: lgb.Booster, rounds: int, scale: float) -> dict:
    """Targets in the first 10 and 50 of each dev list, in the order given (the blend's) and re-ranked."""
    hits: Counter = Counter()
    for g in dev:
        scores = scale * np.asarray(g.blend) + booster.predict(matrix(g.rows, FEATURES), num_iteration=rounds)
        place = np.empty(len(scores), dtype=int)
        place[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
        for i in np.flatnonzero(g.labels):
            hits["targets"] += 1
            for k in (10, 50):
                hits[f"given_recall@{k}"] += int(i < k)
                hits[f"learned_recall@{k}"] += int(place[i] < k)
    targets = max(1, hits.pop("targets", 0))
    return {name: round(n / targets, 4) for name, n in sorted(hits.items())}


def _params(config: TrainConfig) -> dict:
    return {
        "objective": "lambdarank", "metric": "ndcg", "eval_at": [10, 50], "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves, "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": config.feature_fraction, "lambda_l2": config.lambda_l2, "seed": config.seed,
        "deterministic": True, "num_threads": 1, "verbosity": -1,
    }


def _fit_on_dev(fit: list[Group], dev: list[Group], config: TrainConfig, scale: float) -> dict:
    """The rounds early stopping chooses for one blend scale, with the dev figures there."""
    fit_set = _dataset(fit, scale)
    booster = lgb.train(_params(config), fit_set, config.rounds, valid_sets=[_dataset(dev, scale, fit_set)],
                        callbacks=[lgb.early_stopping(config.early_stopping, verbose=False)])
    rounds = max(1, booster.best_iteration)
    return {"blend_scale": scale, "rounds": rounds, **dev_recall(dev, booster, rounds, scale)}


def train(groups: list[Group], config: TrainConfig = TrainConfig()) -> tuple[lgb.Booster, dict]:
    """For each blend scale, the rounds early stopping chooses on the dev lists; the best
    scale (dev recall@10 + @50) refitted on all lists."""
    groups = useful(groups)
    if len(groups) < 2:
        raise ValueError(f"{len(groups)} usable ranked lists (a target among other items); need at least 2")
    fit, dev = split(groups, config.dev_fraction, config.seed)
    if not dev:
        raise ValueError("too few dialogues to hold some back for choosing the rounds")
    tried = [_fit_on_dev(fit, dev, config, scale) for scale in config.blend_scales]
    best = max(tried, key=lambda t: (t["learned_recall@10"] + t["learned_recall@50"], -t["blend_scale"]))
    booster = lgb.train(_params(config), _dataset(groups, best["blend_scale"]), best["rounds"])
    report = {"lists": len(groups), "dev_lists": len(dev), "tried": tried, "blend_scale": best["blend_scale"],
              "rounds": best["rounds"],
              "importance_gain": dict(zip(FEATURES, map(float, booster.feature_importance("gain"))))}
    return booster, report
