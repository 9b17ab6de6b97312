"""Constraints the served catalog cannot match are not filters."""

from __future__ import annotations

import numpy as np

from convrec_intent.parser import Parser
from convrec_kit.catalog import Catalog, item_from_record
from convrec_kit.models.intent import LABELS


def parse(catalog: Catalog, text: str):
    probs = np.zeros(len(LABELS), dtype=np.float32)
    probs[LABELS.index("RECOMMEND")] = 1.0
    return Parser(catalog, 0.5).parse(text, probs)


MOVIES = Catalog(
    item_from_record({"item_id": f"m{i}", "title": f"Film {i}", "categories": ["movie", genre]})
    for i, genre in enumerate(["horror", "comedy"])
)


def test_a_category_no_item_has_becomes_a_keyword():
    c = parse(MOVIES, "a horror or cooking movie about chefs").constraints
    assert list(c.include_categories) == ["horror"]
    assert "cooking" in c.keywords and "chefs" in c.keywords


def test_a_kind_the_catalog_lacks_is_dropped():
    c = parse(MOVIES, "something like a comic book, action or horror").constraints
    assert c.domain == "" and "horror" in c.include_categories


def test_what_the_catalog_has_stays_a_filter():
    book = item_from_record({"item_id": "b", "title": "B", "categories": ["book", "cooking"]})
    books = Catalog([*MOVIES.items, book])
    c = parse(books, "a cooking book").constraints
    assert list(c.include_categories) == ["cooking"] and c.domain == "book"
