"""Names the services share: score components, mood tags and the item fields that name people."""

from __future__ import annotations

from enum import StrEnum


class Component(StrEnum):
    """A score component's name, as sent in ScoreComponent.name."""

    # Retrieval's sources.
    DENSE = "dense"
    LEXICAL = "lexical"
    SEED = "seed"
    DISCUSSED = "discussed"
    HISTORY = "history"
    CO_OCCURRENCE = "co_occurrence"
    PRIOR = "prior"
    # The dialogue model's score for the dialogue so far.
    DIALOGUE = "dialogue"
    # Ranking's signals.
    INTEREST = "interest"
    CATEGORY = "category"
    POPULARITY = "popularity"
    CONTEXT = "context"
    # What the request's time and context added to a trained interest model's score.
    TIMING = "timing"
    DIVERSITY = "diversity"


# Retrieval components that ranking keeps as they are (history and prior give way to
# interest and popularity).
PASS_THROUGH = (
    Component.DENSE,
    Component.LEXICAL,
    Component.SEED,
    Component.DISCUSSED,
    Component.CO_OCCURRENCE,
    Component.DIALOGUE,
)
# Components whose evidence is an item id (the dialogue's: an item id or a quoted turn).
ITEM_EVIDENCE = (
    Component.SEED,
    Component.DISCUSSED,
    Component.HISTORY,
    Component.INTEREST,
    Component.CO_OCCURRENCE,
    Component.DIVERSITY,
    Component.DIALOGUE,
)
# A quoted turn as a component's evidence starts with this.
QUOTE = "said: "
QUOTE_CHARS = 80


def quote(text: str) -> str:
    text = " ".join(text.split())
    return QUOTE + (text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…")


def item_evidence(component) -> str:
    """The item id a component's evidence names, or ""."""
    if component.name not in ITEM_EVIDENCE or component.evidence.startswith(QUOTE):
        return ""
    return component.evidence


def contribution(component) -> float:
    """What a ScoreComponent added to its item's score: the learned ranker's share where one
    ranked the item, else value * weight."""
    if component.HasField("contribution"):
        return component.contribution
    return component.value * component.weight


class Mood(StrEnum):
    """A mood tag, as sent in Constraints.mood."""

    FUNNY = "funny"
    FUN = "fun"
    LIGHT = "light"
    UPLIFTING = "uplifting"
    RELAXING = "relaxing"
    DARK = "dark"
    SCARY = "scary"
    SAD = "sad"
    MOVING = "moving"
    EXCITING = "exciting"
    MIND_BENDING = "mind-bending"
    THOUGHT_PROVOKING = "thought-provoking"
    INSPIRING = "inspiring"
    CLASSIC = "classic"


# The catalog categories each mood asks for.
MOOD_CATEGORIES: dict[str, frozenset[str]] = {
    Mood.FUNNY: frozenset({"comedy"}),
    Mood.FUN: frozenset({"comedy", "adventure", "animation"}),
    Mood.LIGHT: frozenset({"comedy", "family"}),
    Mood.UPLIFTING: frozenset({"family", "comedy", "music"}),
    Mood.RELAXING: frozenset({"comedy", "family", "animation"}),
    Mood.DARK: frozenset({"crime", "thriller", "horror"}),
    Mood.SCARY: frozenset({"horror"}),
    Mood.SAD: frozenset({"drama", "romance"}),
    Mood.MOVING: frozenset({"drama"}),
    Mood.EXCITING: frozenset({"action", "thriller", "adventure"}),
    Mood.MIND_BENDING: frozenset({"science fiction", "mystery"}),
    Mood.THOUGHT_PROVOKING: frozenset({"drama", "science fiction", "documentary", "psychology"}),
    Mood.INSPIRING: frozenset({"biography", "sport", "drama"}),
    Mood.CLASSIC: frozenset({"drama", "western", "musical", "fiction"}),
}

# Item attributes that name a person or maker: filters, linking, similarity and explanations.
PEOPLE_FIELDS = ("director", "cast", "author", "brand")

