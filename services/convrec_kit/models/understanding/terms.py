"""The served catalog's categories as the values a span links to, by the multilingual encoder:
"川菜", "spicy Sichuan food" or "ramen" to `sichuan` or `japanese` without any word table.

A category is represented by its names (its own, as a query, and those the catalog gives it
in other languages: "动作" for action), and by what sets its items apart (the mean of their
passage vectors minus the catalog's mean, so "ramen" finds the Japanese places even though
no name says so). A span links to the category whose other name is closest when that cosine
clears ALIAS_THRESHOLD, else to the one whose own name is when that clears NAME_THRESHOLD,
else to the one whose items are when that clears ITEMS_THRESHOLD. The catalog's kinds of
item (a set of categories every item has exactly one of, such as movie / book / product) are
found here too."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...catalog import Catalog, kinds_of

TERMS_FILE = "terms.json"
TERM_VECTORS_FILE = "term_vectors.npy"
# Chosen on the demo catalog's training utterances (`convrec eval understanding --tune-links`);
# never on the other-domain test catalog.
NAME_THRESHOLD = 0.86
ITEMS_THRESHOLD = 0.12
# Chosen on the same rows with the demo catalog's Chinese category names, the two above kept.
ALIAS_THRESHOLD = 0.92
FORMAT_VERSION = 3


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


@dataclass
class CatalogTerms:
    names: list[str]
    name_vectors: np.ndarray  # (categories, dim), unit rows
    centroids: np.ndarray  # (categories, dim), unit rows
    kinds: list[str]
    aliases: list[tuple[int, str]] = field(default_factory=list)  # (category position, name in another language)
    alias_vectors: np.ndarray | None = None  # (aliases, dim), unit rows

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
        aliases = [(i, alias) for i, n in enumerate(names)
                   for _, written in sorted(catalog.category_names.get(n, {}).items()) for alias in written]
        alias_vectors = encode([a for _, a in aliases]).astype(np.float32) if aliases else None
        return cls(names, vectors.astype(np.float32), centroids.astype(np.float32), kinds_of(catalog.items),
                   aliases, alias_vectors)

    def save(self, catalog_dir: Path, source_sha256: str = "") -> None:
        extra = [self.alias_vectors] if self.alias_vectors is not None else []
        np.save(catalog_dir / TERM_VECTORS_FILE, np.concatenate([self.name_vectors, self.centroids, *extra]))
        (catalog_dir / TERMS_FILE).write_text(
            json.dumps(
                {
                    "format_version": FORMAT_VERSION,
                    "source_sha256": source_sha256,
                    "categories": self.names,
                    "kinds": self.kinds,
                    "aliases": self.aliases,
                },
                ensure_ascii=False,
            )
        )

    @classmethod
    def load(cls, catalog_dir: Path) -> CatalogTerms | None:
        meta = read_meta(catalog_dir / TERMS_FILE, FORMAT_VERSION)
        if meta is None:
            return None
        vectors = np.load(catalog_dir / TERM_VECTORS_FILE)
        count = len(meta["categories"])
        aliases = [(int(i), str(a)) for i, a in meta["aliases"]]
        return cls(meta["categories"], vectors[:count], vectors[count : 2 * count], meta["kinds"], aliases,
                   vectors[2 * count :] if aliases else None)

    def exact(self, surface: str) -> str | None:
        """A category written as its name (or plural) or one of its other names: no encoder needed."""
        text = _normal(surface)
        for name in self.names:
            if text in (_normal(name), _normal(name) + "s", _normal(name) + "es"):
                return name
        return next((self.names[i] for i, alias in self.aliases if _normal(alias) == text), None)

    def scores(self, span_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(spans, categories) cosines to the closest of its other names (-1 without any), to its
        own name, and to what sets its items apart."""
        by_alias = np.full((len(span_vectors), len(self.names)), -1.0, dtype=np.float32)
        if self.alias_vectors is not None:
            cosines = span_vectors @ self.alias_vectors.T
            for column, (category, _) in enumerate(self.aliases):
                by_alias[:, category] = np.maximum(by_alias[:, category], cosines[:, column])
        return by_alias, span_vectors @ self.name_vectors.T, span_vectors @ self.centroids.T

    def link(
        self,
        surfaces: list[str],
        encode,
        thresholds: tuple[float, float] = (NAME_THRESHOLD, ITEMS_THRESHOLD),
        alias_threshold: float = ALIAS_THRESHOLD,
    ) -> list[tuple[str | None, float]]:
        """Per span: (category, cosine), or (None, 0.0) when nothing is close enough."""
        out: list[tuple[str | None, float] | None] = [(n, 1.0) if (n := self.exact(s)) else None for s in surfaces]
        pending = [i for i, o in enumerate(out) if o is None]
        if pending and self.names:
            scores = self.scores(encode([surfaces[i] for i in pending]))
            for row, i in enumerate(pending):
                out[i] = _choose(self.names, [s[row] for s in scores], (alias_threshold, *thresholds))
        return [o if o is not None else (None, 0.0) for o in out]


def _choose(names: list[str], scores: list[np.ndarray], thresholds: tuple[float, ...]) -> tuple[str | None, float]:
    """The first representation (other names, own name, items) whose best cosine clears its threshold."""
    for cosines, threshold in zip(scores, thresholds, strict=True):
        best = int(cosines.argmax())
        if cosines[best] >= threshold:
            return names[best], float(cosines[best])
    return None, 0.0


def read_meta(path: Path, version: int) -> dict | None:
    """A JSON file written beside a catalog, when it is there in this format version."""
    if not path.exists():
        return None
    meta = json.loads(path.read_text())
    return meta if meta.get("format_version") == version else None


def build_terms(catalog_dir: Path, e5_dir: Path) -> CatalogTerms:
    """The catalog's terms from its items and multilingual passage vectors (built before this)."""
    from ... import artifacts

    def build(catalog: Catalog, encode) -> CatalogTerms:
        return CatalogTerms.build(catalog, np.load(catalog_dir / artifacts.E5_EMBEDDINGS_FILE), encode)

    return build_once(catalog_dir, e5_dir, TERMS_FILE, CatalogTerms.load, build)


def build_once(catalog_dir: Path, e5_dir: Path, file: str, load, build):
    """`build(catalog, encode)` with the multilingual encoder's query vectors, saved beside the
    catalog; what `load` reads back is kept when the catalog has not changed since."""
    from ... import artifacts
    from ..e5 import E5Encoder

    sha = artifacts.read_manifest(catalog_dir)["source_sha256"]
    path = catalog_dir / file
    if path.exists() and json.loads(path.read_text()).get("source_sha256") == sha:
        loaded = load(catalog_dir)
        if loaded is not None:
            return loaded
    encoder = E5Encoder(e5_dir)
    built = build(artifacts.load_catalog(catalog_dir), lambda t: encoder.encode(t, "query"))
    built.save(catalog_dir, sha)
    return built
