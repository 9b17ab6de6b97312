"""Plain JSONL import: items and interactions checked, bad rows skipped with a reason."""

from __future__ import annotations

import json

import pytest

from convrec_data.common import DataError
from convrec_data.jsonl import import_jsonl
from convrec_kit.catalog import Catalog


def write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_items_and_interactions_are_checked(tmp_path):
    catalog = write(tmp_path / "items.jsonl", [
        {"item_id": "a", "title": "A", "categories": ["Movie", "Drama"], "numeric": {"year": 2001}},
        {"item_id": "a", "title": "A again"},
        {"item_id": "b"},
        {"item_id": "c", "title": "C", "numeric": {"year": "soon"}},
        {"item_id": "d", "title": "D"},
    ])
    events = write(tmp_path / "events.jsonl", [
        {"user_id": "u", "item_id": "a", "event": "like", "timestamp": "2024-01-02T03:04:05Z"},
        {"user_id": "u", "item_id": "d", "event": "RATE", "value": 4.5, "timestamp": 1700000000},
        {"user_id": "u", "item_id": "zz", "event": "like"},
        {"user_id": "u", "item_id": "a", "event": "poke"},
        {"user_id": "u", "item_id": "a", "event": "rate", "value": 9},
        {"item_id": "a", "event": "like"},
        {"user_id": "u", "item_id": "a", "event": "click", "timestamp": "yesterday"},
    ])
    report = import_jsonl(catalog, events, tmp_path / "out")
    assert report.imported == {"items": 2, "interactions": 2}
    assert report.skipped["items"] == {
        "duplicate item_id": 1,
        "invalid item (missing title)": 1,
        "invalid item (could not convert string to float: 'soon')": 1,
    }
    assert report.skipped["interactions"] == {
        "item not in the catalog": 1,
        "unknown event (expected one of like, dislike, click, rate, purchase, seen)": 1,
        "rating outside 0.5-5": 1,
        "missing user_id": 1,
        "bad value or timestamp": 1,
    }
    items = [json.loads(x) for x in (tmp_path / "out" / "catalog.jsonl").read_text().splitlines()]
    assert items[0]["categories"] == ["movie", "drama"]
    out = [json.loads(x) for x in (tmp_path / "out" / "interactions.jsonl").read_text().splitlines()]
    assert out[0]["timestamp"] == 1704164645.0 and out[1]["event"] == "rate"
    assert "up to date" in import_jsonl(catalog, events, tmp_path / "out").source


def test_errors_name_the_file_and_line(tmp_path):
    with pytest.raises(DataError, match="not found"):
        import_jsonl(tmp_path / "none.jsonl", None, tmp_path / "out")
    bad = write(tmp_path / "bad.jsonl", [{"item_id": "a", "title": "A"}, "{oops"])
    with pytest.raises(DataError, match=r"bad.jsonl:2: invalid JSON"):
        import_jsonl(bad, None, tmp_path / "out")
    empty = write(tmp_path / "empty.jsonl", [{"item_id": "a"}])
    with pytest.raises(DataError, match="no valid items"):
        import_jsonl(empty, None, tmp_path / "out")
    array = write(tmp_path / "array.jsonl", ["[1, 2]"])
    with pytest.raises(DataError, match="expected a JSON object"):
        import_jsonl(array, None, tmp_path / "out")


def test_category_names_pass_through_the_import(tmp_path):
    catalog = write(tmp_path / "items.jsonl", [
        {"category": "Sichuan", "names": {"zh": "川菜"}},
        {"category": "sichuan", "names": {"ja": ["四川料理"]}},
        {"category": "thai", "names": "泰国菜"},
        {"item_id": "a", "title": "A", "categories": ["restaurant", "sichuan"]},
    ])
    report = import_jsonl(catalog, None, tmp_path / "out")
    assert report.imported == {"items": 1, "category_names": 1}
    assert report.skipped["items"] == {"invalid category record (a category record needs a category and names per "
                                       "language)": 1}
    loaded = Catalog.load(tmp_path / "out" / "catalog.jsonl")
    assert loaded.category_names == {"sichuan": {"zh": ["川菜"], "ja": ["四川料理"]}}
    assert [i.item_id for i in loaded.items] == ["a"]
    assert list(loaded.records())[0] == {"category": "sichuan", "names": {"zh": ["川菜"], "ja": ["四川料理"]}}
