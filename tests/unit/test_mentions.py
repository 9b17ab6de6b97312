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


# ---- typo tolerance (fuzzy linker, the default)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Interstelar", "mv-interstellar-2014"),
        ("something like the godfater", "mv-the-godfather-1972"),
        ("Shawshank Redemtion was amazing", "mv-the-shawshank-redemption-1994"),
        ("godfather 1974", "mv-the-godfather-1972"),  # a wrong year does not hide the title
        ("I loved silence of lambs", "mv-the-silence-of-the-lambs-1991"),
        ("something like lord of rings 2002", "mv-the-lord-of-the-rings-the-two-towers-2002"),
        ("I want something like Ghost Busters", "mv-ghostbusters-1984"),
        ("leon the professional", "mv-leon-the-professional-1994"),
        ("godfather part 2", "mv-the-godfather-part-ii-1974"),
        ("I liked Toy Story two", "mv-toy-story-2-1999"),
        ("have you read The Selfsh Gene", "bk-the-selfish-gene"),
        ("interstellar was great", "mv-interstellar-2014"),
    ],
)
def test_misspelt_or_incomplete_titles_are_linked(linker, text, expected):
    [m] = linker.link(text)
    assert m.item_id == expected
    assert text[m.start : m.end] == m.surface
    assert not m.ambiguous and 0.8 <= m.confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我喜欢肖申克救赎", "mv-the-shawshank-redemption-1994"),  # a character missing
        ("我很喜欢美丽的人生", "mv-life-is-beautiful-1997"),  # one extra
        ("《霸王别鸡》这部怎么样", "mv-farewell-my-concubine-1993"),  # a wrong character, read as a missing one
        ("我想看教父第二部", "mv-the-godfather-part-ii-1974"),
        ("教父2", "mv-the-godfather-part-ii-1974"),
        ("我喜欢教父", "mv-the-godfather-1972"),
        ("我喜欢蝙蝠侠黑暗骑士", "mv-the-dark-knight-2008"),
        ("我喜欢复仇者联盟终局之战", "mv-avengers-endgame-2019"),
    ],
)
def test_chinese_title_variants_are_linked(linker, text, expected):
    assert ids(linker, text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "ghosts everywhere",
        "a movie set on a dark night",
        "I want a love story",
        "a movie about a gladiator",
        "I'm in the mood for a thriller",
        "recommend something about economics",
        "movies from 2001",
        "have you read Lord of the Flies",
        "I liked Upp",  # no fuzzy matching for titles of three letters or fewer
        "the the the",
        "我想看关于人类历史的书",
        "我想看狮子的纪录片",
    ],
)
def test_fuzzy_matching_leaves_ordinary_words_alone(linker, text):
    assert ids(linker, text) == []


def test_exact_only_linker_keeps_the_old_behaviour(catalog):
    old = TitleLinker(catalog, fuzzy=False)
    assert ids(old, "Interstelar") == []
    assert ids(old, "我喜欢肖申克救赎") == []
    assert ids(old, "I loved The Matrix") == ["mv-the-matrix-1999"]
    assert all(not m.ambiguous for m in old.link("I loved Pride and Prejudice"))


# ---- ambiguity


def _tiny_catalog():
    from convrec_kit.catalog import Catalog, item_from_record

    rows = [
        ("mv-king-kong-1933", "King Kong", 1933, 7.9),
        ("mv-king-kong-2005", "King Kong", 2005, 7.2),
        ("mv-alien-1979", "Alien", 1979, 8.5),
        ("mv-aliens-1986", "Aliens", 1986, 8.4),
    ]
    return Catalog(
        item_from_record({"item_id": i, "title": t, "categories": ["movie"], "numeric": {"year": y, "rating": r}})
        for i, t, y, r in rows
    )


def test_a_remake_without_a_year_is_ambiguous():
    linker = TitleLinker(_tiny_catalog())
    [m] = linker.link("I loved King Kong")
    assert m.item_id == "mv-king-kong-1933"  # the better rated first
    assert m.ambiguous and m.alternatives == ("mv-king-kong-2005",)
    [m] = linker.link("I loved King Kong 2005")
    assert m.item_id == "mv-king-kong-2005" and not m.ambiguous and m.alternatives == ()
    [m] = linker.link("I loved King Kongg")  # fuzzy, same rule
    assert m.item_id == "mv-king-kong-1933" and m.alternatives == ("mv-king-kong-2005",)


def test_a_misspelling_between_two_close_titles_is_ambiguous():
    linker = TitleLinker(_tiny_catalog())
    [m] = linker.link("I liked Alienz")  # one edit from "Alien", one from "Aliens"
    assert (m.item_id, m.ambiguous, m.alternatives) == ("mv-alien-1979", True, ("mv-aliens-1986",))
    [m] = linker.link("I liked Alienz 1986")  # a year in the text settles it
    assert (m.item_id, m.ambiguous) == ("mv-aliens-1986", False)
    [m] = linker.link("I liked Alens")  # clearly closer to "Aliens"
    assert (m.item_id, m.ambiguous) == ("mv-aliens-1986", False)


def test_an_exact_title_is_not_ambiguous_with_a_near_one():
    [m] = TitleLinker(_tiny_catalog()).link("something like Alien")
    assert (m.item_id, m.ambiguous, m.alternatives) == ("mv-alien-1979", False, ())


def test_ambiguity_in_the_demo_catalog(linker):
    [m] = linker.link("I loved Pride and Prejudice")  # a film and the novel
    assert m.ambiguous and {m.item_id, *m.alternatives} == {"mv-pride-prejudice-2005", "bk-pride-and-prejudice"}
    [m] = linker.link("lord of the rings")  # the prefix of three titles
    assert m.ambiguous and len(m.alternatives) == 2
    [m] = linker.link("I loved Alien")  # the whole title beats "Alien: Covenant"
    assert m.item_id == "mv-alien-1979" and not m.ambiguous


def test_parse_response_carries_the_ambiguity(catalog):
    import numpy as np

    from convrec_intent.parser import Parser
    from convrec_kit.models.intent import LABELS

    probs = np.zeros(len(LABELS), dtype=np.float32)
    probs[LABELS.index("RECOMMEND")] = 1.0
    [m] = Parser(catalog, 0.5).parse("something like lord of the rings", probs).mentions
    assert m.ambiguous and len(m.alternative_item_ids) == 2 and m.item_id not in m.alternative_item_ids
    [m] = Parser(catalog, 0.5).parse("something like Interstelar", probs).mentions
    assert m.item_id == "mv-interstellar-2014" and not m.ambiguous and not m.alternative_item_ids


# ---- people


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("something by cristopher nolan", "Christopher Nolan"),
        ("movies by nolan", "Christopher Nolan"),
        ("a Kubrick film", "Stanley Kubrick"),
        ("films by Hayao Miyazki", "Hayao Miyazaki"),
        ("我喜欢刘慈欣的书", "Liu Cixin (刘慈欣)"),
    ],
)
def test_people_misspelt_or_by_surname(catalog, text, expected):
    assert [name for name, _, _ in PeopleLinker(catalog).link(text)] == [expected]


@pytest.mark.parametrize("text", ["movies with stone in the title", "a young cast", "Nolan"])
def test_a_surname_that_is_a_word_or_unmarked_is_not_a_person(catalog, text):
    assert PeopleLinker(catalog).link(text) == []
    assert PeopleLinker(catalog, fuzzy=False).link("cristopher nolan") == []
