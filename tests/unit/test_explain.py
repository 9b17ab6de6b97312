"""convrec_gateway.explain: grounded explanations and score breakdowns."""

from __future__ import annotations

import re

import pytest

from convrec.common.v1 import common_pb2
from convrec_gateway.explain import breakdown, explain
from convrec_gateway.session import Wanted
from convrec_kit.catalog import display_title

CJK = re.compile(r"[\u4e00-\u9fff]")


NO_SIGNAL = "No signal stands out for this one; it passes your filters with a modest score."


def C(name, value, weight, evidence=""):
    return common_pb2.ScoreComponent(name=name, value=value, weight=weight, evidence=evidence)


@pytest.fixture(scope="module")
def title_of(catalog):
    return {
        "en": lambda item_id: display_title(catalog.get(item_id), "en"),
        "zh": lambda item_id: display_title(catalog.get(item_id), "zh"),
    }


@pytest.fixture(scope="module")
def aliens(catalog):
    return catalog.get("mv-aliens-1986")


def test_cites_the_seed_title_and_similarity(aliens, title_of):
    text = explain(
        aliens, [C("seed", 0.55, 0.8, "mv-alien-1979"), C("prior", 0.8, 0.15)], Wanted(), "", "en", title_of["en"]
    )
    assert text == "Because it is close to Alien (1979), which you mentioned (similarity 0.55)."


def test_full_english_explanation(aliens, title_of):
    comps = [
        C("seed", 0.55, 0.8, "mv-alien-1979"),
        C("dense", 0.4, 0.45),
        C("lexical", 0.3, 0.3),
        C("popularity", 0.84, 0.2, "rated 8.4"),
        C("diversity", -0.5, 0.1, "mv-alien-1979"),
    ]
    wanted = Wanted(ranges={"year": [1980, 1989], "runtime": [None, 150]}, exclude=["comedy"])
    text = explain(aliens, comps, wanted, "space horror", "en", title_of["en"])
    assert text.startswith("Because it is close to Alien (1979), which you mentioned (similarity 0.55); ")
    assert 'it matches "space horror" (dense match 0.40)' in text
    assert "lexical" not in text  # only the stronger text match is cited
    assert "it is well liked (rated 8.4)" in text
    assert "it is from 1986, within 1980–1989 as you asked" in text
    assert "it runs 137 minutes, as you asked" in text
    assert "it is not comedy" in text
    assert "diversity" not in text
    assert text.endswith(".")


def test_chinese_output(aliens, title_of):
    comps = [C("seed", 0.55, 0.8, "mv-alien-1979"), C("popularity", 0.84, 0.2, "rated 8.4")]
    wanted = Wanted(ranges={"year": [1980, 1989]}, exclude=["comedy"])
    text = explain(aliens, comps, wanted, "", "zh", title_of["zh"])
    assert text == (
        "推荐理由：与您提到的《异形》相似（相似度 0.55）；口碑很好（评分 8.4）；"
        "1986年的作品，符合您的年份要求（1980–1989年）；不含您排除的喜剧。"
    )


def test_interest_category_and_context_reasons(aliens, title_of):
    comps = [
        C("interest", 0.4, 0.5, "mv-alien-1979"),
        C("category", 0.5, 0.2, "action, science fiction"),
        C("context", 1.0, 0.08, "short (90 min) for a late-night or on-the-go watch"),
    ]
    text = explain(aliens, comps, Wanted(), "", "en", title_of["en"])
    assert text == (
        "Because you liked Alien (1979) (taste match 0.40); it is action and science fiction, "
        "as you asked; it suits the moment: short (90 min) for a late-night or on-the-go watch."
    )
    zh = explain(aliens, comps, Wanted(), "", "zh", title_of["zh"])
    assert "您喜欢过《异形》（兴趣匹配 0.40）" in zh
    assert "属于您想要的动作、科幻类型" in zh


def test_stronger_text_match_is_the_one_cited(aliens, title_of):
    comps = [C("dense", 0.4, 0.45), C("lexical", 0.9, 0.3)]
    text = explain(aliens, comps, Wanted(), "alien", "en", title_of["en"])
    assert text == 'Because it matches "alien" (lexical match 0.90).'


def test_at_most_three_component_reasons(aliens, title_of):
    comps = [
        C("seed", 0.9, 0.8, "mv-alien-1979"),
        C("interest", 0.9, 0.5, "mv-the-thing-1982"),
        C("category", 1.0, 0.2, "horror"),
        C("popularity", 0.84, 0.2, "rated 8.4"),
    ]
    text = explain(aliens, comps, Wanted(), "", "en", title_of["en"])
    assert text.count(";") == 2
    assert "well liked" not in text


def test_weak_components_are_not_cited(aliens, title_of):
    comps = [C("seed", 0.2, 0.8, "mv-alien-1979"), C("popularity", 0.5, 0.2, "rated 6.0")]
    text = explain(aliens, comps, Wanted(ranges={"year": [1980, None]}), "", "en", title_of["en"])
    assert text == "Because it is from 1986, within 1980 or later as you asked."


@pytest.mark.parametrize(
    "component",
    [
        C("seed", 0.9, -0.8, "mv-alien-1979"),
        C("interest", -0.6, 0.5, "mv-alien-1979"),
        C("seed", 0.9, 0.0, "mv-alien-1979"),
    ],
)
def test_never_cites_a_non_positive_contribution_among_others(aliens, title_of, component):
    comps = [component, C("popularity", 0.84, 0.2, "rated 8.4")]
    text = explain(aliens, comps, Wanted(), "", "en", title_of["en"])
    assert text == "Because it is well liked (rated 8.4)."
    assert "Alien (1979)" not in text


@pytest.mark.parametrize(
    "component",
    [C("diversity", -0.5, 0.1, "mv-alien-1979"), C("seed", 0.9, -0.8, "mv-alien-1979"), C("dense", 0.0, 0.45)],
)
def test_fallback_never_cites_a_non_positive_contribution(aliens, title_of, component):
    text = explain(aliens, [component], Wanted(), "", "en", title_of["en"])
    assert component.name not in text


def test_fallback_names_the_strongest_positive_signal(aliens, title_of):
    text = explain(aliens, [C("dense", 0.1, 0.45), C("prior", 0.5, 0.15)], Wanted(), "", "en", title_of["en"])
    assert text == "its strongest signal is prior (0.50)"
    assert explain(aliens, [], Wanted(), "", "en", title_of["en"]) == NO_SIGNAL


def test_price_and_people_facts(catalog, title_of):
    book = catalog.get("bk-the-wealth-of-nations")
    wanted = Wanted(ranges={"price": [None, 200]}, people=["Adam Smith"])
    assert explain(book, [], wanted, "", "zh", title_of["zh"]) == (
        "推荐理由：售价 ¥128，在您的预算内；作者是Adam Smith，符合您的要求。"
    )
    assert explain(book, [], Wanted(ranges={"price_usd": [None, 30]}), "", "en", title_of["en"]) == (
        "Because it costs $18.03, within your budget."
    )
    assert explain(book, [], Wanted(people=["Adam Smith"]), "", "en", title_of["en"]) == (
        "Because it was written by Adam Smith, as you asked."
    )


def test_range_on_a_missing_field_is_not_stated(aliens, title_of):
    assert explain(aliens, [], Wanted(ranges={"price": [None, 10]}), "", "en", title_of["en"]) == NO_SIGNAL


def test_facts_are_only_stated_when_the_item_meets_them(aliens, title_of):
    text = explain(aliens, [], Wanted(ranges={"year": [1990, 1999]}, exclude=["horror"]), "", "en", title_of["en"])
    assert "within 1990–1999" not in text
    assert "it is not horror" not in text


def test_breakdown_lists_every_component_largest_first(aliens, title_of):
    comps = [
        C("lexical", 0.3, 0.3),
        C("seed", 0.55, 0.8, "mv-alien-1979"),
        C("diversity", -0.5, 0.1, "mv-alien-1979"),
        C("popularity", 0.84, 0.2, "rated 8.4"),
    ]
    text = breakdown(0.648, comps, "en", title_of["en"])
    assert text == (
        "Score 0.648 = seed [Alien (1979)] 0.55×0.8=+0.440; popularity [rated 8.4] 0.84×0.2=+0.168; "
        "lexical 0.30×0.3=+0.090; diversity [Alien (1979)] -0.50×0.1=-0.050"
    )
    zh = breakdown(0.648, comps, "zh", title_of["zh"])
    assert zh == (
        "总分 0.648：与提到的作品相似 [《异形》] 0.55×0.8=+0.440；口碑 [评分 8.4] 0.84×0.2=+0.168；"
        "关键词匹配 0.30×0.3=+0.090；多样性 [《异形》] -0.50×0.1=-0.050"
    )
    assert CJK.search(zh)


def test_chinese_text_match_and_three_categories(aliens, title_of):
    comps = [C("dense", 0.4, 0.45), C("category", 1.0, 0.2, "action, horror, science fiction")]
    zh = explain(aliens, comps, Wanted(), "space horror", "zh", title_of["zh"])
    assert zh == "推荐理由：属于您想要的动作、恐怖、科幻类型；与您的描述“space horror”相符（语义匹配 0.40）。"
    en = explain(aliens, comps, Wanted(), "space horror", "en", title_of["en"])
    assert "it is action, horror and science fiction, as you asked" in en


def test_brand_fact(catalog, title_of):
    headphones = catalog.get("pr-sony-wh-1000xm5-wireless-noise-cancelling-headphones")
    assert explain(headphones, [], Wanted(people=["Sony"]), "", "en", title_of["en"]) == (
        "Because it is made by Sony, as you asked."
    )
    assert explain(headphones, [], Wanted(people=["Sony"]), "", "zh", title_of["zh"]) == (
        "推荐理由：品牌是Sony，符合您的要求。"
    )
