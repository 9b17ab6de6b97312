"""convrec_retrieval.filters.FilterIndex masks over the demo catalog."""

from __future__ import annotations

import pytest

from convrec.common.v1 import common_pb2
from convrec_retrieval.filters import FilterIndex


@pytest.fixture(scope="module")
def filters(catalog):
    return FilterIndex(catalog)


def selected(catalog, mask):
    return [catalog.items[p] for p in mask.nonzero()[0]]


def test_empty_constraints_keep_everything(filters, catalog):
    mask = filters.mask(common_pb2.Constraints(), [])
    assert mask.all() and len(mask) == len(catalog)


def test_domain(filters, catalog):
    items = selected(catalog, filters.mask(common_pb2.Constraints(domain="movie"), []))
    assert len(items) == sum("movie" in i.categories for i in catalog.items) == 325
    books = filters.mask(common_pb2.Constraints(domain="book"), [])
    assert books.sum() == sum("book" in i.categories for i in catalog.items)
    assert not filters.mask(common_pb2.Constraints(domain="spaceship"), []).any()


def test_include_is_any_of(filters, catalog):
    mask = filters.mask(common_pb2.Constraints(include_categories=["western", "musical"]), [])
    items = selected(catalog, mask)
    assert items
    assert all({"western", "musical"} & set(i.categories) for i in items)
    expected = sum(bool({"western", "musical"} & set(i.categories)) for i in catalog.items)
    assert len(items) == expected
    assert any("western" in i.categories for i in items) and any("musical" in i.categories for i in items)


def test_include_is_case_insensitive(filters):
    upper = filters.mask(common_pb2.Constraints(include_categories=["Horror"]), [])
    lower = filters.mask(common_pb2.Constraints(include_categories=["horror"]), [])
    assert (upper == lower).all() and upper.sum() == 37


def test_exclude_removes_every_listed_category(filters, catalog):
    mask = filters.mask(common_pb2.Constraints(domain="movie", exclude_categories=["horror", "thriller"]), [])
    items = selected(catalog, mask)
    assert items
    assert all("movie" in i.categories for i in items)
    assert not any({"horror", "thriller"} & set(i.categories) for i in items)
    expected = sum("movie" in i.categories and not {"horror", "thriller"} & set(i.categories) for i in catalog.items)
    assert len(items) == expected


def test_include_and_exclude_together(filters, catalog):
    c = common_pb2.Constraints(include_categories=["science fiction"], exclude_categories=["horror"])
    items = selected(catalog, filters.mask(c, []))
    assert items
    assert all("science fiction" in i.categories and "horror" not in i.categories for i in items)
    assert "mv-alien-1979" not in [i.item_id for i in items]


def test_year_range_inclusive(filters, catalog):
    c = common_pb2.Constraints(ranges=[common_pb2.NumericRange(field="year", min=1990, max=1999)])
    items = selected(catalog, filters.mask(c, []))
    assert items
    assert all(1990 <= i.numeric["year"] <= 1999 for i in items)
    assert len(items) == sum(1990 <= i.numeric["year"] <= 1999 for i in catalog.items)
    assert "mv-the-matrix-1999" in [i.item_id for i in items]  # bound is inclusive


def test_open_bounds(filters, catalog):
    only_min = common_pb2.Constraints(ranges=[common_pb2.NumericRange(field="year", min=2015)])
    only_max = common_pb2.Constraints(ranges=[common_pb2.NumericRange(field="year", max=1950)])
    assert all(i.numeric["year"] >= 2015 for i in selected(catalog, filters.mask(only_min, [])))
    assert all(i.numeric["year"] <= 1950 for i in selected(catalog, filters.mask(only_max, [])))
    assert filters.mask(only_min, []).sum() == sum(i.numeric["year"] >= 2015 for i in catalog.items)


def test_range_drops_items_missing_the_field(filters, catalog):
    c = common_pb2.Constraints(ranges=[common_pb2.NumericRange(field="price", max=1e9)])
    items = selected(catalog, filters.mask(c, []))
    assert len(items) == sum("price" in i.numeric for i in catalog.items) == 130
    assert all("movie" not in i.categories for i in items)  # movies have no price


def test_range_on_unknown_field_matches_nothing(filters):
    c = common_pb2.Constraints(ranges=[common_pb2.NumericRange(field="weight", min=0)])
    assert not filters.mask(c, []).any()


def test_price_range_with_domain(filters, catalog):
    c = common_pb2.Constraints(
        domain="book",
        include_categories=["economics"],
        ranges=[common_pb2.NumericRange(field="price", min=100, max=200)],
    )
    items = selected(catalog, filters.mask(c, []))
    assert items
    for i in items:
        assert "book" in i.categories and "economics" in i.categories
        assert 100 <= i.numeric["price"] <= 200


def test_people_substring_case_insensitive(filters, catalog):
    c = common_pb2.Constraints(people=["frank capra"])
    items = selected(catalog, filters.mask(c, []))
    assert "mv-it-happened-one-night-1934" in [i.item_id for i in items]
    assert all(
        "frank capra" in i.attributes.get("director", "").lower()
        or "frank capra" in i.attributes.get("cast", "").lower()
        for i in items
    )


def test_people_any_of(filters, catalog):
    one = filters.mask(common_pb2.Constraints(people=["Frank Capra"]), []).sum()
    two = filters.mask(common_pb2.Constraints(people=["Frank Capra", "James Whale"]), []).sum()
    assert two > one > 0


def test_exclude_ids_from_argument_and_constraints(filters, catalog):
    c = common_pb2.Constraints(exclude_item_ids=["mv-alien-1979"])
    mask = filters.mask(c, ["mv-the-matrix-1999", "no-such-id"])
    assert not mask[catalog.index["mv-alien-1979"]]
    assert not mask[catalog.index["mv-the-matrix-1999"]]
    assert mask.sum() == len(catalog) - 2


def test_numeric_and_category_accessors(filters, catalog):
    years = filters.numeric("year")
    assert years[catalog.index["mv-alien-1979"]] == 1979
    assert filters.category("movie").sum() == 325
    assert not filters.category("nope").any()
