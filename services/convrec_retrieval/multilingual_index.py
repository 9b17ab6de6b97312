"""multilingual-e5-small passage embeddings of a catalog, beside the MiniLM index, so that
Chinese (and mixed) queries can be matched against English item text and Chinese titles."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from convrec_kit import artifacts
from convrec_kit.models.e5 import E5Encoder

E5_EMBEDDINGS_FILE = artifacts.E5_EMBEDDINGS_FILE
E5_MANIFEST_FILE = "multilingual.json"


def load_e5_embeddings(catalog_dir: Path, size: int) -> np.ndarray | None:
    path = catalog_dir / E5_EMBEDDINGS_FILE
    if not path.exists():
        return None
    embeddings = np.load(path)
    if embeddings.shape[0] != size:
        raise ValueError(f"{path}: {embeddings.shape[0]} rows for {size} items; rebuild the catalog")
    return embeddings


def build_e5_embeddings(catalog_dir: Path, e5_dir: Path, batch: int = 32) -> dict:
    """Idempotent: redone only when the catalog or the converted model changed."""
    catalog_manifest = artifacts.read_manifest(catalog_dir)
    model_manifest = artifacts.read_manifest(e5_dir)
    key = {"catalog_sha256": catalog_manifest["source_sha256"],
           "model_sha256": model_manifest.get("source_sha256", "")}
    manifest_path = catalog_dir / E5_MANIFEST_FILE
    if manifest_path.exists() and (catalog_dir / E5_EMBEDDINGS_FILE).exists():
        old = json.loads(manifest_path.read_text())
        if all(old.get(k) == v for k, v in key.items()):
            return old
    started = time.time()
    catalog = artifacts.load_catalog(catalog_dir)
    encoder = E5Encoder(e5_dir)
    texts = [catalog.text(item) for item in catalog.items]
    chunks = [
        encoder.encode(texts[i : i + batch], "passage")
        for i in tqdm(range(0, len(texts), batch), desc=f"multilingual embedding {catalog_dir.name}", unit="batch")
    ]
    embeddings = np.concatenate(chunks).astype(np.float32)
    tmp = catalog_dir / f".{E5_EMBEDDINGS_FILE}"
    with tmp.open("wb") as handle:
        np.save(handle, embeddings)
    tmp.replace(catalog_dir / E5_EMBEDDINGS_FILE)
    manifest = {**key, "items": len(catalog), "encoder": "multilingual-e5-small (passage)",
                "dtype": str(encoder.dtype).removeprefix("torch."), "build_seconds": round(time.time() - started, 2)}
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return manifest
