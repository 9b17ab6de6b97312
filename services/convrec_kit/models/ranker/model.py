"""Scoring with a learned ranker: the blend's score scaled, plus trees over the components;
each component's share is its scaled blend part plus its SHAP value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np

from . import artifact
from .features import matrix


@dataclass(frozen=True)
class Ranked:
    scores: np.ndarray  # (items,)
    # (items, features): each feature's SHAP value for the item (the trees' part only).
    shap: np.ndarray


class LearnedRanker:
    def __init__(self, booster: lgb.Booster, features: tuple[str, ...], version: str, rerank: int,
                 blend_scale: float) -> None:
        self.booster = booster
        self.features = features
        self.version = version
        self.rerank = rerank  # how many of the blend's best items it re-orders
        self.blend_scale = blend_scale  # the blend's score, times this, is where the trees start
        self.column = {name: j for j, name in enumerate(features)}

    @classmethod
    def for_catalog(cls, catalog_dir: Path) -> LearnedRanker | None:
        """The catalog's current learned ranker; None when it has none."""
        directory = artifact.current(catalog_dir)
        if directory is None:
            return None
        booster, features, manifest = artifact.load(directory)
        return cls(booster, features, f"ranker {manifest['version']}", int(manifest["rerank"]),
                   float(manifest["blend_scale"]))

    def score(self, rows, blend) -> Ranked:
        """`rows`: per item, its (name, value) components; `blend`: its hand-set blend score."""
        if not rows:
            return Ranked(np.zeros(0), np.zeros((0, len(self.features))))
        contrib = np.asarray(self.booster.predict(matrix(rows, self.features), pred_contrib=True, num_threads=1))
        return Ranked(contrib.sum(axis=1) + self.blend_scale * np.asarray(blend, dtype=np.float64), contrib[:, :-1])
