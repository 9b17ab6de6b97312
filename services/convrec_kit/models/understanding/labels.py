"""The understanding model's label vocabulary: intents, slot types and their BIO tags."""

from __future__ import annotations

from enum import StrEnum

from ..intent import LABELS as INTENTS


class Slot(StrEnum):
    """What a span of an utterance is; the markup writes it in lower case: `[horror](category)`."""

    CATEGORY = "category"  # a category, genre or kind of item asked for: horror, 科幻片, movie, 书
    EXCLUDE = "exclude"  # a category ruled out, the word only: no [horror](exclude), 不要[恐怖片](exclude)
    PERSON = "person"  # director, actor, author, artist, chef, brand
    TITLE = "title"  # an item named by its title
    YEAR = "year"  # a time expression with its operator: [from the 90s](year), [2010年以后](year)
    PRICE = "price"  # [under $20](price), [100-200元之间](price)
    RUNTIME = "runtime"  # [under 2 hours](runtime), [90分钟以内](runtime)
    RATING = "rating"  # [rated above 8](rating), [highly rated](rating), [评分8分以上](rating)
    MOOD = "mood"  # [uplifting](mood), [scary](mood), [轻松](mood)
    KEYWORD = "keyword"  # any other thing to search for: [time travel](keyword), [spicy](keyword)


SLOTS = tuple(Slot)
TAGS = ("O", *(f"{prefix}-{slot.value}" for slot in SLOTS for prefix in ("B", "I")))
TAG_INDEX = {tag: i for i, tag in enumerate(TAGS)}
INTENT_INDEX = {label: i for i, label in enumerate(INTENTS)}
