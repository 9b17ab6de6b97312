"""Spans to constraints (no model here: the understood spans are given, the encoder is a
stand-in that knows no word, so only exact names link)."""

from __future__ import annotations

import numpy as np
import pytest

from convrec.intent.v1 import intent_pb2
from convrec_intent.span_parser import SpanParser
from convrec_kit.catalog import Catalog
from convrec_kit.models.understanding.labels import INTENTS
from convrec_kit.models.understanding.markup import parse
from convrec_kit.models.understanding.model import Understood
from convrec_kit.models.understanding.terms import CatalogTerms
from convrec_kit.settings import REPO_ROOT


def far(texts):
    """Vectors orthogonal to every term's: nothing links by similarity."""
    out = np.zeros((len(texts), 8), dtype=np.float32)
    out[:, -1] = 1.0
    return out


def parser_for(catalog: Catalog) -> SpanParser:
    names = sorted({c for item in catalog.items for c in item.categories})
    vectors = np.zeros((len(names), 8), dtype=np.float32)
    vectors[:, 0] = 1.0
    return SpanParser(catalog, CatalogTerms(names, vectors, vectors.copy(), sorted(catalog.kinds)), far)


def understood(marked: str, intent: str = "RECOMMEND") -> tuple[str, Understood]:
    text, spans = parse(marked)
    probs = np.full(len(INTENTS), 0.01, dtype=np.float32)
    probs[INTENTS.index(intent)] = 0.9
    return text, Understood(probs, [(s, 0.9) for s in spans])


@pytest.fixture(scope="module")
def demo(catalog):
    return parser_for(catalog)


def bounds(parsed) -> dict[str, tuple]:
    return {r.field: (r.min if r.HasField("min") else None, r.max if r.HasField("max") else None)
            for r in parsed.constraints.ranges}


def test_categories_kinds_exclusions_and_ranges(demo):
    text, u = understood("a [science fiction](category) [movie](category) [from the 90s](year) "
                         "[under $20](price), no [horror](exclude)")
    parsed = demo.parse(text, u)
    assert parsed.intent == intent_pb2.INTENT_TYPE_RECOMMEND
    assert list(parsed.constraints.include_categories) == ["science fiction"]
    assert parsed.constraints.domain == "movie" and list(parsed.constraints.exclude_categories) == ["horror"]
    assert bounds(parsed) == {"year": (1990, 1999), "price_usd": (None, 20)}


def test_what_links_to_nothing_is_searched_for(demo):
    text, u = understood("something about [time travel](keyword) like [Nonexistent Film](title)")
    parsed = demo.parse(text, u)
    assert not parsed.constraints.include_categories and not parsed.mentions
    assert {"time travel", "Nonexistent Film"} <= set(parsed.constraints.keywords)


def test_people_and_moods(demo):
    text, u = understood("[uplifting](mood) films by [Christopher Nolan](person)")
    parsed = demo.parse(text, u)
    assert parsed.constraints.mood == "uplifting" and list(parsed.constraints.people) == ["Christopher Nolan"]


def test_a_catalogs_own_scale_and_fields():
    restaurants = Catalog.load(REPO_ROOT / "tests" / "data" / "restaurants.jsonl")
    text, u = understood("[highly rated](rating) [sichuan](category) [under $30](price)")
    parsed = parser_for(restaurants).parse(text, u)
    ratings = sorted(i.numeric["rating"] for i in restaurants.items)
    low, high = bounds(parsed)["rating"]
    assert ratings[0] < low <= ratings[-1] and high is None  # its best quarter, not a 10-point scale
    assert bounds(parsed)["price"] == (None, 30)  # no price_usd field in this catalog
    assert list(parsed.constraints.include_categories) == ["sichuan"] and not parsed.constraints.domain


def test_asking_for_the_catalogs_own_categories_is_in_scope():
    restaurants = Catalog.load(REPO_ROOT / "tests" / "data" / "restaurants.jsonl")
    text, u = understood("book me a [seafood](category) place", intent="OUT_OF_SCOPE")
    assert parser_for(restaurants).parse(text, u).intent == intent_pb2.INTENT_TYPE_RECOMMEND
    text, u = understood("book me a flight to paris", intent="OUT_OF_SCOPE")
    assert parser_for(restaurants).parse(text, u).intent == intent_pb2.INTENT_TYPE_OUT_OF_SCOPE


@pytest.mark.parametrize("marked", ["like [第三部](title) but newer", "类似[第三部](keyword)的",
                                    "more like [the second one](keyword)"])
def test_a_place_in_the_list_is_read_as_the_place_not_searched_for(demo, marked):
    text, u = understood(marked, "REFINE")
    parsed = demo.parse(text, u)
    assert list(parsed.constraints.keywords) == [] and parsed.rewritten_query == ""
    assert parsed.ordinal in (2, 3)
