"""Where built artifacts live, and their manifests."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from .catalog import Catalog

CATALOG_FILE = "catalog.jsonl"
EMBEDDINGS_FILE = "item_embeddings.npy"
E5_EMBEDDINGS_FILE = "item_embeddings_e5.npy"
DENSE_INDEX_FILE = "dense.faiss"
POPULARITY_FILE = "popularity.npy"
# Optional: item-to-item co-occurrence neighbours (e.g. movies mentioned in one dialogue).
CO_OCCURRENCE_FILE = "co_occurrence.npz"
MANIFEST_FILE = "manifest.json"
INTENT_DIR = Path("models") / "intent"
UNDERSTANDING_DIR = Path("models") / "understanding"


def require(path: Path, what: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{what} not found at {path}; run `convrec build` first")
    return path


def load_catalog(catalog_dir: Path) -> Catalog:
    return Catalog.load(require(catalog_dir / CATALOG_FILE, "catalog"))


def read_manifest(directory: Path) -> dict:
    return json.loads(require(directory / MANIFEST_FILE, "manifest").read_text())


def tuned_weights(catalog_dir: Path, section: str, defaults):
    """The catalog's blend weights for one service ("retrieval" or "ranking"): the defaults,
    with what the catalog's build was given (`convrec build --weights`) on top."""
    path = catalog_dir / MANIFEST_FILE
    given = (json.loads(path.read_text()).get("weights") or {}).get(section, {}) if path.exists() else {}
    fields = set(type(defaults).__dataclass_fields__)
    unknown = set(given) - fields
    if unknown:
        raise ValueError(f"{path}: unknown {section} weights {sorted(unknown)}; known: {sorted(fields)}")
    return dataclasses.replace(defaults, **{k: float(v) for k, v in given.items()})


def write_manifest(directory: Path, manifest: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
