"""Explanations grounded in the score components and the item's own data."""

from __future__ import annotations

import re
from collections.abc import Callable

from convrec.common.v1 import common_pb2
from convrec_kit.vocabulary import ITEM_EVIDENCE, PEOPLE_FIELDS, QUOTE, contribution, item_evidence
from convrec_kit.vocabulary import Component as K

from . import messages as m
from .session import Wanted

__all__ = ["CITE", "ITEM_EVIDENCE", "PERSONAL", "breakdown", "explain"]

TitleOf = Callable[[str], str]
PERSONAL = (K.SEED, K.DISCUSSED, K.INTEREST)
# Below these values a component is too weak to cite as a reason; each has a "reason.<name>" text.
CITE = {
    K.SEED: 0.3,
    K.DISCUSSED: 0.3,
    K.INTEREST: 0.05,
    K.CATEGORY: 0.01,
    K.DENSE: 0.25,
    K.LEXICAL: 0.2,
    K.POPULARITY: 0.75,
    K.CONTEXT: 0.01,
    K.TIMING: 0.05,
    K.CO_OCCURRENCE: 0.1,
    K.DIALOGUE: 0.3,
}
# Reasons that describe the query rather than cite evidence.
TEXT_MATCH = (K.DENSE, K.LEXICAL)
# Popularity's evidence, as the ranking service writes it.
_RATED = re.compile(r"rated (\S+)")


def _categories(lang: str, names: list[str], kind: str = "and") -> str:
    return m.join(lang, [m.category(lang, c) for c in names], kind)


def _evidence(c: common_pb2.ScoreComponent, lang: str, title_of: TitleOf) -> str:
    """A component's evidence as shown: an item's title, a rating or categories in lang."""
    if not c.evidence:
        return ""
    if item_evidence(c):
        return title_of(c.evidence)
    if c.evidence.startswith(QUOTE):
        return f"\u201c{c.evidence.removeprefix(QUOTE)}\u201d"
    if c.name == K.CATEGORY:
        return m.text(lang, "list.sep").join(m.category(lang, x) for x in c.evidence.split(", "))
    rated = _RATED.fullmatch(c.evidence)
    if c.name == K.POPULARITY and rated:
        return m.text(lang, "evidence.rated", rating=rated[1])
    return c.evidence


def _reason(c: common_pb2.ScoreComponent, query: str, lang: str, title_of: TitleOf, opinion_of) -> str:
    """The reason a cited component gives; empty where it has nothing to say."""
    needed = query if c.name in TEXT_MATCH else c.evidence
    if not needed or not m.has(f"reason.{c.name}"):
        return ""
    # The user's interest is cited with what they did with the item (liked, saw, clicked).
    msg_id = m.first(f"reason.{c.name}.{opinion_of(c.evidence)}", f"reason.{c.name}")
    shown = _evidence(c, lang, title_of)
    categories = _categories(lang, c.evidence.split(", ")) if c.name == K.CATEGORY else ""
    return m.text(
        lang,
        msg_id,
        title=shown,
        evidence=shown,
        categories=categories,
        query=query,
        label=m.label(lang, "component", c.name),
        value=c.value,
    )


def _range_fact(lang: str, name: str, value: float, low: float | None, high: float | None) -> str:
    """A met range stated with the item's value; empty for a field without a fact text."""
    own = "price" if name == "price_usd" else name
    if not m.has(f"fact.{own}"):
        return ""
    bound = ""
    if name == "year":
        form = "between" if low is not None and high is not None else "min" if low is not None else "max"
        ends = {k: int(v) for k, v in (("low", low), ("high", high)) if v is not None}
        bound = m.text(lang, f"fact.year.{form}", **ends)
    return m.text(
        lang,
        f"fact.{own}",
        year=int(value),
        bound=bound,
        price=m.value(lang, name, value),
        runtime=int(value),
        rating=value,
    )


def _facts(item: common_pb2.Item, wanted: Wanted, lang: str) -> list[str]:
    """Constraints the item satisfies, stated with the item's own values."""
    facts = []
    for name, (low, high) in sorted(wanted.ranges.items()):
        value = item.numeric.get(name)
        if value is None or (low is not None and value < low) or (high is not None and value > high):
            continue
        if fact := _range_fact(lang, name, value, low, high):
            facts.append(fact)
    for person in wanted.people:
        role = _role_of(item, person)
        if role:
            facts.append(m.text(lang, f"fact.person.{role}", person=person))
    if wanted.exclude and not set(wanted.exclude) & set(item.categories):
        facts.append(m.text(lang, "fact.exclude", categories=_categories(lang, wanted.exclude, "or")))
    return facts


def _role_of(item: common_pb2.Item, person: str) -> str:
    for role in PEOPLE_FIELDS:
        if person.lower() in item.attributes.get(role, "").lower():
            return role
    return ""


def explain(
    item: common_pb2.Item,
    components: list[common_pb2.ScoreComponent],
    wanted: Wanted,
    query: str,
    lang: str,
    title_of: TitleOf,
    opinion_of: Callable[[str], str] = lambda _: "",
) -> str:
    """One or two sentences: the strongest cited components first, then the constraints met.
    opinion_of names what the user did with an item ("seen", "like"), for interest reasons."""
    # Personal reasons (the item named, the user's taste) come first, then the rest by
    # contribution.
    ranked = sorted(components, key=lambda c: (c.name not in PERSONAL, -contribution(c)))
    text_match = [c for c in ranked if c.name in TEXT_MATCH][1:]
    ranked = [c for c in ranked if c not in text_match]  # cite the stronger text match only
    reasons = []
    for c in ranked:
        if contribution(c) <= 0 or c.value < CITE.get(c.name, 1e9):
            continue
        text = _reason(c, query, lang, title_of, opinion_of)
        if text and text not in reasons:
            reasons.append(text)
        if len(reasons) == 3:
            break
    reasons += _facts(item, wanted, lang)
    if reasons:
        return m.text(lang, "explain.because", reasons=m.text(lang, "explain.sep").join(reasons))
    top = max(components, key=contribution, default=None)
    if top is not None and contribution(top) > 0:
        return m.text(lang, "explain.strongest", label=m.label(lang, "component", top.name), value=top.value)
    return m.text(lang, "explain.nothing")


def breakdown(score: float, components: list[common_pb2.ScoreComponent], lang: str, title_of: TitleOf) -> str:
    """Every component with its contribution, largest first."""
    parts = []
    for c in sorted(components, key=lambda c: abs(contribution(c)), reverse=True):
        label = m.label(lang, "component", c.name)
        evidence = _evidence(c, lang, title_of)
        if evidence:
            label = m.text(lang, "breakdown.evidence", label=label, evidence=evidence)
        # A learned ranker's share is no product of value and weight.
        key = "breakdown.part_learned" if c.HasField("contribution") else "breakdown.part"
        parts.append(m.text(lang, key, label=label, value=c.value, weight=c.weight, contribution=contribution(c)))
    joined = m.text(lang, "breakdown.sep").join(parts)
    if any(c.HasField("contribution") for c in components):
        # What the learned ranker gives every item, and the parts of features an item lacks.
        base = score - sum(contribution(c) for c in components)
        return m.text(lang, "breakdown.learned", score=score, parts=joined, base=base)
    return m.text(lang, "breakdown", score=score, parts=joined)
