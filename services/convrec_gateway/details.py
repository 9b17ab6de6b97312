"""Answers questions about an item from its catalog record."""

from __future__ import annotations

from convrec.common.v1 import common_pb2
from convrec_kit.catalog import display_title
from convrec_kit.vocabulary import PEOPLE_FIELDS

from . import messages as m
from .catalog_profile import Profile

DEFAULT_FIELDS = ("plot", "director", "author", "year", "cast")


def _sentence(item: common_pb2.Item, field: str, title: str, lang: str, profile: Profile) -> str:
    """One sentence about one field; empty where the item lacks it."""
    a, n = item.attributes, item.numeric
    if field in PEOPLE_FIELDS:
        return m.text(lang, f"details.{field}", title=title, names=a[field]) if a.get(field) else ""
    if field in ("year", "runtime") and field in n:
        return m.text(lang, f"details.{field}", title=title, **{field: int(n[field])})
    if field == "price" and "price" in n:
        msg_id = "details.price_usd" if "price_usd" in n else "details.price"
        return m.text(lang, msg_id, title=title, price=n["price"], price_usd=n.get("price_usd", 0.0))
    if field == "rating" and "rating" in n:
        return m.text(lang, "details.rating", rating=n["rating"], scale=profile.rating_scale(item))
    if field == "genre":
        genres = [m.category(lang, c) for c in item.categories if c not in profile.kinds]
        return m.text(lang, "details.genre", genres=m.join(lang, genres)) if genres else ""
    if field == "plot" and item.description:
        return m.text(lang, "details.plot", title=title, plot=item.description)
    return ""


def answer(item: common_pb2.Item, fields: list[str], lang: str, profile: Profile) -> str:
    """Sentences about the item's fields; its kind (from the catalog's profile) is not a genre."""
    title = display_title(item, lang)
    fields = list(fields or DEFAULT_FIELDS)
    sentences = [s for s in (_sentence(item, f, title, lang, profile) for f in fields) if s]
    if not sentences:
        shown = m.join(lang, [m.label(lang, "field", f) for f in fields])
        return m.text(lang, "details.missing", fields=shown, title=title)
    return m.text(lang, "sentence.sep").join(sentences)
