"""convrec_kit.text: language detection, folding, title normalisation, tokenisation."""

from __future__ import annotations

import pytest

from convrec_kit.text import STOPWORDS, detect_language, fold, has_cjk, normalize_title, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [("hello there", False), ("你好", True), ("I liked 黑客帝国", True), ("", False), ("１２３", False)],
)
def test_has_cjk(text, expected):
    assert has_cjk(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("recommend a movie", "en"),
        ("", "en"),
        ("你好", "zh"),
        ("我想看一部科幻电影", "zh"),
        ("I really liked 黑客帝国 a lot", "zh"),  # two CJK characters are enough
        ("a 好", "zh"),  # 1 CJK vs 1 latin letter
        ("this is a long english sentence with one 好 character", "en"),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


def test_fold_turns_full_width_into_ascii_lower_case():
    assert fold("ＡＢＣ１２３！") == "abc123!"
    assert fold("The MATRIX") == "the matrix"
    assert fold("《黑客帝国》") == "《黑客帝国》"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Matrix (1999)", "matrix"),
        ("matrix", "matrix"),
        ("A Beautiful Mind", "beautiful mind"),
        ("An Education", "education"),
        ("Pride & Prejudice", "pride and prejudice"),
        ("Star Wars: A New Hope", "star wars a new hope"),
        ("  Mrs.   Doubtfire  ", "mrs doubtfire"),
        ("ＴＨＥ ＭＡＴＲＩＸ", "matrix"),
        ("Theory of Everything", "theory of everything"),  # "The" only as a whole word
    ],
)
def test_normalize_title(title, expected):
    assert normalize_title(title) == expected


def test_normalize_title_trailing_article():
    assert normalize_title("Matrix, The") == "matrix"


def test_tokenize_drops_stopwords_and_stems_plurals():
    assert tokenize("The Cats are running in Movies") == ["cat", "running"]
    assert tokenize("stories about glass") == ["story", "glass"]


def test_tokenize_keep_stopwords():
    assert tokenize("The cats", keep_stopwords=True) == ["the", "cat"]


def test_tokenize_full_width_and_digits():
    assert tokenize("ｈｅｌｌｏ １２３") == ["hello", "123"]


def test_tokenize_chinese_uses_jieba_search_mode():
    tokens = tokenize("我想看科幻电影")
    assert "科幻" in tokens
    assert "电影" in tokens
    assert all(t.strip() for t in tokens)


def test_tokenize_mixed_text_has_both_scripts():
    tokens = tokenize("Matrix 科幻")
    assert tokens[0] == "matrix"
    assert "科幻" in tokens


def test_stopwords_cover_domain_fillers():
    for word in ("movie", "books", "recommend", "the", "something"):
        assert word in STOPWORDS
    assert "alien" not in STOPWORDS
