"""Trains a catalog's interest model from interaction records and stores it as a new
version (skipped when that exact version, same data, catalog and settings, exists)."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from convrec_kit import artifacts

from . import artifact, data
from .features import Event, encode
from .network import Config
from .train import TrainConfig, fit


def version_of(data_sha: str, catalog_sha: str, config: Config, train: TrainConfig) -> str:
    key = {"format": artifact.FORMAT_VERSION, "data": data_sha, "catalog": catalog_sha,
           "config": config.to_json(), "train": train.to_json()}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def train_for_catalog(
    catalog_dir: Path,
    users: dict[str, list[Event]],
    data_sha: str,
    source: str,
    config: Config | None = None,
    train: TrainConfig | None = None,
    device: str = "cpu",
    force: bool = False,
    progress: bool = True,
    make_current: bool = True,
    extra: dict | None = None,
) -> tuple[Path, dict]:
    """The version's directory and manifest; trains only when that version is missing.
    `users`: each user's events in time order; `data_sha` names the data they came from."""
    config, train = config or Config(), train or TrainConfig()
    catalog = artifacts.load_catalog(catalog_dir)
    catalog_sha = artifacts.read_manifest(catalog_dir)["source_sha256"]
    version = version_of(data_sha, catalog_sha, config, train)
    directory = artifact.root(catalog_dir) / version
    if not force and (directory / artifact.MANIFEST_FILE).exists():
        if make_current:
            artifact.point(catalog_dir, version)
        return directory, artifact.read_manifest(directory)
    text = np.load(artifacts.require(catalog_dir / artifacts.EMBEDDINGS_FILE, "item embeddings"))
    started = time.perf_counter()
    net, info = fit([encode(events) for events in users.values()], text, config, train, device, progress)
    manifest = {
        "catalog_sha256": catalog_sha,
        "data_sha256": data_sha,
        "source": source,
        "seed": train.seed,
        "train": train.to_json(),
        "device": device,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "users": len(users),
        "events": int(sum(len(e) for e in users.values())),
        "items": len(catalog),
        "train_seconds": round(time.perf_counter() - started, 1),
        "metrics": {"validation": info["best"], "epochs": info["epochs"]},
        **(extra or {}),
    }
    item_ids = [i.item_id for i in catalog.items]
    directory = artifact.save(catalog_dir, version, net, item_ids, manifest, make_current)
    return directory, artifact.read_manifest(directory)


def train_from_records(catalog_dir: Path, records: list[dict], data_sha: str, source: str,
                       config: Config | None = None, train: TrainConfig | None = None, **options) -> tuple[Path, dict]:
    """Interaction records (user_id, item_id, event, value, timestamp) to a trained version;
    records that cannot be used are counted in the manifest by reason."""
    seed = (train or TrainConfig()).seed
    users, skipped = data.from_records(records, artifacts.load_catalog(catalog_dir).index, seed)
    if not users:
        raise ValueError(f"no usable interactions in {source} ({dict(skipped)})")
    return train_for_catalog(catalog_dir, users, data_sha, source, config, train,
                             extra={"skipped": dict(sorted(skipped.items()))}, **options)


def with_overrides(config, **changes):
    """The dataclass with the given fields replaced, None meaning "keep"."""
    return replace(config, **{k: v for k, v in changes.items() if v is not None})


def events_sha(users: dict[str, list[Event]]) -> str:
    """A digest of event sequences, for data that does not come from one file."""
    digest = hashlib.sha256()
    for user, events in users.items():
        digest.update(json.dumps([user, [[e.position, e.type, e.value, e.timestamp] for e in events]]).encode())
    return digest.hexdigest()
