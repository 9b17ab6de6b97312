"""Language detection, normalisation and tokenisation for English and Chinese text."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NON_WORD = re.compile(r"[^\w\u3400-\u9fff]+")

STOPWORDS = frozenset(
    """a an the and or of to in on at for with from by about as is are was were be been it
    its this that these those i me my we you your he she they them his her our their
    some any something anything want would like could can please show give find get me
    recommend suggest looking look for movie movies film films book books one ones
    good great nice really very just also so then than there what which who how do does
    did have has had not no but if into up out more most""".split()
)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def detect_language(text: str) -> str:
    """'zh' when the text is mostly or notably Chinese, else 'en'."""
    cjk = len(_CJK.findall(text))
    if cjk == 0:
        return "en"
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk * 3 >= latin * 0.5 or cjk >= 2 else "en"


def fold(text: str) -> str:
    """NFKC, lower case: full-width digits and punctuation become ASCII."""
    return unicodedata.normalize("NFKC", text).lower()


def normalize_title(title: str) -> str:
    """'The Matrix (1999)' and 'matrix' both become 'matrix'."""
    text = fold(title)
    text = re.sub(r"\(\s*\d{4}\s*\)\s*$", "", text).strip()
    text = re.sub(r",\s*(the|a|an)$", "", text)
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = _NON_WORD.sub(" ", text).strip()
    text = re.sub(r"^(the|a|an) ", "", text)
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def chinese_words(text: str) -> list[str]:
    """The words of a text's runs of Chinese, as jieba cuts them."""
    folded = fold(text)
    return [folded[start:end] for start, end in chinese_word_bounds(folded)]


def chinese_word_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of every word of the text's runs of Chinese, as jieba cuts them."""
    return [(run.start() + start, run.start() + end)
            for run in re.finditer(r"[\u3400-\u9fff]+", text) for _, start, end in _jieba().tokenize(run.group())]


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokenize(text: str, keep_stopwords: bool = False) -> list[str]:
    """Lexical tokens: stemmed English words and jieba words for Chinese runs."""
    text = fold(text)
    tokens: list[str] = []
    for word in _WORD.findall(text):
        if keep_stopwords or word not in STOPWORDS:
            tokens.append(_stem(word))
    if has_cjk(text):
        for run in re.findall(r"[\u3400-\u9fff]+", text):
            tokens.extend(w for w in _jieba().lcut_for_search(run) if w.strip())
    return tokens
