"""The served catalog's own words as what a keyword in another script is also searched with:
"太空探索" adds "space" to the lexical query, the catalog word the multilingual encoder puts
closest, without a word table.

The words are those of the items' titles, descriptions and categories (the most frequent
MAX_WORDS), encoded once at build time; a keyword with Han characters gets its closest
PER_SPAN words whose cosine clears THRESHOLD."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...catalog import Catalog
from ...text import STOPWORDS, chinese_words, fold, has_cjk
from .terms import build_once, read_meta

WORDS_FILE = "words.json"
WORD_VECTORS_FILE = "word_vectors.npy"
MAX_WORDS = 20000
# Chosen on the rules' Chinese-to-English word table (`convrec eval words --tune`), never
# on the held-out pairs that command reports.
THRESHOLD = 0.875
PER_SPAN = 1
FORMAT_VERSION = 1
_WORD = re.compile(r"[a-z][a-z'-]*[a-z]")


def words_of(text: str) -> set[str]:
    """The searchable English words of a text: three letters or more, not a stop word."""
    return {w for w in _WORD.findall(fold(text)) if len(w) >= 3 and w not in STOPWORDS}


@dataclass
class CatalogWords:
    words: list[str]
    vectors: np.ndarray  # (words, dim), unit rows

    @classmethod
    def build(cls, catalog: Catalog, encode) -> CatalogWords:
        """`encode(texts)`: unit query vectors of the multilingual encoder."""
        counts = Counter(
            w for item in catalog.items for w in words_of(" ".join([item.title, item.description, *item.categories]))
        )
        words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_WORDS]]
        vectors = encode(words) if words else np.zeros((0, 0))
        return cls(words, np.asarray(vectors, np.float32))

    def save(self, catalog_dir: Path, source_sha256: str = "") -> None:
        np.save(catalog_dir / WORD_VECTORS_FILE, self.vectors.astype(np.float16))
        meta = {"format_version": FORMAT_VERSION, "source_sha256": source_sha256, "words": self.words}
        (catalog_dir / WORDS_FILE).write_text(json.dumps(meta))

    @classmethod
    def load(cls, catalog_dir: Path) -> CatalogWords | None:
        meta = read_meta(catalog_dir / WORDS_FILE, FORMAT_VERSION)
        return None if meta is None else cls(meta["words"], np.load(catalog_dir / WORD_VECTORS_FILE).astype(np.float32))

    def closest(self, surfaces: list[str], encode, limit: int = PER_SPAN) -> list[list[tuple[str, float]]]:
        """Per surface, its `limit` closest catalog words with their cosines, best first."""
        if not surfaces or not self.words:
            return [[] for _ in surfaces]
        scores = encode(surfaces) @ self.vectors.T
        tops = np.argsort(-scores, axis=1)[:, :limit]
        return [[(self.words[j], float(row[j])) for j in top] for row, top in zip(scores, tops, strict=True)]

    def translate_each(self, surfaces: list[str], encode, threshold: float = THRESHOLD) -> list[list[str]]:
        """Per surface written in Han characters, the catalog words for it and for each word
        of it ("太空探索": "太空", "探索"); [] for the others."""
        pieces = [pieces_of(s) if has_cjk(s) else [] for s in surfaces]
        flat = [p for ps in pieces for p in ps]
        near = iter(self.closest(flat, encode))
        out = []
        for ps in pieces:
            found = [w for _ in ps for w, cosine in next(near) if cosine >= threshold]
            out.append(list(dict.fromkeys(found)))
        return out

    def translate(self, surfaces: list[str], encode, threshold: float = THRESHOLD) -> list[str]:
        """The catalog words for the surfaces written in Han characters, in order, once each."""
        return list(dict.fromkeys(w for ws in self.translate_each(surfaces, encode, threshold) for w in ws))


def pieces_of(surface: str) -> list[str]:
    """A Chinese surface and, when it is more than one word, its words of two characters or more."""
    return [surface, *dict.fromkeys(w for w in chinese_words(surface) if len(w) >= 2 and w != surface)]

def build_words(catalog_dir: Path, e5_dir: Path) -> CatalogWords:
    """The catalog's words and their vectors, kept when the catalog has not changed since."""
    return build_once(catalog_dir, e5_dir, WORDS_FILE, CatalogWords.load, CatalogWords.build)
