"""convrec_gateway.replies and details: reply texts in English and Chinese."""

from __future__ import annotations

import pytest

from convrec.common.v1 import common_pb2
from convrec_gateway import details, replies
from convrec_gateway import messages as m
from convrec_gateway.catalog_profile import Profile
from convrec_gateway.session import Wanted

TITLES = ["A", "B", "C", "D", "E", "F", "G"]


def test_recommend_lists_five_and_counts_the_rest():
    wanted = Wanted(include=["science fiction"], domain="movie")
    assert replies.recommend(TITLES, wanted, "en") == "Here are 7 movies (science fiction): A, B, C, D, E and 2 more."
    assert replies.recommend(TITLES[:3], Wanted(), "en") == "Here are 3 picks: A, B and C."
    assert replies.recommend(TITLES[:3], wanted, "zh", lead="好的！") == "好的！为您推荐3部电影（科幻）：A、B、C。"
    assert replies.recommend(TITLES, Wanted(), "zh", domain="book") == "为您推荐7本书：A、B、C、D、E，还有2个。"


def test_one_recommendation_is_singular():
    assert replies.recommend(["Alien"], Wanted(domain="movie"), "en") == "Here is 1 movie: Alien."
    assert replies.recommend(["耳机"], Wanted(domain="product"), "zh") == "为您推荐1件商品：耳机。"


def test_describe():
    wanted = Wanted(
        include=["science fiction", "comedy"],
        ranges={"year": [1990, 1999], "price": [None, 50]},
        exclude=["horror"],
        mood="funny",
        people=["Tom Hanks", "Meg Ryan"],
        keywords=["space", "robots"],
    )
    assert replies.describe(wanted, "en") == (
        "science fiction or comedy, price ≤ ¥50, year 1990–1999, with Tom Hanks and Meg Ryan, funny, "
        "no horror, about space robots"
    )
    assert replies.describe(wanted, "zh") == (
        "科幻、喜剧，价格 ≤ ¥50，年份 1990–1999，与Tom Hanks、Meg Ryan，搞笑，不要恐怖，关键词：space robots"
    )
    assert replies.describe(Wanted(ranges={"price_usd": [10, None], "runtime": [None, None]}), "en") == "price ≥ $10"


def test_no_match_and_no_more():
    wanted = Wanted(include=["western"])
    assert replies.no_match(wanted, "en") == (
        "Nothing in the catalog matches all of that (western). "
        "Could you relax something, such as the years or the genre?"
    )
    assert replies.no_match(wanted, "zh") == "没有找到符合条件（西部）的结果。可以放宽一些条件吗？比如换个年份或类型。"
    assert replies.no_more(wanted, "en") == (
        "That's everything I have for western. Want me to relax something, such as the years or the genre?"
    )
    assert "西部" in replies.no_more(wanted, "zh")
    assert replies.no_more(Wanted(), "en") == "That's everything I have. Want to try something different?"


def test_ambiguous():
    assert replies.ambiguous("Alien (1979)", ["Aliens (1986)"], "en") == (
        'I took "Alien (1979)"; did you mean Aliens (1986)?'
    )
    assert replies.ambiguous("Alien (1979)", ["Aliens (1986)", "Alien 3 (1992)"], "en").endswith(
        "did you mean Aliens (1986) or Alien 3 (1992)?"
    )
    assert replies.ambiguous("《异形》", ["《异形2》"], "zh") == "我选的是《异形》；您是不是想找《异形2》？"


@pytest.mark.parametrize(
    "change, english",
    [
        (("price", -1, 44.99), "Now under ¥44.99, below the cheapest I showed."),
        (("price_usd", -1, 9.5), "Now under $9.5, below the cheapest I showed."),
        (("year", +1, 2011), "Now from 2011 on, newer than most of what I showed."),
        (("year", -1, 1990.0), "Now before 1990, older than most of what I showed."),
        (("runtime", -1, 100), "Now under 100 minutes, shorter than what I showed."),
        (("rating", +1, 8.1), "Now rated 8.1 or higher, above most of what I showed."),
        (("pages", -1, 300), "Now with pages under 300, lower than what I showed."),
    ],
)
def test_adjusted(change, english):
    assert replies.adjusted([change], "en") == english


def test_adjusted_states_every_change():
    both = replies.adjusted([("price", -1, 44.99), ("year", +1, 2011)], "en")
    assert both == "Now under ¥44.99, below the cheapest I showed. Now from 2011 on, newer than most of what I showed."
    assert replies.adjusted([("price", -1, 44.99)], "zh") == "现在是¥44.99以下的，比刚才最便宜的还便宜。"
    assert replies.adjusted([], "en") == ""


def test_explain_leads():
    assert replies.not_recommended("Alien (1979)", "en") == (
        "I did not recommend Alien (1979) in the last list, so I have no score for it."
    )
    assert replies.not_recommended("《异形》", "zh") == "《异形》不在我刚才的推荐里，所以没有它的评分依据。"
    assert replies.more_like("Alien (1979)", "en") == "More like Alien (1979): "
    assert replies.more_like("《异形》", "zh") == "和《异形》类似的："


def test_fixed_messages_as_functions_and_by_language():
    assert replies.CHITCHAT_LEAD["en"] == replies.chitchat_lead("en") == "Happy to chat! "
    assert replies.NO_TARGET["fr"] == replies.no_target("en")  # unknown language: English
    assert {"en", "zh"} <= set(replies.GOODBYE)
    assert replies.GOODBYE["en"] and replies.GOODBYE["zh"] != replies.GOODBYE["en"]


DEMO = Profile(("movie", "book", "product"), rating_scales={"movie": 10.0, "book": 5.0, "product": 5.0})
RESTAURANTS = Profile(("restaurant",), {"restaurant": {"zh": "餐厅"}})


def test_replies_name_the_served_catalog_s_kinds():
    assert replies.greeting("en", DEMO) == "Hi! I can recommend movies, books and products. What would you like today?"
    assert replies.out_of_scope("zh", DEMO) == "抱歉，这个我帮不上忙。我可以为您推荐电影、书籍、商品。"
    assert replies.greeting("en", RESTAURANTS) == "Hi! I can recommend restaurants. What would you like today?"
    assert replies.out_of_scope("zh", RESTAURANTS) == "抱歉，这个我帮不上忙。我可以为您推荐餐厅。"
    assert "restaurants you liked" in replies.clarify("en", RESTAURANTS)
    assert "movies" not in replies.chitchat("en", RESTAURANTS)
    assert replies.greeting("en", Profile()) == (
        "Hi! I can recommend what this catalog holds. What would you like today?")
    assert replies.recommend(TITLES[:3], Wanted(), "en", domain="restaurant", profile=RESTAURANTS) == (
        "Here are 3 restaurants: A, B and C.")
    one = replies.recommend(TITLES[:1], Wanted(), "zh", domain="restaurant", profile=RESTAURANTS)
    assert one == "为您推荐1个餐厅：A。"
    assert replies.recommend(TITLES[:2], Wanted(), "en", domain="board game", profile=Profile(("board game",))) == (
        "Here are 2 board games: A and B.")


def test_details_read_the_kind_and_rating_scale_from_the_catalog_s_profile():
    place = common_pb2.Item(item_id="r", title="Pepper House", categories=["restaurant", "sichuan"],
                            numeric={"rating": 8.6})
    profile = Profile(("restaurant",), rating_scales={"restaurant": 10.0})
    assert details.answer(place, ["genre", "rating"], "en", profile) == "It is sichuan. It is rated 8.6/10."
    assert details.answer(place, ["rating"], "en", Profile()) == "It is rated 8.6/10."  # judged from the rating
    assert details.answer(place, ["genre"], "en", Profile()) == "It is restaurant and sichuan."


def test_clarifying_suggestions_fit_the_catalog():
    assert replies.clarify_suggestions("en", DEMO) == [
        "A funny movie from the 90s", "Something like Inception", "An economics book under $30"]
    assert len(replies.clarify_suggestions("zh", DEMO)) == 3
    assert replies.clarify_suggestions("en", RESTAURANTS) == ["What do you recommend?", "Something highly rated"]


@pytest.mark.parametrize("noun, many", [("movie", "movies"), ("dish", "dishes"), ("bus", "buses"),
                                        ("category", "categories"), ("toy", "toys"), ("餐厅", "餐厅")])
def test_english_plurals_by_rule(noun, many):
    assert m.plural("en", noun) == many
    assert m.plural("zh", noun) == noun


def test_acknowledgements_and_suggestions():
    assert replies.acknowledge_like("Alien", "en") == "Glad you like Alien! Here are more like it."
    assert replies.acknowledge_dislike("Alien", "en", seen=True) == (
        "Got it, you have already seen Alien; I won't suggest it again. "
    )
    assert replies.acknowledge_dislike("《异形》", "zh", seen=False) == "好的，您不喜欢《异形》，我不会再推荐它。"
    assert replies.suggestions_after_list("Alien", "en")[1:3] == ["Tell me more about Alien", "Something newer"]
    assert replies.suggestions_after_list("国富论", "zh", "book")[1:3] == ["国富论讲的是什么？", "再便宜一点的"]
    assert replies.suggestions_after_list("X", "en", "")[2] == "Something cheaper"


def test_details(catalog):
    aliens = catalog.get("mv-aliens-1986")
    assert details.answer(aliens, ["director", "year"], "en", DEMO) == (
        "Aliens (1986) was directed by James Cameron. Aliens (1986) came out in 1986."
    )
    assert details.answer(aliens, ["director", "runtime"], "zh", DEMO) == (
        "《异形2》的导演是James Cameron。片长137分钟。")
    assert details.answer(aliens, ["genre", "rating"], "en", DEMO) == (
        "It is science fiction, action and horror. It is rated 8.4/10."
    )
    assert details.answer(aliens, ["genre"], "zh", DEMO) == "类型：科幻、动作、恐怖。"
    assert details.answer(aliens, ["price"], "en", DEMO) == "Sorry, the catalog has no price for Aliens (1986)."
    assert details.answer(aliens, ["price", "author"], "zh", DEMO) == "抱歉，目录里没有《异形2》的价格、作者信息。"


def test_price_details(catalog):
    book = catalog.get("bk-the-wealth-of-nations")
    assert details.answer(book, ["price"], "en", DEMO).endswith("costs ¥128 (about $18.03).")
    assert (
        details.answer(book, ["price", "author"], "zh", DEMO)
        == "《国富论》售价128元（约18.03美元）。《国富论》的作者是Adam Smith。"
    )


def test_sentences_are_spaced_by_language():
    assert replies.sentences(["Got it. ", "Here are 3 picks."], "en") == "Got it. Here are 3 picks."
    assert replies.sentences(["好的。", "", "为您推荐3个推荐。"], "zh") == "好的。为您推荐3个推荐。"
