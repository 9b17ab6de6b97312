"""Trains a catalog's dialogue model from dialogues given as text (turns, mentioned items,
the items the recommender then named) and stores it as a new version; the turns' sentence
vectors are computed once and kept beside the versions."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ... import artifacts
from . import artifact
from .inputs import DialogueInput, clip_turn
from .network import Config
from .train import Example, TrainConfig, fit

Encode = Callable[[list[str]], np.ndarray]
CACHE = "turn-vectors"


@dataclass(frozen=True)
class TextCase:
    """One recommender turn of a dialogue: what came before it and what it named."""

    dialogue_id: str
    turns: tuple[tuple[int, str], ...]  # (role, text), oldest first
    items: tuple[str, ...]  # item ids mentioned before, oldest first
    targets: tuple[str, ...]


def cases_sha(cases: list[TextCase]) -> str:
    digest = hashlib.sha256()
    for case in cases:
        digest.update(json.dumps(asdict(case), ensure_ascii=False).encode())
    return digest.hexdigest()


def turn_vectors(catalog_dir: Path, texts: list[str], encode: Encode, encoder_sha: str,
                 progress: bool = True, batch: int = 64) -> dict[str, np.ndarray]:
    """Each distinct text's vector; texts encoded before (by the same encoder) are read from
    the catalog's store of turn vectors, which then holds the new ones too."""
    path = artifact.root(catalog_dir) / CACHE / f"{encoder_sha[:16] or 'unknown'}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as stored:
            known = dict(zip(stored["texts"].tolist(), stored["vectors"]))
    missing = sorted(set(texts) - set(known))
    if missing:
        starts = range(0, len(missing), batch)
        for i in tqdm(starts, desc="encoding turns", disable=not progress):
            known.update(zip(missing[i : i + batch], encode(missing[i : i + batch])))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.array(list(known)), vectors=np.stack(list(known.values())).astype(np.float32))
        tmp.replace(path)
    return {t: known[t] for t in set(texts)}


def examples(cases: list[TextCase], vectors: dict[str, np.ndarray], index: dict[str, int]) -> list[Example]:
    """One example per target in the catalog."""
    out = []
    for case in cases:
        dialogue = DialogueInput(
            np.stack([vectors[clip_turn(t)] for _, t in case.turns]) if case.turns else np.zeros((0, 1)),
            tuple(r for r, _ in case.turns),
            tuple(index[i] for i in case.items if i in index),
        )
        out.extend(Example(dialogue, index[t]) for t in case.targets if t in index)
    return out


def log_popularity(cases: list[TextCase], item_ids: list[str]) -> np.ndarray:
    """log(1 + the number of training dialogues that mention each item)."""
    per_dialogue: dict[str, set[str]] = {}
    for case in cases:
        per_dialogue.setdefault(case.dialogue_id, set()).update(case.items, case.targets)
    counts = Counter(i for items in per_dialogue.values() for i in items)
    return np.log1p(np.array([counts.get(i, 0) for i in item_ids], dtype=np.float32))


def version_of(data_sha: str, catalog_sha: str, encoder_sha: str, config: Config, train: TrainConfig) -> str:
    key = {"format": artifact.FORMAT_VERSION, "data": data_sha, "catalog": catalog_sha, "encoder": encoder_sha,
           "config": config.to_json(), "train": train.to_json()}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def train_for_catalog(catalog_dir: Path, cases: list[TextCase], item_vectors: np.ndarray, encode: Encode,
                      encoder_sha: str, source: str, config: Config | None = None,
                      train: TrainConfig | None = None, dev: list[TextCase] | None = None,
                      device: str = "cpu", progress: bool = True, force: bool = False) -> tuple[Path, dict]:
    """The version's directory and manifest; trains only when that version is missing.
    `item_vectors`: the catalog's items in the encoder's space (its passage vectors)."""
    config, train = config or Config(), train or TrainConfig()
    catalog = artifacts.load_catalog(catalog_dir)
    catalog_sha = artifacts.read_manifest(catalog_dir)["source_sha256"]
    data_sha = cases_sha(cases)
    version = version_of(data_sha, catalog_sha, encoder_sha, config, train)
    directory = artifact.root(catalog_dir) / version
    if not force and (directory / artifact.MANIFEST_FILE).exists():
        artifact.point(catalog_dir, version)
        return directory, artifact.read_manifest(directory)
    texts = [clip_turn(t) for case in [*cases, *(dev or [])] for _, t in case.turns]
    vectors = turn_vectors(catalog_dir, texts, encode, encoder_sha, progress)
    train_examples = examples(cases, vectors, catalog.index)
    dev_examples = examples(dev, vectors, catalog.index) if dev else None
    item_ids = [i.item_id for i in catalog.items]
    started = time.perf_counter()
    net, info = fit(train_examples, item_vectors, log_popularity(cases, item_ids), config, train, device,
                    progress, dev_examples)
    manifest = {
        "catalog_sha256": catalog_sha, "data_sha256": data_sha, "encoder_sha256": encoder_sha,
        "encoder": "multilingual-e5-small (query) per turn, frozen", "source": source,
        "seed": train.seed, "train": train.to_json(), "device": device, "torch": torch.__version__,
        "python": platform.python_version(), "dialogues": len({c.dialogue_id for c in cases}),
        "cases": len(cases), "examples": len(train_examples), "items": len(catalog),
        "train_seconds": round(time.perf_counter() - started, 1), "curve": info["curve"],
    }
    directory = artifact.save(catalog_dir, version, net, item_ids, manifest)
    return directory, artifact.read_manifest(directory)


def train_with_e5(catalog_dir: Path, e5_dir: Path, cases: list[TextCase], source: str, **options) -> tuple[Path, dict]:
    """Trains on turns encoded by the converted multilingual-e5-small (as queries), against
    the catalog's e5 passage vectors (a catalog built with the multilingual index)."""
    from ..e5 import E5Encoder

    item_path = artifacts.require(catalog_dir / artifacts.E5_EMBEDDINGS_FILE, "multilingual item embeddings")
    encoder_sha = artifacts.read_manifest(e5_dir).get("source_sha256", "")
    holder: list[E5Encoder] = []

    def encode(texts: list[str]) -> np.ndarray:
        if not holder:
            holder.append(E5Encoder(e5_dir))
        return holder[0].encode(texts, "query")

    return train_for_catalog(catalog_dir, cases, np.load(item_path), encode, encoder_sha, source, **options)
