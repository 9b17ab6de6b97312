"""Links item names in text to catalog ids: case, punctuation, a missing year, Chinese titles."""

from __future__ import annotations

import re
from dataclasses import dataclass

from convrec_kit.catalog import Catalog
from convrec_kit.text import STOPWORDS, fold, normalize_title

from .lexicon import CATEGORY_ZH, DOMAIN_ZH

_TOKEN = re.compile(r"[\w\u3400-\u9fff]+(?:['\u2019][a-z]+)?|&")
_CUE_BEFORE = re.compile(
    r"(?:like|as|than|seen|watched|saw|loved|liked|enjoyed|read|about|hated|love|watch|"
    r"看了|看过|喜欢|类似|像)\s*[\"'“《]?\s*$"
)
_PRONOUNS = frozenset("it her him us them me you she he we they this that those these".split())
_YEAR_AFTER = re.compile(r"\s*\((?:19|20)\d\d\)")
MAX_TITLE_TOKENS = 12


@dataclass
class Mention:
    item_id: str
    title: str
    surface: str
    start: int
    end: int
    confidence: float


class TitleLinker:
    """Finds catalog titles in text, longest match first, without overlaps."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._en: dict[str, list[str]] = {}
        self._zh: dict[str, list[str]] = {}
        # (article, key) of titles that begin with an article: "the matrix" -> ("the", "matrix").
        self._articles: set[tuple[str, str]] = set()
        for item in catalog.items:
            names = {normalize_title(item.title)}
            first = fold(item.title).split(" ", 1)[0]
            if first in ("the", "a", "an"):
                self._articles.add((first, normalize_title(item.title)))
            if ":" in item.title:
                names.add(normalize_title(item.title.split(":")[0]))
            for name in names:
                if name:
                    self._en.setdefault(name, []).append(item.item_id)
            zh = item.attributes.get("title_zh", "").strip()
            if len(zh) >= 2:
                self._zh.setdefault(fold(zh), []).append(item.item_id)
        self._zh_keys = sorted(self._zh, key=len, reverse=True)

    def _choose(self, ids: list[str], text: str) -> tuple[str, float]:
        if len(ids) == 1:
            return ids[0], 1.0
        years = {int(y) for y in re.findall(r"(?:19|20)\d\d", text)}
        for item_id in ids:
            if int(self._catalog.get(item_id).numeric.get("year", 0)) in years:
                return item_id, 1.0
        best = max(ids, key=lambda i: self._catalog.get(i).numeric.get("rating", 0.0))
        return best, 1.0 / len(ids)

    def link(self, text: str) -> list[Mention]:
        mentions = self._link_zh(text)
        taken = [(m.start, m.end) for m in mentions]
        mentions += self._link_en(text, taken)
        return sorted(mentions, key=lambda m: m.start)

    def _link_zh(self, text: str) -> list[Mention]:
        folded = fold(text)
        out: list[Mention] = []
        taken: list[tuple[int, int]] = []
        for key in self._zh_keys:
            start = folded.find(key)
            while start >= 0:
                span = (start, start + len(key))
                start = folded.find(key, span[1])
                if any(span[0] < e and s < span[1] for s, e in taken):
                    continue
                bracketed = folded[max(0, span[0] - 1) : span[0]] == "《"
                # Short titles and titles that are ordinary words ("经济学") need 《》 or a cue.
                ordinary = len(key) <= 2 or key in CATEGORY_ZH or key in DOMAIN_ZH
                if ordinary and not bracketed and not _CUE_BEFORE.search(folded[: span[0]]):
                    continue
                item_id, conf = self._choose(self._zh[key], folded)
                taken.append(span)
                out.append(
                    Mention(
                        item_id,
                        self._catalog.get(item_id).title,
                        text[span[0] : span[1]],
                        span[0],
                        span[1],
                        conf,
                    )
                )
        return out

    def _link_en(self, text: str, taken: list[tuple[int, int]]) -> list[Mention]:
        tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        folded = [normalize_title(t) for t, _, _ in tokens]
        out: list[Mention] = []
        i = 0
        while i < len(tokens):
            for n in range(min(MAX_TITLE_TOKENS, len(tokens) - i), 0, -1):
                words = [w for w in folded[i : i + n] if w]
                start, end = tokens[i][1], tokens[i + n - 1][2]
                key = normalize_title(" ".join(words))
                if key not in self._en or any(start < e and s < end for s, e in taken):
                    continue
                article = folded[i]
                if n > 1 and article in ("the", "a", "an") and (article, key) not in self._articles:
                    continue  # "an alien invasion" is not the title "Alien"
                if not self._plausible(text, tokens[i : i + n], key, start):
                    continue
                item_id, conf = self._choose(self._en[key], text)
                out.append(
                    Mention(item_id, self._catalog.get(item_id).title, text[start:end], start, end, conf)
                )
                i += n - 1
                break
            i += 1
        return out

    @staticmethod
    def _plausible(text: str, tokens, key: str, start: int) -> bool:
        """Titles made of common words must look like names: capitalised, quoted or cued."""
        words = key.split()
        common = all(w in STOPWORDS or len(w) <= 3 for w in words)
        typed = len(tokens)  # as written, before "the" is dropped
        if len(words) >= 3 and not common:
            return True
        capitalised = all(t[0][:1].isupper() or not t[0][:1].isalpha() for t in tokens)
        quoted = text[max(0, start - 1) : start] in {'"', "'", "“", "《"}
        dated = bool(_YEAR_AFTER.match(text[tokens[-1][2] :]))
        if len(words) == 1 and words[0] in _PRONOUNS:
            # "loved it" is not the film "It": a pronoun must be written as a name.
            sentence_start = not text[:start].strip() or text[:start].rstrip()[-1] in ".!?"
            return (capitalised and not sentence_start) or quoted or dated
        cued = bool(_CUE_BEFORE.search(text[:start].lower()))
        if common:
            return (capitalised and start > 0) or quoted or cued or dated
        return capitalised or quoted or cued or typed >= 2


class PeopleLinker:
    """Finds directors, cast and authors of the catalog named in text."""

    def __init__(self, catalog: Catalog) -> None:
        self._names: dict[str, str] = {}
        for item in catalog.items:
            for key in ("director", "cast", "author"):
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

    def link(self, text: str) -> list[tuple[str, int, int]]:
        if self._pattern is None:
            return []
        return [(self._names[m[1]], m.start(), m.end()) for m in self._pattern.finditer(fold(text))]
