"""convrec_intent.mentions: linking titles and people in text to catalog ids."""

from __future__ import annotations

import pytest

from convrec_intent.mentions import PeopleLinker, TitleLinker


@pytest.fixture(scope="module")
def linker(catalog):
    return TitleLinker(catalog)


def ids(linker, text):
    return [m.item_id for m in linker.link(text)]


def test_exact_title_with_span_and_surface(linker):
    text = "I loved The Matrix"
    [m] = linker.link(text)
    assert m.item_id == "mv-the-matrix-1999"
    assert m.title == "The Matrix"
    assert (m.start, m.end) == (8, 18)
    assert text[m.start : m.end] == m.surface == "The Matrix"
    assert m.confidence == 1.0


@pytest.mark.parametrize(
    "text",
    ["THE MATRIX!!", "something like the matrix", "I liked the matrix", "something like the matrix (1999)"],
)
def test_case_punctuation_and_missing_year(linker, text):
    assert ids(linker, text) == ["mv-the-matrix-1999"]


def test_bare_lower_case_title_with_article(linker):
    assert ids(linker, "the matrix") == ["mv-the-matrix-1999"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("shawshank redemption", "mv-the-shawshank-redemption-1994"),
        ("mrs doubtfire", "mv-mrs-doubtfire-1993"),
        ("Mrs. Doubtfire", "mv-mrs-doubtfire-1993"),
        ("singin in the rain", "mv-singin-in-the-rain-1952"),
        ("it's a wonderful life", "mv-it-s-a-wonderful-life-1946"),
        ("the dark knight rises", "mv-the-dark-knight-rises-2012"),
        ("The Dark Knight", "mv-the-dark-knight-2008"),
        ("the godfather part ii", "mv-the-godfather-part-ii-1974"),
    ],
)
def test_multi_word_titles_link_regardless_of_case(linker, text, expected):
    assert ids(linker, text) == [expected]


def test_longest_match_wins(linker):
    assert ids(linker, "the dark knight rises") == ["mv-the-dark-knight-rises-2012"]
    assert ids(linker, "Aliens or Alien") == ["mv-aliens-1986", "mv-alien-1979"]


def test_several_titles_in_order(linker):
    mentions = linker.link("like Inception and Interstellar")
    assert [m.item_id for m in mentions] == ["mv-inception-2010", "mv-interstellar-2014"]
    assert mentions[0].end <= mentions[1].start


def test_chinese_bracketed_title(linker):
    [m] = linker.link("我今天看了《肖申克的救赎》，推荐一些类似的电影")
    assert m.item_id == "mv-the-shawshank-redemption-1994"
    assert m.surface == "肖申克的救赎"


def test_chinese_title_without_brackets(linker):
    assert ids(linker, "我喜欢肖申克的救赎") == ["mv-the-shawshank-redemption-1994"]
    assert ids(linker, "千与千寻") == ["mv-spirited-away-2001"]


def test_short_chinese_title_needs_a_cue_or_brackets(linker):
    assert ids(linker, "金刚") == []
    assert ids(linker, "类似金刚的电影") == ["mv-king-kong-1933"]


def test_common_word_title_is_not_linked_without_a_cue(linker):
    assert ids(linker, "what's up") == []
    assert ids(linker, "Up") == []  # capitalised only because it starts the sentence
    assert ids(linker, "alien movies") == []
    assert ids(linker, "an alien invasion") == []
    assert ids(linker, "a ghost story") == []


@pytest.mark.parametrize("text", ["I liked Up", "i liked up", "Have you seen Up?"])
def test_common_word_title_is_linked_with_a_cue(linker, text):
    assert ids(linker, text) == ["mv-up-2009"]


def test_quoted_title_is_linked(linker):
    assert ids(linker, "I enjoyed 'Heat'") == ["mv-heat-1995"]


def test_ambiguous_title_year_disambiguates(linker):
    # "To Live" is both a 1994 movie and a book
    [m] = linker.link("To Live 1994")
    assert m.item_id == "mv-to-live-1994"
    assert m.confidence == 1.0
    [m] = linker.link("I loved Pride and Prejudice")
    assert m.item_id in ("mv-pride-prejudice-2005", "bk-pride-and-prejudice")
    assert m.confidence == 0.5


def test_ampersand_title_is_linked(linker):
    assert ids(linker, "I loved Pride & Prejudice") == ["mv-pride-prejudice-2005"]


def test_title_without_apostrophe_is_linked(linker):
    assert ids(linker, "I loved Schindlers List") == ["mv-schindler-s-list-1993"]


def test_apostrophe_title_is_linked(linker):
    assert ids(linker, "I loved Schindler's List") == ["mv-schindler-s-list-1993"]


def test_no_title_no_mentions(linker):
    assert linker.link("recommend a funny movie for tonight") == []
    assert linker.link("") == []


def test_people_linker(catalog):
    people = PeopleLinker(catalog)
    [(name, start, end)] = people.link("something by frank capra please")
    assert name == "Frank Capra"
    assert (start, end) == (13, 24)
    assert people.link("nothing here") == []


@pytest.mark.parametrize(
    "text", ["I loved it", "have you seen it?", "I liked her", "Have you seen Alien? It is a classic."]
)
def test_pronoun_is_not_a_title_even_after_a_cue(linker, text):
    assert "mv-it-2017" not in ids(linker, text) and "mv-her-2013" not in ids(linker, text)


def test_pronoun_title_written_as_a_name_or_dated_is_linked(linker):
    assert ids(linker, "I watched Her last night") == ["mv-her-2013"]
    assert ids(linker, "her (2013) was lovely") == ["mv-her-2013"]
