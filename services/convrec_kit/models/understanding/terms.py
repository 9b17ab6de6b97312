"""The served catalog's categories as the values a span links to, by the multilingual encoder:
"川菜", "spicy Sichuan food" or "ramen" to `sichuan` or `japanese` without any word table.

A category is represented twice: its name (as a query), and what sets its items apart (the
mean of their passage vectors minus the catalog's mean, so "ramen" finds the Japanese places
even though no name says so). A span links to the category whose name is closest when that
cosine clears NAME_THRESHOLD, else to the one whose items are when that clears
ITEMS_THRESHOLD. The catalog's kinds of item (a set of categories every item has exactly one
of, such as movie / book / product) are found here too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...catalog import Catalog, kinds_of

TERMS_FILE = "terms.json"
TERM_VECTORS_FILE = "term_vectors.npy"
# Chosen on the demo catalog's training utterances (`convrec eval understanding --tune-links`);
# never on the other-domain test catalog.
NAME_THRESHOLD = 0.86
ITEMS_THRESHOLD = 0.12
FORMAT_VERSION = 2


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


@dataclass
class CatalogTerms:
    names: list[str]
    name_vectors: np.ndarray  # (categories, dim), unit rows
    centroids: np.ndarray  # (categories, dim), unit rows
    kinds: list[str]

    @classmethod
    def build(cls, catalog: Catalog, item_vectors: np.ndarray, encode) -> CatalogTerms:
        """`item_vectors`: the catalog's passage vectors in item order; `encode(texts)`: query vectors."""
        names = sorted({c for item in catalog.items for c in item.categories})
        mean = item_vectors.mean(0)
        centroids = (
            np.stack(
                [
                    item_vectors[[i for i, item in enumerate(catalog.items) if n in item.categories]].mean(0) - mean
                    for n in names
                ]
            )
            if names
            else np.zeros((0, item_vectors.shape[1]), np.float32)
        )
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        centroids = np.where(norms > 1e-3, centroids / np.maximum(norms, 1e-9), 0.0)  # a kind on every item: 0
        vectors = encode(names) if names else np.zeros_like(centroids)
        return cls(names, vectors.astype(np.float32), centroids.astype(np.float32), kinds_of(catalog.items))

    def save(self, catalog_dir: Path, source_sha256: str = "") -> None:
        np.save(catalog_dir / TERM_VECTORS_FILE, np.concatenate([self.name_vectors, self.centroids]))
        (catalog_dir / TERMS_FILE).write_text(
            json.dumps(
                {
                    "format_version": FORMAT_VERSION,
                    "source_sha256": source_sha256,
                    "categories": self.names,
                    "kinds": self.kinds,
                },
                ensure_ascii=False,
            )
        )

    @classmethod
    def load(cls, catalog_dir: Path) -> CatalogTerms | None:
        path = catalog_dir / TERMS_FILE
        if not path.exists():
            return None
        meta = json.loads(path.read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            return None
        vectors = np.load(catalog_dir / TERM_VECTORS_FILE)
        count = len(meta["categories"])
        return cls(meta["categories"], vectors[:count], vectors[count:], meta["kinds"])

    def exact(self, surface: str) -> str | None:
        """A category written as its name (or plural): no encoder needed."""
        text = _normal(surface)
        for name in self.names:
            if text in (_normal(name), _normal(name) + "s", _normal(name) + "es"):
                return name
        return None

    def scores(self, span_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(spans, categories) cosines to the names and to what sets the items apart."""
        return span_vectors @ self.name_vectors.T, span_vectors @ self.centroids.T

    def link(
        self,
        surfaces: list[str],
        encode,
        thresholds: tuple[float, float] = (NAME_THRESHOLD, ITEMS_THRESHOLD),
    ) -> list[tuple[str | None, float]]:
        """Per span: (category, cosine), or (None, 0.0) when nothing is close enough."""
        out: list[tuple[str | None, float] | None] = [(n, 1.0) if (n := self.exact(s)) else None for s in surfaces]
        pending = [i for i, o in enumerate(out) if o is None]
        if pending and self.names:
            by_name, by_items = self.scores(encode([surfaces[i] for i in pending]))
            for row, i in enumerate(pending):
                out[i] = _choose(self.names, by_name[row], by_items[row], thresholds)
        return [o if o is not None else (None, 0.0) for o in out]


def _choose(
    names: list[str], by_name: np.ndarray, by_items: np.ndarray, thresholds: tuple[float, float]
) -> tuple[str | None, float]:
    best = int(by_name.argmax())
    if by_name[best] >= thresholds[0]:
        return names[best], float(by_name[best])
    best = int(by_items.argmax())
    if by_items[best] >= thresholds[1]:
        return names[best], float(by_items[best])
    return None, 0.0


def build_terms(catalog_dir: Path, e5_dir: Path) -> CatalogTerms:
    """The catalog's terms from its items and multilingual passage vectors (built before this);
    kept when the catalog has not changed since."""
    from ... import artifacts
    from ..e5 import E5Encoder

    sha = artifacts.read_manifest(catalog_dir)["source_sha256"]
    path = catalog_dir / TERMS_FILE
    if path.exists() and json.loads(path.read_text()).get("source_sha256") == sha:
        loaded = CatalogTerms.load(catalog_dir)
        if loaded is not None:
            return loaded
    encoder = E5Encoder(e5_dir)
    item_vectors = np.load(catalog_dir / artifacts.E5_EMBEDDINGS_FILE)
    terms = CatalogTerms.build(artifacts.load_catalog(catalog_dir), item_vectors, lambda t: encoder.encode(t, "query"))
    terms.save(catalog_dir, sha)
    return terms
