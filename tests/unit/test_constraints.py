"""convrec_intent.constraints.extract: rule-based slots in English and Chinese."""

from __future__ import annotations

import pytest

from convrec_intent.constraints import Extraction, extract

NOW = 2025


def en(text: str) -> Extraction:
    return extract(text, "en", NOW)


def zh(text: str) -> Extraction:
    return extract(text, "zh", NOW)


# ---- the headline Chinese request -------------------------------------------------


def test_chinese_economics_book_with_price_range():
    e = zh("我想买一本经济类的书，价格在100-200元之间")
    assert e.include == ["economics"]
    assert e.exclude == []
    assert e.ranges == {"price": [100.0, 200.0]}
    assert e.domain == "book"


# ---- prices -----------------------------------------------------------------------


def test_under_dollars_is_price_usd_max():
    assert en("something under $30").ranges == {"price_usd": [None, 30.0]}


def test_price_decimal_and_ranges_in_dollars():
    assert en("under $9.99").ranges == {"price_usd": [None, 9.99]}
    assert en("between $10 and $20").ranges == {"price_usd": [10.0, 20.0]}
    assert en("$10-$20").ranges == {"price_usd": [10.0, 20.0]}
    assert en("over $20").ranges == {"price_usd": [20.0, None]}
    assert en("20 dollars or less").ranges == {"price_usd": [None, 20.0]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100到200元的书", [100.0, 200.0]),
        ("100块以内", [None, 100.0]),
        ("200元以上的书", [200.0, None]),
        ("50元以下的书", [None, 50.0]),
    ],
)
def test_chinese_prices_are_cny(text, expected):
    assert zh(text).ranges == {"price": expected}


def test_swapped_price_range_is_normalised():
    assert zh("价格在200-100元之间").ranges == {"price": [100.0, 200.0]}
    assert en("a book between 30 and 10 dollars").ranges == {"price_usd": [10.0, 30.0]}


def test_bare_number_without_price_context_is_not_a_price():
    assert en("something under 100").ranges == {}
    # the 4-digit number is a year, not a price
    assert "price_usd" not in en("a movie from 1999").ranges


def test_default_currency_follows_language():
    # a price cue without a currency: CNY for Chinese, USD for English
    assert zh("预算不超过300").ranges == {"price": [None, 300.0]}
    assert en("a budget under 300").ranges == {"price_usd": [None, 300.0]}


# ---- years ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("a movie from the 90s", "en", [1990, 1999]),
        ("the '90s", "en", [1990, 1999]),
        ("80's movies", "en", [1980, 1989]),
        ("the 2000s", "en", [2000, 2009]),
        ("the 2010s", "en", [2010, 2019]),
        ("film from the 1980s", "en", [1980, 1989]),
        ("a movie in the nineties", "en", [1990, 1999]),
        ("90年代的电影", "zh", [1990, 1999]),
        ("八十年代的电影", "zh", [1980, 1989]),
        ("00年代", "zh", [2000, 2009]),
    ],
)
def test_decades(text, language, expected):
    assert extract(text, language, NOW).ranges == {"year": expected}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("movies after 2010", [2011, None]),
        ("since 2015", [2015, None]),
        ("2015 or later", [2015, None]),
        ("before 1980", [None, 1979]),
        ("pre-2000 films", [None, 1999]),
        ("up to 1990", [None, 1990]),
        ("released in 2010", [2010, 2010]),
        ("from 1995 to 2005", [1995, 2005]),
        ("something 1995-2005", [1995, 2005]),
        ("last 5 years", [2020, None]),
        ("in the last few years", [2022, None]),
    ],
)
def test_english_year_bounds(text, expected):
    assert en(text).ranges == {"year": expected}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010年以后的电影", [2011, None]),
        ("2010年以前的电影", [None, 2009]),
        ("2010年的电影", [2010, 2010]),
        ("最近5年的电影", [2020, None]),
    ],
)
def test_chinese_year_bounds(text, expected):
    assert zh(text).ranges == {"year": expected}


@pytest.mark.parametrize("text", ["movies between 2005 and 1995", "a movie from 2005-1995", "between 2005 to 1995"])
def test_swapped_year_range_is_normalised(text):
    assert en(text).ranges == {"year": [1995, 2005]}


def test_relative_years_use_now_year():
    assert extract("last 3 years", "en", 2030).ranges == {"year": [2027, None]}


def test_from_year_means_that_year():
    assert en("movies from 2010").ranges == {"year": [2010, 2010]}


# ---- runtime and rating ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("under 2 hours", "en", [None, 120.0]),
        ("less than 90 minutes", "en", [None, 90.0]),
        ("over 2 hours", "en", [120.0, None]),
        ("两个小时以内", "zh", [None, 120.0]),
        ("90分钟以内", "zh", [None, 90.0]),
    ],
)
def test_runtime(text, language, expected):
    assert extract(text, language, NOW).ranges == {"runtime": expected}


def test_rating():
    assert en("rating above 7.5").ranges == {"rating": [7.5, None]}
    assert zh("评分8分以上").ranges == {"rating": [8.0, None]}


def test_several_ranges_in_one_utterance():
    e = en("a movie under 2 hours from the 90s")
    assert e.ranges == {"year": [1990, 1999], "runtime": [None, 120.0]}
    assert e.domain == "movie"


# ---- categories and negation --------------------------------------------------


def test_includes_and_domain():
    e = en("recommend a sci-fi movie")
    assert e.include == ["science fiction"]
    assert e.exclude == []
    assert e.domain == "movie"
    assert en("any good science fiction books?").domain == "book"


def test_multi_category_phrase():
    assert en("a rom com please").include == ["romance", "comedy"]


@pytest.mark.parametrize(
    ("text", "excluded"),
    [
        ("no horror or thriller please", ["horror", "thriller"]),
        ("no horror, thriller or crime", ["horror", "thriller", "crime"]),
        ("no horror and no thriller", ["horror", "thriller"]),
        ("I don't want horror", ["horror"]),
        ("without romance", ["romance"]),
        ("anything but comedy", ["comedy"]),
        ("horror isn't my thing", ["horror"]),
        ("I'm tired of action movies", ["action"]),
        ("not a fan of horror", ["horror"]),
    ],
)
def test_english_negation(text, excluded):
    e = en(text)
    assert e.exclude == excluded
    assert e.include == []


def test_negation_stops_at_but():
    e = en("I love comedy but not horror")
    assert e.include == ["comedy"]
    assert e.exclude == ["horror"]
    e = en("romantic comedy but no drama")
    assert e.include == ["romance", "comedy"]
    assert e.exclude == ["drama"]


def test_negation_does_not_leak_into_a_positive_clause():
    e = en("I hate horror and love comedy")
    assert e.exclude == ["horror"]
    assert e.include == ["comedy"]


def test_chinese_negation():
    e = zh("我对科幻电影不太感兴趣")
    assert e.exclude == ["science fiction"]
    assert e.include == []
    assert e.domain == "movie"
    assert zh("不要恐怖片和惊悚片").exclude == ["horror", "thriller"]
    assert zh("除了恐怖片都可以").exclude == ["horror"]
    e = zh("我不喜欢爱情片，想看喜剧")
    assert e.exclude == ["romance"]
    assert e.include == ["comedy"]


def test_cleared_categories():
    e = en("horror is fine now")
    assert e.cleared == ["horror"]
    assert e.include == [] and e.exclude == []
    assert en("horror is ok again").cleared == ["horror"]


# ---- moods, details, ordinals, adjustments --------------------------------------


def test_mood_and_query_words():
    e = en("I want something funny")
    assert e.mood == "funny"
    assert e.query_words == ["funny", "hilarious", "comedy"]
    assert zh("来点搞笑的").mood == "funny"


def test_chinese_query_words_translate_topics():
    assert "space" in zh("一部关于太空的电影").query_words


def test_something_newer_is_a_year_adjustment():
    e = en("something newer")
    assert e.adjustments == [("year", 1)]
    assert e.ranges == {}


@pytest.mark.parametrize(
    ("text", "language", "adjustment"),
    [
        ("something more recent", "en", ("year", 1)),
        ("cheaper ones", "en", ("price", -1)),
        ("shorter please", "en", ("runtime", -1)),
        ("老一点的", "zh", ("year", -1)),
        ("便宜一点", "zh", ("price", -1)),
    ],
)
def test_adjustments(text, language, adjustment):
    assert extract(text, language, NOW).adjustments == [adjustment]


def test_absolute_bound_is_not_a_relative_adjustment():
    e = en("2015 or later")
    assert e.ranges == {"year": [2015, None]}
    assert e.adjustments == []


def test_detail_question_with_ordinal():
    e = en("who directed the second one?")
    assert "director" in e.detail_fields
    assert e.ordinal == 2


@pytest.mark.parametrize(
    ("text", "language", "ordinal"),
    [
        ("第二本", "zh", 2),
        ("第3个", "zh", 3),
        ("第十部", "zh", 10),
        ("最后一部", "zh", -1),
        ("the 3rd one", "en", 3),
        ("#2 please", "en", 2),
        ("number 4", "en", 4),
        ("tell me about the last one", "en", -1),
        ("how long is the third movie?", "en", 3),
        ("a comedy please", "en", 0),
    ],
)
def test_ordinals(text, language, ordinal):
    assert extract(text, language, NOW).ordinal == ordinal


@pytest.mark.parametrize(
    ("text", "language", "field"),
    [
        ("who wrote it?", "en", "author"),
        ("how long is it", "en", "runtime"),
        ("谁是导演", "zh", "director"),
        ("这本书多少钱", "zh", "price"),
    ],
)
def test_detail_fields(text, language, field):
    assert field in extract(text, language, NOW).detail_fields


def test_keywords_skip_consumed_spans_and_stopwords():
    e = en("a funny movie about space robots after 2010")
    assert e.keywords == ["space", "robots"]


def test_empty_utterance_extracts_nothing():
    e = en("")
    assert e == Extraction()


@pytest.mark.parametrize(
    "text",
    ["I have seen that, and I loved it! Any others?", "Yes I've heard of it, sounds cool. I'll check it out"],
)
def test_conversational_filler_is_not_a_keyword(text):
    assert extract(text, "en", 2026).keywords == []


def test_filler_word_after_about_is_a_topic():
    assert extract("a film about love and friendship", "en", 2026).keywords == ["love", "friendship"]


def test_numbered_ordinals():
    assert extract("the 12th one is great", "en", 2026).ordinal == 12
