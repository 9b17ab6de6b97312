"""The item catalog: JSONL records to protobuf Items, with lookups."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path

from convrec.common.v1 import common_pb2

from .errors import invalid_argument

REQUIRED = ("item_id", "title")
# People fields every catalog may use, in the order item text names them.
KNOWN_NAME_FIELDS = ("director", "author", "brand", "cast")
# A name as written: capitalised words with a lower-case letter somewhere ("Frank Capra",
# "Sony", "Merian C. Cooper"), not a code ("CNY") and not a sentence.
_NAME = re.compile(r"^[A-Z][\w.'-]*(?: [A-Z0-9][\w.'-]*){0,3}$")


def item_from_record(record: dict) -> common_pb2.Item:
    for key in REQUIRED:
        if not str(record.get(key, "")).strip():
            raise ValueError(f"missing {key}")
    return common_pb2.Item(
        item_id=str(record["item_id"]),
        title=str(record["title"]),
        description=str(record.get("description", "")),
        categories=[str(c).lower() for c in record.get("categories", [])],
        attributes={str(k): str(v) for k, v in (record.get("attributes") or {}).items()},
        numeric={str(k): float(v) for k, v in (record.get("numeric") or {}).items()},
        external_id=str(record.get("external_id", "")),
    )


def is_category_record(record: dict) -> bool:
    """A line naming a category in other languages rather than an item:
    {"category": "sichuan", "names": {"zh": "川菜"}} (a name, or a list of names, per language)."""
    return "category" in record and "item_id" not in record


def category_names_of(record: dict) -> tuple[str, dict[str, list[str]]]:
    """(category, names per language) of a category record, checked."""
    category = str(record.get("category", "")).strip().lower()
    names = record.get("names")
    if not category or not isinstance(names, dict) or not names:
        raise ValueError("a category record needs a category and names per language")
    out: dict[str, list[str]] = {}
    for language, value in names.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise ValueError(f"names of {category!r} in {language!r}: a name or a list of names")
        out[str(language)] = [v.strip() for v in values]
    return category, out


def category_record(category: str, names: dict[str, list[str]]) -> dict:
    return {"category": category, "names": names}


def item_to_record(item: common_pb2.Item) -> dict:
    return {
        "item_id": item.item_id,
        "title": item.title,
        "description": item.description,
        "categories": list(item.categories),
        "attributes": dict(item.attributes),
        "numeric": dict(item.numeric),
        "external_id": item.external_id,
    }


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: invalid JSON: {exc}") from None


def name_fields(items: Iterable[common_pb2.Item]) -> tuple[str, ...]:
    """Attributes whose values are names people ask for: the known people fields, then any
    other attribute (chef, publisher, label) whose values are almost all names."""
    parts: dict[str, list[str]] = {}
    for item in items:
        for key, value in item.attributes.items():
            parts.setdefault(key, []).extend(p.strip() for p in value.split(",") if p.strip())
    def names(values: list[str]) -> bool:
        shaped = [v for v in values if _NAME.match(v) and re.search(r"[a-z]", v)]
        return len(set(shaped)) >= 3 and len(shaped) >= 0.9 * len(values)
    extra = sorted(k for k, v in parts.items() if k not in KNOWN_NAME_FIELDS and names(v))
    return (*KNOWN_NAME_FIELDS, *extra)


def kinds_of(items: list[common_pb2.Item]) -> list[str]:
    """Categories that partition the items (each has exactly one), largest first; [] if none."""
    counts = Counter(c for item in items for c in item.categories)
    chosen: list[str] = []
    covered: set[str] = set()
    for category, _ in counts.most_common():
        members = {i.item_id for i in items if category in i.categories}
        if members & covered:
            continue
        chosen.append(category)
        covered |= members
        if len(covered) == len(items):
            return chosen
    return []


def rating_scale(ratings: Iterable[float]) -> float:
    """What ratings are out of, from the ratings themselves: 5, 10 or 100; 0 without any."""
    top = max(ratings, default=0.0)
    return 0.0 if top <= 0 else 5.0 if top <= 5 else 10.0 if top <= 10 else 100.0


def item_text(item: common_pb2.Item, fields: Iterable[str] = KNOWN_NAME_FIELDS) -> str:
    """The text a dense or lexical index sees for an item; `fields`: its catalog's name fields."""
    attrs = item.attributes
    parts = [item.title]
    if attrs.get("title_zh"):
        parts.append(attrs["title_zh"])
    parts.append(", ".join(item.categories))
    for key in fields:
        if attrs.get(key):
            parts.append(f"{key}: {attrs[key]}")
    parts.append(item.description)
    return ". ".join(p for p in parts if p)


class Catalog:
    """An immutable list of items with an id index, and the names its categories have in other
    languages where the catalog gives them."""

    def __init__(
        self, items: Iterable[common_pb2.Item], category_names: dict[str, dict[str, list[str]]] | None = None
    ) -> None:
        self.items: list[common_pb2.Item] = list(items)
        self.category_names = dict(category_names or {})
        self.index: dict[str, int] = {}
        for position, item in enumerate(self.items):
            if item.item_id in self.index:
                raise ValueError(f"duplicate item_id {item.item_id!r}")
            self.index[item.item_id] = position

    @classmethod
    def load(cls, path: Path) -> Catalog:
        items, names = [], {}
        for record in read_jsonl(path):
            if is_category_record(record):
                category, by_language = category_names_of(record)
                names[category] = {**names.get(category, {}), **by_language}
            else:
                items.append(item_from_record(record))
        return cls(items, names)

    def records(self) -> Iterator[dict]:
        """The catalog as JSONL records: its category names, then its items."""
        for category, names in sorted(self.category_names.items()):
            yield category_record(category, names)
        for item in self.items:
            yield item_to_record(item)

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def name_fields(self) -> tuple[str, ...]:
        return name_fields(self.items)

    @cached_property
    def kinds(self) -> frozenset[str]:
        return frozenset(kinds_of(self.items))

    @cached_property
    def rating_scales(self) -> dict[str, float]:
        """Per kind of item ("" for items of none): what its ratings are out of."""
        ratings: dict[str, list[float]] = {}
        for item in self.items:
            if "rating" in item.numeric:
                ratings.setdefault(self.kind_of(item), []).append(item.numeric["rating"])
        return {kind: rating_scale(values) for kind, values in ratings.items()}

    def kind_of(self, item: common_pb2.Item) -> str:
        return next((c for c in item.categories if c in self.kinds), "")

    def text(self, item: common_pb2.Item) -> str:
        return item_text(item, self.name_fields)

    def get(self, item_id: str) -> common_pb2.Item | None:
        position = self.index.get(item_id)
        return None if position is None else self.items[position]

    def positions(self, item_ids: Iterable[str]) -> list[int]:
        return [self.index[i] for i in item_ids if i in self.index]

    def require(self, item_id: str) -> common_pb2.Item:
        item = self.get(item_id)
        if item is None:
            raise invalid_argument("item_id", f"unknown item_id {item_id!r}")
        return item


def display_title(item: common_pb2.Item, language: str = "en") -> str:
    """'Alien (1979)' in English, '《异形》' in Chinese when a Chinese title exists."""
    if language == "zh" and item.attributes.get("title_zh"):
        return f"《{item.attributes['title_zh']}》"
    year = item.numeric.get("year")
    if year and "movie" in item.categories:
        return f"{item.title} ({int(year)})"
    return item.title
