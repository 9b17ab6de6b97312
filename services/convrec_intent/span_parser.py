"""Turns the understanding model's intent and spans into a ParseResponse: categories linked to
the served catalog's by the multilingual encoder, people and titles by the catalog's linkers,
numbers in time, price, runtime and rating spans normalised by code."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2
from convrec_kit import ranges
from convrec_kit.catalog import Catalog
from convrec_kit.models.understanding.labels import INTENTS, Slot
from convrec_kit.models.understanding.model import Understood
from convrec_kit.models.understanding.terms import CatalogTerms
from convrec_kit.models.understanding.words import CatalogWords
from convrec_kit.vocabulary import Mood

from . import flags
from .constraints import Extraction, extract, ordinal_of
from .mentions import PeopleLinker, TitleLinker
from .parser import intent_scores, language_of, mention_message, turn_fields

RANGE_SLOTS = {
    Slot.YEAR: ("year",),
    Slot.PRICE: ("price", "price_usd"),
    Slot.RUNTIME: ("runtime",),
    Slot.RATING: ("rating",),
}
# "Highly rated" without a number: the catalog's best quarter; "recent": the last five years.
TOP_RATED_QUANTILE = 0.75
RECENT_YEARS = 5


class SpanParser:
    def __init__(self, catalog: Catalog, terms: CatalogTerms, encode, words: CatalogWords | None = None) -> None:
        """`encode(texts)`: unit query vectors of the multilingual encoder the terms (and the
        catalog's `words`, which Chinese keywords are also searched with) were built with."""
        self._titles = TitleLinker(catalog)
        self._people = PeopleLinker(catalog)
        self._terms = terms
        self._encode = encode
        self._words = words
        self._numeric = {k for item in catalog.items for k in item.numeric}
        ratings = [item.numeric["rating"] for item in catalog.items if "rating" in item.numeric]
        self._top_rating = float(np.quantile(ratings, TOP_RATED_QUANTILE)) if ratings else None
        self._moods = [m.value for m in Mood]
        self._mood_vectors = encode(self._moods)

    def parse(self, utterance: str, understood: Understood, locale: str = "") -> intent_pb2.ParseResponse:
        language = language_of(utterance, locale)
        rules = extract(utterance, language, dt.datetime.now(dt.UTC).year)  # ordinals, details, adjustments
        order = understood.probs.argsort()[::-1]
        label = INTENTS[int(order[0])]
        mentions = self._titles.link(utterance)
        by_slot = self._by_slot(understood, mentions)
        constraints, query = self._constraints(by_slot, language)
        if label == "OUT_OF_SCOPE" and (constraints.include_categories or constraints.domain):
            label = "RECOMMEND"  # asking for the served catalog's own categories is never out of scope
        if label in ("RECOMMEND", "REFINE"):
            constraints.seed_item_ids.extend(dict.fromkeys(m.item_id for m in mentions))
        turn_flags, _ = flags.scan(utterance)
        return intent_pb2.ParseResponse(
            intent=intent_pb2.IntentType.Value(f"INTENT_TYPE_{label}"),
            confidence=float(understood.probs[order[0]]),
            alternatives=intent_scores(understood.probs),
            constraints=constraints,
            mentions=[mention_message(m) for m in mentions],
            rewritten_query=" ".join(dict.fromkeys(query)),
            language=language,
            flags=turn_flags,
            **turn_fields(rules),
        )

    def _by_slot(self, understood: Understood, mentions) -> dict[Slot, list[str]]:
        """Span texts per slot (for people, the catalog's names they link to); a title or person
        span that names nothing in the catalog is taken as what the user wants more generally
        ("mala hotpot"), a category candidate."""
        by_slot: dict[Slot, list[str]] = {}
        for span, _ in understood.spans:
            if ordinal_of(span.text):
                continue  # "第三部", "the second one": which item of the list (the rules read it), not what it is
            slot, values = span.slot, [span.text]
            if slot is Slot.TITLE and not any(m.start < span.end and span.start < m.end for m in mentions):
                slot = Slot.CATEGORY
            elif slot is Slot.PERSON:
                names = [name for name, _, _ in self._people.link(span.text)]
                slot, values = (Slot.PERSON, names) if names else (Slot.CATEGORY, values)
            by_slot.setdefault(slot, []).extend(values)
        return by_slot

    def _constraints(self, by_slot: dict[Slot, list[str]], language: str) -> tuple[common_pb2.Constraints, list[str]]:
        include, keywords, domain = self._categories(by_slot.get(Slot.CATEGORY, []))
        exclude, _, _ = self._categories(by_slot.get(Slot.EXCLUDE, []))
        include = [c for c in include if c not in exclude]
        people = sorted(set(by_slot.get(Slot.PERSON, [])))
        keywords += by_slot.get(Slot.KEYWORD, [])
        mood = self._mood(by_slot.get(Slot.MOOD, []))
        bounds = self._ranges(by_slot, language)
        query = [*include, *(by_slot.get(Slot.MOOD, [])), *keywords]
        if self._words is not None:
            query += self._words.translate(keywords, self._encode)  # "太空探索" also searched as "space"
        return common_pb2.Constraints(
            include_categories=include,
            exclude_categories=exclude,
            keywords=keywords,
            ranges=ranges.to_protos(bounds),
            mood=mood,
            domain=domain,
            people=people,
        ), query

    def _categories(self, surfaces: list[str]) -> tuple[list[str], list[str], str]:
        """(categories linked, surfaces that did not link, the kind of item asked for)."""
        linked, unlinked, domain = [], [], ""
        for surface, (category, _) in zip(surfaces, self._terms.link(surfaces, self._encode), strict=True):
            if category is None:
                unlinked.append(surface)
            elif category in self._terms.kinds and len(self._terms.kinds) > 1:
                domain = domain or category
            elif category not in self._terms.kinds and category not in linked:
                linked.append(category)
        return linked, unlinked, domain

    def _mood(self, surfaces: list[str]) -> str:
        if not surfaces:
            return ""
        for surface in surfaces:
            if surface.lower().replace(" ", "-") in self._moods:
                return surface.lower().replace(" ", "-")
        scores = self._encode(surfaces[:1]) @ self._mood_vectors.T
        best = int(scores[0].argmax())
        return self._moods[best] if scores[0, best] >= MOOD_THRESHOLD else ""

    def _ranges(self, by_slot: dict[Slot, list[str]], language: str) -> dict[str, list[float | None]]:
        out = Extraction()
        now = dt.datetime.now(dt.UTC).year
        for slot, fields in RANGE_SLOTS.items():
            for text in by_slot.get(slot, []):
                found = extract(_with_unit(slot, text), language, now).ranges
                hits = {k: v for k, v in found.items() if k in fields}
                if not hits and not re.search(r"\d", text):
                    hits = self._without_number(slot, now)
                for name, (low, high) in hits.items():
                    out.set_range(self._field(name), low, high)
        return out.ranges

    def _without_number(self, slot: Slot, now: int) -> dict[str, list[float | None]]:
        if slot is Slot.RATING and self._top_rating is not None:
            return {"rating": [self._top_rating, None]}
        if slot is Slot.YEAR:
            return {"year": [now - RECENT_YEARS, None]}
        return {}

    def _field(self, name: str) -> str:
        """A price in dollars goes to `price_usd` only where the catalog has that field."""
        return name if name in self._numeric or name != "price_usd" else "price"


MOOD_THRESHOLD = 0.85


def _with_unit(slot: Slot, text: str) -> str:
    """A price span without a currency still reads as a price ("under 20" inside a price span)."""
    return text if slot is not Slot.PRICE or re.search(r"\$|元|块|price|dollar|yuan|bucks", text) else f"price {text}"
