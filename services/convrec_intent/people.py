"""Links people named in text (directors, cast, authors, brands) to the catalog's names:
whole names, close misspellings of them, and a surname alone where the text marks it."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from convrec_kit.catalog import Catalog
from convrec_kit.text import STOPWORDS, fold, normalize_title

from . import fuzzy as fz
from .fuzzy import Thresholds

_PERSON_CUE = re.compile(
    r"(?:by|from|director|directed by|starring|stars|with|featuring|actor|actress|author|writer)\s*$"
)


class PeopleLinker:
    """Finds directors, cast and authors of the catalog named in text: whole names, close
    misspellings of them, and a surname alone where the text marks it as a name."""

    def __init__(self, catalog: Catalog, fuzzy: bool = True, thresholds: Thresholds | None = None) -> None:
        self._names: dict[str, str] = {}
        for item in catalog.items:
            for key in catalog.name_fields:
                for name in item.attributes.get(key, "").split(","):
                    name = name.strip()
                    if len(name) >= 4 and " " in name:
                        self._names[fold(name)] = name
        self._pattern = (
            re.compile(
                r"(?<![\w])("
                + "|".join(re.escape(n) for n in sorted(self._names, key=len, reverse=True))
                + r")(?![\w])"
            )
            if self._names
            else None
        )
        self._fuzzy = fuzzy and bool(self._names)
        self._t = thresholds or Thresholds()
        if self._fuzzy:
            self._index(catalog)

    def _index(self, catalog: Catalog) -> None:
        # "Liu Cixin (刘慈欣)" is also "liu cixin" and "刘慈欣".
        self._keys = {fz.ascii_key(re.sub(r"\s*\(.*?\)", "", k)): v for k, v in self._names.items()}
        self._zh_names = {zh: v for k, v in self._names.items() for zh in re.findall(r"[\u3400-\u9fff·]{2,}", k)}
        self._postings: dict[str, set[str]] = {}
        surnames: dict[str, set[str]] = {}
        for key in self._keys:
            for word in re.findall(r"[a-z]+", key):
                if len(word) >= 3:
                    self._postings.setdefault(word, set()).add(key)
            surnames.setdefault(re.findall(r"[a-z]+", key)[-1], set()).add(key)
        titles = {w for item in catalog.items for w in fz.ascii_key(normalize_title(item.title)).split()}
        prose = fz.prose_words(item.description for item in catalog.items)
        # A surname alone must be one person's, and not a word of any title.
        self._surnames = {
            s: next(iter(k)) for s, k in surnames.items() if len(k) == 1 and len(s) >= 4 and s not in titles
        }
        self._common_surnames = {s for s in self._surnames if s in prose or s in STOPWORDS}
        self._near = fz.NearIndex(self._postings)

    def link(self, text: str) -> list[tuple[str, int, int]]:
        if self._pattern is None:
            return []
        found = [(self._names[m[1]], m.start(), m.end()) for m in self._pattern.finditer(fold(text))]
        if self._fuzzy:
            found += self._chinese(text, [(s, e) for _, s, e in found])
            found += self._fuzzy_link(text, [(s, e) for _, s, e in found])
        return sorted(found, key=lambda f: f[1])

    def _chinese(self, text: str, taken) -> list[tuple[str, int, int]]:
        folded, out = fold(text), []
        for zh, name in self._zh_names.items():
            start = folded.find(zh)
            if start >= 0 and not fz.overlaps(start, start + len(zh), taken):
                out.append((name, start, start + len(zh)))
        return out

    def _fuzzy_link(self, text: str, taken: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
        p, origin = fz.plain(text)
        toks = [(m[1], origin[m.start(1)], origin[m.end(1) - 1] + 1) for m in re.finditer(r"([a-z]+)(?:'s)?", p)]
        hits = []
        for i, (word, _, _) in enumerate(toks):
            if len(word) < 3 or word in STOPWORDS:
                continue
            for near in self._near.lookup(word):
                for key in self._postings[near]:
                    hits += self._full_name(key, toks, i)
        out = []
        for _score, key, start, end in sorted(hits, reverse=True):
            if not fz.overlaps(start, end, taken):
                taken.append((start, end))
                out.append((self._keys[key], start, end))
        return out + self._surname_only(text, toks, taken)

    def _full_name(self, key: str, toks, i: int) -> list[tuple[float, str, int, int]]:
        parts = key.split()
        out = []
        for s in range(max(0, i - len(parts) + 1), i + 1):
            window = toks[s : s + len(parts)]
            if len(window) < 2:
                continue
            typed = " ".join(w for w, _, _ in window)
            score = fuzz.ratio(typed, key)
            if score >= self._t.person_ratio and all(any(fz.near(w, q) or w == q for q in parts) for w, _, _ in window):
                out.append((score, key, window[0][1], window[-1][2]))
        return out

    def _surname_only(self, text: str, toks, taken) -> list[tuple[str, int, int]]:
        """'by Nolan', 'a Kubrick film', "Miyazaki's": a surname alone names its only bearer."""
        out = []
        for word, start, end in toks:
            key = self._surnames.get(word)
            if key is None or fz.overlaps(start, end, taken):
                continue
            before = text[:start].rstrip()
            capitalised = text[start].isupper() and bool(before) and before[-1] not in ".!?"
            cued = bool(_PERSON_CUE.search(before.lower())) or text[start : end + 2].lower().endswith("'s")
            if (capitalised and cued) if word in self._common_surnames else (capitalised or cued):
                taken.append((start, end))
                out.append((self._keys[key], start, end))
        return out
