"""Links item titles named in text to catalog ids: exact names first, then typos, missing
words and Chinese variants, marking a mention that fits several items as ambiguous."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from convrec_kit.catalog import Catalog
from convrec_kit.text import STOPWORDS, fold, normalize_title

from . import fuzzy as fz
from .fuzzy import Thresholds
from .lexicon import CATEGORY_EN, CATEGORY_ZH, DOMAIN_EN, DOMAIN_ZH, MOOD_EN
from .people import PeopleLinker

_TOKEN = re.compile(r"[\w\u3400-\u9fff]+(?:['\u2019][a-z]+)?|&")
_CUE_BEFORE = re.compile(
    r"(?:like|as|than|seen|watched|saw|loved|liked|enjoyed|read|about|hated|love|watch|"
    r"看了|看过|喜欢|类似|像)\s*[\"'“《]?\s*$"
)
_PRONOUNS = frozenset("it her him us them me you she he we they this that those these".split())
_YEAR_AFTER = re.compile(r"\s*\((?:19|20)\d\d\)")
_YEAR = re.compile(r"(?:19|20)\d\d")
_BARE_YEAR_AFTER = re.compile(r"\s*\(?(?:19|20)\d\d\b")
_CJK = re.compile(r"[\u3400-\u9fff]")
_QUOTES = {'"', "'", "“", "《"}
_ARTICLES = ("the", "a", "an")
MAX_TITLE_TOKENS = 12


@dataclass
class Mention:
    item_id: str
    title: str
    surface: str
    start: int
    end: int
    confidence: float
    ambiguous: bool = False
    # Close runners-up, best first (empty unless ambiguous).
    alternatives: tuple[str, ...] = ()


@dataclass
class _Name:
    """One way of writing a title, and the items written so."""

    key: str
    words: tuple[str, ...]
    compact: str
    ids: dict[str, bool] = field(default_factory=dict)  # item id -> its whole title (not a "Title:" prefix)
    content: int = 0  # letters in its words that are no stopwords

    def __post_init__(self) -> None:
        self.content = sum(len(w) for w in set(self.words) if not fz.is_stopword(w)) or len(self.compact)


@dataclass
class _Hit:
    name: _Name
    score: float
    start: int
    end: int


def _marked(text: str, tokens, start: int, mid_sentence: bool = False) -> bool:
    """Written as a name: capitalised (mid-sentence if asked), quoted, or after a cue ("like")."""
    before = text[:start].rstrip()
    capitalised = all(t[0][:1].isupper() or not t[0][:1].isalpha() for t in tokens)
    if mid_sentence:
        capitalised = capitalised and bool(before) and before[-1] not in ".!?"
    quoted = text[max(0, start - 1) : start] in _QUOTES
    return capitalised or quoted or bool(_CUE_BEFORE.search(text[:start].lower()))


def _canon_key(title: str) -> str:
    """'Léon', 'The Godfather Part II' -> 'leon', 'godfather 2'."""
    return fz.canon(fz.ascii_key(normalize_title(title)))


def _years(text: str) -> set[int]:
    return {int(y) for y in re.findall(r"(?:19|20)\d\d", text)}


class TitleLinker:
    """Finds catalog titles in text, longest exact match first, then close misspellings,
    without overlaps. fuzzy=False keeps to exact names only."""

    def __init__(self, catalog: Catalog, fuzzy: bool = True, thresholds: Thresholds | None = None) -> None:
        self._catalog = catalog
        self._fuzzy = fuzzy
        self._t = thresholds or Thresholds()
        # Fuzzy mode also folds accents, "Part II" and "two" into the exact keys.
        self._key = _canon_key if fuzzy else normalize_title
        self._en: dict[str, list[str]] = {}
        self._zh: dict[str, list[str]] = {}
        self._full: set[tuple[str, str]] = set()  # (key, item id) where the key is the whole title
        # (article, key) of titles that begin with an article: "the matrix" -> ("the", "matrix").
        self._articles: set[tuple[str, str]] = set()
        for item in catalog.items:
            self._add_en(item)
            self._add_zh(item)
        self._zh_keys = sorted(self._zh, key=len, reverse=True)
        # "ghost busters" is "Ghostbusters", before "Ghost" is found in it.
        self._compact = {k.replace(" ", ""): k for k in self._en} if fuzzy else {}
        self._lexical = set(CATEGORY_EN) | set(DOMAIN_EN) | set(MOOD_EN)
        if fuzzy:
            self._ordinary = fz.ordinary_words()
            self._index_en()
            self._index_zh()

    def _add_en(self, item) -> None:
        key = self._key(item.title)
        names = {key}
        self._full.add((key, item.item_id))
        first = fold(item.title).split(" ", 1)[0]
        if first in _ARTICLES:
            self._articles.add((first, key))
        if ":" in item.title:
            names.add(self._key(item.title.split(":")[0]))
        for name in names:
            if name:
                self._en.setdefault(name, []).append(item.item_id)

    def _add_zh(self, item) -> None:
        zh = item.attributes.get("title_zh", "").strip()
        if len(zh) < 2:
            return
        keys = {fold(zh): True} | (fz.zh_aliases(zh) if self._fuzzy else {})
        for key, full in keys.items():
            if len(key) >= 2 and item.item_id not in self._zh.get(key, ()):
                self._zh.setdefault(key, []).append(item.item_id)
                if full:
                    self._full.add((key, item.item_id))

    # ---- indexes for fuzzy matching

    def _index_en(self) -> None:
        self._names: dict[str, _Name] = {}
        for key, ids in self._en.items():
            name = _Name(key, tuple(key.split()), key.replace(" ", ""))
            name.ids = {i: (key, i) in self._full for i in ids}
            self._names[key] = name
        self._postings: dict[str, set[str]] = {}
        for key, name in self._names.items():
            for word in name.words:
                if not fz.is_stopword(word) and (len(word) >= 3 or not word.isalpha()):
                    self._postings.setdefault(word, set()).add(key)
            if len(name.words) > 1:
                self._postings.setdefault(name.compact, set()).add(key)
        self._near = fz.NearIndex(self._postings)

    def _index_zh(self) -> None:
        self._zh_names: dict[str, _Name] = {}
        for key, ids in self._zh.items():
            alias = fz.zh_key(key)
            if len(_CJK.findall(alias)) >= 2 and alias not in CATEGORY_ZH and alias not in DOMAIN_ZH:
                name = self._zh_names.setdefault(alias, _Name(alias, (), alias))
                name.ids.update({i: (key, i) in self._full for i in ids})
        self._bigrams: dict[str, set[str]] = {}
        for key in self._zh_names:
            for k in range(len(key) - 1):
                if _CJK.search(key[k : k + 2]):
                    self._bigrams.setdefault(key[k : k + 2], set()).add(key)
        self._zh_list = list(self._zh_names)

    # ---- linking

    def link(self, text: str) -> list[Mention]:
        mentions = self._link_zh(text)
        taken = [(m.start, m.end) for m in mentions]
        mentions += self._link_en(text, taken)
        if self._fuzzy:
            mentions = self._merge(mentions, self._fuzzy_zh(text) + self._fuzzy_en(text), text)
        return sorted(mentions, key=lambda m: m.start)

    def _merge(self, exact: list[Mention], hits: list[_Hit], text: str) -> list[Mention]:
        """Exact mentions stand, except inside a longer fuzzy match ("Gene" in "The Selfsh
        Gene", "复仇者联盟" in "复仇者联盟终局之战"); other fuzzy matches fill the gaps."""

        def fits(hit: _Hit) -> bool:
            for m in exact:
                inside = hit.start <= m.start and m.end <= hit.end and hit.end - hit.start > m.end - m.start
                if fz.overlaps(m.start, m.end, [(hit.start, hit.end)]) and not inside:
                    return False
            return True

        fuzzy = self._resolve([h for h in hits if fits(h)], text)
        return [m for m in exact if not any(f.start <= m.start and m.end <= f.end for f in fuzzy)] + fuzzy

    def _exact(self, key: str, ids: list[str], text: str, surface: str, start: int, end: int) -> Mention:
        if not self._fuzzy:
            item_id, conf = self._choose(ids, text)
            return Mention(item_id, self._catalog.get(item_id).title, surface, start, end, conf)
        scored = {i: ((key, i) in self._full, 100.0) for i in ids}
        return self._mention(scored, text, surface, start, end, exact=True)

    def _choose(self, ids: list[str], text: str) -> tuple[str, float]:
        """The exact-only choice: a year named in the text, else the best rated."""
        if len(ids) == 1:
            return ids[0], 1.0
        years = _years(text)
        for item_id in ids:
            if int(self._catalog.get(item_id).numeric.get("year", 0)) in years:
                return item_id, 1.0
        best = max(ids, key=lambda i: self._catalog.get(i).numeric.get("rating", 0.0))
        return best, 1.0 / len(ids)

    def _mention(self, scored: dict[str, tuple[bool, float]], text, surface, start, end, exact=False) -> Mention:
        """Orders the items a surface may name: a year in the text, a whole title over a
        'Title:' prefix, the match score, then popularity; close runners-up make it ambiguous."""
        years = _years(text)

        def rank(i: str) -> tuple:
            item = self._catalog.get(i)
            full, score = scored[i]
            popularity = item.numeric.get("popularity", item.numeric.get("rating", 0.0))
            return (int(item.numeric.get("year", 0)) in years, full, score, popularity)

        order = sorted(scored, key=rank, reverse=True)
        dated, full, score, _ = rank(order[0])
        margin = 0.0 if exact else self._t.margin

        def rival(i: str) -> bool:
            r_dated, r_full, r_score, _ = rank(i)
            if dated:
                return r_dated and r_score >= score - margin
            return (r_full or not full) and r_score >= score - margin

        rivals = tuple(i for i in order[1:] if rival(i))
        best = order[0]
        conf = round(score / 100.0 / (1 + len(rivals)), 4)
        return Mention(best, self._catalog.get(best).title, surface, start, end, conf, bool(rivals), rivals)

    def _link_zh(self, text: str) -> list[Mention]:
        folded = fold(text)
        out: list[Mention] = []
        taken: list[tuple[int, int]] = []
        for key in self._zh_keys:
            start = folded.find(key)
            while start >= 0:
                span = (start, start + len(key))
                start = folded.find(key, span[1])
                if fz.overlaps(*span, taken):
                    continue
                bracketed = folded[max(0, span[0] - 1) : span[0]] == "《"
                # Short titles and titles that are ordinary words ("经济学") need 《》 or a cue.
                ordinary = len(key) <= 2 or key in CATEGORY_ZH or key in DOMAIN_ZH
                if ordinary and not bracketed and not _CUE_BEFORE.search(folded[: span[0]]):
                    continue
                taken.append(span)
                out.append(self._exact(key, self._zh[key], folded, text[span[0] : span[1]], *span))
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
                key = self._key(" ".join(words))
                if n > 1 and key not in self._en:
                    key = self._compact.get(key.replace(" ", ""), key)
                if key not in self._en or fz.overlaps(start, end, taken):
                    continue
                article = folded[i]
                if n > 1 and article in _ARTICLES and (article, key) not in self._articles:
                    continue  # "an alien invasion" is not the title "Alien"
                if not self._plausible(text, tokens[i : i + n], key, start):
                    continue
                out.append(self._exact(key, self._en[key], text, text[start:end], start, end))
                i += n - 1
                break
            i += 1
        return out

    def _plausible(self, text: str, tokens, key: str, start: int) -> bool:
        """Titles made of common words must look like names: capitalised, quoted or cued."""
        words = key.split()
        common = all(w in STOPWORDS or len(w) <= 3 for w in words)
        typed = len(tokens)  # as written, before "the" is dropped
        if len(words) >= 3 and not common:
            return True
        capitalised = all(t[0][:1].isupper() or not t[0][:1].isalpha() for t in tokens)
        quoted = text[max(0, start - 1) : start] in _QUOTES
        after = text[tokens[-1][2] :]
        dated = bool(_YEAR_AFTER.match(after))
        if len(words) == 1 and words[0] in _PRONOUNS:
            # "loved it" is not the film "It": a pronoun must be written as a name.
            sentence_start = not text[:start].strip() or text[:start].rstrip()[-1] in ".!?"
            return (capitalised and not sentence_start) or quoted or dated
        cued = bool(_CUE_BEFORE.search(text[:start].lower()))
        if self._fuzzy:
            if key in self._lexical or _YEAR.fullmatch(key):
                # "about economics", "from 2001": a genre or a year is a title only when written as one.
                return quoted or (capitalised and start > 0 and not _YEAR.fullmatch(key)) or dated
            # A bare year after it ("godfather 1974") dates it; a word no dictionary has is a name.
            dated = dated or bool(_BARE_YEAR_AFTER.match(after))
            noun = text[:start].lower().split()[-1:] in (["a"], ["an"])  # "a gladiator" is no title
            if len(words) == 1 and not common and not noun and fz.ascii_key(words[0]) not in self._ordinary:
                return True
        if common:
            return (capitalised and start > 0) or quoted or cued or dated
        return capitalised or quoted or cued or dated or typed >= 2

    # ---- fuzzy English

    def _fuzzy_en(self, text: str) -> list[_Hit]:
        """Titles close to a window of words: misspelt, missing a word, written together."""
        p, origin = fz.plain(text)
        toks = [(w, origin[s], origin[e - 1] + 1) for w, s, e in fz.words(p)]
        hits = []
        for key, anchors in self._en_candidates(toks).items():
            hit = self._best_en_window(self._names[key], toks, anchors, text)
            if hit is not None:
                hits.append(hit)
        return hits

    def _en_candidates(self, toks) -> dict[str, set[tuple[int, int]]]:
        """Titles sharing a word (or a run of words written together) with the text, within an
        edit; kept when those words make up at least half of the title's content words."""
        found: dict[str, tuple[set, set]] = {}
        for i in range(len(toks)):
            for j in range(i + 1, min(i + 3, len(toks)) + 1):
                probe = "".join(w for w, _, _ in toks[i:j])
                if j == i + 1 and (fz.is_stopword(probe) or len(probe) < 3 and probe.isalpha()):
                    continue
                for word in self._near.lookup(probe):
                    for key in self._postings[word]:
                        anchors, matched = found.setdefault(key, (set(), set()))
                        anchors.add((i, j))
                        matched.add(word)
        out = {}
        for key, (anchors, matched) in found.items():
            name = self._names[key]
            covered = sum(len(w) for w in matched if w in name.words)
            if name.compact in matched or covered * 2 >= name.content:
                out[key] = anchors
        return out

    def _best_en_window(self, name: _Name, toks, anchors, text) -> _Hit | None:
        longest = len(name.words) + 1
        best: tuple[float, int, int] | None = None
        seen: set[tuple[int, int]] = set()
        for i, j in anchors:
            for s in range(max(0, j - longest), i + 1):
                for e in range(j, min(len(toks), s + longest) + 1):
                    if (s, e) in seen or toks[s][0] in _ARTICLES:
                        continue
                    seen.add((s, e))
                    words = [w for w, _, _ in toks[s:e]]
                    score = max(fuzz.ratio(" ".join(words), name.key), fuzz.ratio("".join(words), name.compact))
                    if best is None or score > best[0] or score == best[0] and e - s < best[2] - best[1]:
                        best = (score, s, e)
        if best is None or len(name.words) > 1 and best[0] < self._t.en_ratio:
            return None
        if not self._accept_en(name, toks[best[1] : best[2]], best[0], text):
            return None
        return _Hit(name, best[0], toks[best[1]][1], toks[best[2] - 1][2])

    def _accept_en(self, name: _Name, window, score: float, text: str) -> bool:
        words = [w for w, _, _ in window]
        start, end = window[0][1], window[-1][2]
        if len(name.compact) < 4 or all(fz.is_stopword(w) or w.isdigit() for w in words):
            return False
        tokens = [(text[s:e], s, e) for _, s, e in window]
        typed = "".join(words)
        if len(name.words) == 1:
            if len(name.key) < self._t.single_min_len:
                return False
            if typed == name.compact:
                ok = typed not in self._ordinary or self._plausible(text, tokens, name.key, start)
            else:
                ok = not (len(words) == 1 and typed in self._ordinary) and fz.near(typed, name.compact)
                # One letter in four is a lot: "helo" is no "Hero" unless written as a name.
                ok = ok and (len(name.key) > 4 or _marked(text, tokens, start, mid_sentence=True))
        elif score < self._t.en_ratio or name.words[-1].isdigit() and name.words[-1] not in words:
            return False  # a sequel's number is part of its name
        else:
            ok = self._words_fit(name, words, text, tokens, start)
        # Written exactly, the exact pass has had its say.
        return ok and self._key(text[start:end]) not in self._en

    def _words_fit(self, name: _Name, words, text, tokens, start) -> bool:
        """Each word written is a word of the title or a misspelling of one, together two thirds
        of its content words; a real word in place of a title word ("dark night") counts only
        where the text marks a name."""
        content = {w for w in name.words if not fz.is_stopword(w)}
        covered: set[str] = set()
        substituted = False
        for word in words:
            if word in name.words or fz.is_stopword(word):
                covered.add(word)
                continue
            close = {w for w in name.words if len(w) >= 3 and (fz.near(word, w) or fuzz.ratio(word, w) >= 70)}
            if not close and (len(word) < 3 or word not in name.compact):
                return False
            covered |= close | {w for w in name.words if w in word}  # "spiderman" covers "spider", "man"
            substituted = substituted or word in self._ordinary
        if 3 * len(covered & content) < 2 * len(content):
            return False
        return not substituted or _marked(text, tokens, start)

    # ---- fuzzy Chinese

    def _fuzzy_zh(self, text: str) -> list[_Hit]:
        """Chinese titles missing or gaining a character (two in long titles), punctuation aside."""
        p, origin = fz.plain(text)
        stream = [(c, origin[k]) for k, c in enumerate(p) if c.isalnum()]
        chars = "".join(c for c, _ in stream)
        hits = self._zh_bracketed(text)
        spans = [(h.start, h.end) for h in hits]
        found: dict[str, set[int]] = {}
        for k in range(len(chars) - 1):
            for key in self._bigrams.get(chars[k : k + 2], ()):
                found.setdefault(key, set()).add(k)
        for key, anchors in found.items():
            if len(key) < self._t.zh_min_len:
                continue
            best = self._best_zh_window(key, chars, anchors)
            edits = 1 if len(key) < self._t.zh_long_len else 2
            if best and Indel.distance(chars[best[1] : best[2]], key) <= edits:
                start, end = stream[best[1]][1], stream[best[2] - 1][1] + 1
                if not fz.overlaps(start, end, spans):
                    hits.append(_Hit(self._zh_names[key], best[0], start, end))
        return hits

    @staticmethod
    def _best_zh_window(key: str, chars: str, anchors) -> tuple[float, int, int] | None:
        best = None
        for k in anchors:
            for size in (len(key), len(key) - 1, len(key) + 1, len(key) - 2, len(key) + 2):
                for a in range(max(0, k + 2 - size), min(k, len(chars) - size) + 1):
                    score = fuzz.ratio(chars[a : a + size], key)
                    if best is None or score > best[0]:
                        best = (score, a, a + size)
        return best

    def _zh_bracketed(self, text: str) -> list[_Hit]:
        """《...》 says a title: its text is compared with every Chinese title, more leniently."""
        hits = []
        for m in re.finditer(r"《([^》]{2,30})》", text):
            typed = fz.zh_key(m.group(1))
            best = process.extractOne(typed, self._zh_list, scorer=fuzz.ratio, score_cutoff=self._t.zh_bracket_ratio)
            if best:
                hits.append(_Hit(self._zh_names[best[0]], best[1], m.start(1), m.end(1)))
        return hits

    # ---- choosing among overlapping fuzzy hits

    def _resolve(self, hits: list[_Hit], text: str) -> list[Mention]:
        out: list[Mention] = []
        taken: list[tuple[int, int]] = []
        for hit in sorted(hits, key=lambda h: (-h.score, h.start - h.end)):
            if fz.overlaps(hit.start, hit.end, taken):
                continue
            taken.append((hit.start, hit.end))
            scored: dict[str, tuple[bool, float]] = {}
            for other in hits:
                if other is hit or fz.overlaps(other.start, other.end, [(hit.start, hit.end)]):
                    for item_id, full in other.name.ids.items():
                        scored[item_id] = max(scored.get(item_id, (False, 0.0)), (full, other.score))
            out.append(self._mention(scored, text, text[hit.start : hit.end], hit.start, hit.end))
        return out


__all__ = ["Mention", "PeopleLinker", "TitleLinker"]
