"""A small interest model trained on a synthetic taste pattern over the demo catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from convrec_kit import artifacts
from convrec_kit.models.interest.network import Config
from convrec_kit.models.interest.pipeline import train_from_records
from convrec_kit.models.interest.train import TrainConfig

DAY = 86400.0
# Time features and text fusion on, so the tests exercise them (they are off by default).
SMALL = Config(dim=32, layers=1, heads=2, max_len=12, dropout=0.1, time=True, text=True)
FAST = TrainConfig(epochs=40, batch=32, lr=5e-3, patience=40, negatives=0, seed=3)
GROUP = 15  # the first GROUP catalog items are one group, the next GROUP the other


def synthetic_records(catalog, users: int = 150, length: int = 10, seed: int = 0) -> list[dict]:
    """Two groups of items: a user stays in a group while liking what they get, and moves
    to the other group right after disliking one."""
    ids = [item.item_id for item in catalog.items]
    groups = (ids[:GROUP], ids[GROUP : 2 * GROUP])
    rng = np.random.default_rng(seed)
    records = []
    for user in range(users):
        group, now = int(rng.integers(2)), 1.6e9 + user * DAY
        for _ in range(length):
            dislike = rng.random() < 0.3
            item = groups[group][int(rng.integers(GROUP))]
            records.append({"user_id": f"u{user}", "item_id": item, "event": "dislike" if dislike else "like",
                            "value": 0.0, "timestamp": now})
            group, now = (1 - group if dislike else group), now + 3600
    return records


def copy_catalog(catalog_dir: Path, target: Path) -> Path:
    """A built catalog's files (not its models) in a directory of its own."""
    target.mkdir(parents=True)
    for name in (artifacts.CATALOG_FILE, artifacts.EMBEDDINGS_FILE, artifacts.MANIFEST_FILE, artifacts.POPULARITY_FILE,
                 artifacts.DENSE_INDEX_FILE):
        shutil.copy(catalog_dir / name, target / name)
    return target


def train_synthetic(catalog_dir: Path, catalog, work: Path):
    """(catalog copy, model directory, manifest, records)."""
    copy = copy_catalog(catalog_dir, work / "demo")
    records = synthetic_records(catalog)
    directory, manifest = train_from_records(copy, records, "synthetic", "synthetic", SMALL, FAST, progress=False)
    return copy, directory, manifest, records
