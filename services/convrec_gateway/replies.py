"""Reply texts of the dialogue, in the user's language, from the message catalogs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from . import messages as m
from .catalog_profile import Profile
from .session import Wanted

# Fields that share another field's texts.
_TEXT_OF_FIELD = {"price_usd": "price"}


def _range(lang: str, name: str, low: float | None, high: float | None) -> str:
    label = m.label(lang, "field", name)
    shown = {k: m.value(lang, name, v) for k, v in (("low", low), ("high", high)) if v is not None}
    form = "between" if len(shown) == 2 else "min" if "low" in shown else "max"
    return m.text(lang, f"describe.range.{form}", label=label, **shown)


def _categories(lang: str, names: list[str], kind: str = "and") -> str:
    return m.join(lang, [m.category(lang, c) for c in names], kind)


def describe(wanted: Wanted, lang: str) -> str:
    """A short phrase for what was understood, e.g. 'science fiction, year 1990–1999, no horror'."""
    parts = []
    if wanted.include:
        parts.append(_categories(lang, wanted.include, "or"))
    for name, (low, high) in sorted(wanted.ranges.items()):
        if low is not None or high is not None:
            parts.append(_range(lang, name, low, high))
    if wanted.people:
        parts.append(m.text(lang, "describe.people", names=m.join(lang, wanted.people)))
    if wanted.mood:
        parts.append(m.label(lang, "mood", wanted.mood))
    if wanted.exclude:
        parts.append(m.text(lang, "describe.exclude", categories=_categories(lang, wanted.exclude, "or")))
    if wanted.keywords:
        parts.append(m.text(lang, "describe.keywords", keywords=" ".join(wanted.keywords[:4])))
    return m.text(lang, "describe.sep").join(p for p in parts if p)


def _one(count: int) -> str:
    """The suffix of a message's singular form."""
    return ".one" if count == 1 else ""


def _items(lang: str, domain: str, count: int, profile: Profile) -> str:
    """"5 movies", "5 restaurants", "5 picks" (no one kind)."""
    one = _one(count)
    if m.has(f"items.{domain}{one}"):
        return m.text(lang, f"items.{domain}{one}", count=count)
    if domain in profile.kinds:
        return m.text(lang, f"items.kind{one}", count=count, noun=profile.noun(domain, lang, count))
    return m.text(lang, f"items.any{one}", count=count)


def recommend(titles: list[str], wanted: Wanted, lang: str, lead: str = "", domain: str = "",
              profile: Profile = Profile()) -> str:
    summary = describe(wanted, lang)
    count, one = len(titles), _one(len(titles))
    items = _items(lang, wanted.domain or domain, count, profile)
    if count > 5:
        shown = m.text(lang, "recommend.titles_more", titles=m.text(lang, "list.sep").join(titles[:5]), rest=count - 5)
    else:
        shown = m.join(lang, titles)
    summary = m.text(lang, "recommend.summary", summary=summary) if summary else ""
    return m.text(lang, f"recommend{one}", lead=lead, items=items, summary=summary, titles=shown)


def no_match(wanted: Wanted, lang: str) -> str:
    summary = describe(wanted, lang)
    return m.text(lang, "no_match", summary=summary) if summary else m.text(lang, "no_match.all")


def no_more(wanted: Wanted, lang: str) -> str:
    """Paging ran out: everything that matches has been shown."""
    summary = describe(wanted, lang)
    return m.text(lang, "no_more", summary=summary) if summary else m.text(lang, "no_more.all")


def ambiguous(chosen: str, others: list[str], lang: str) -> str:
    """Which of several items a name meant: the one taken, and a question about the others."""
    if not others:
        return m.text(lang, "ambiguous.none", chosen=chosen)
    return m.text(lang, "ambiguous", chosen=chosen, others=m.join(lang, others, "or"))


def adjusted(changes: list[tuple[str, int, float]], lang: str) -> str:
    """What a relative change did, per (field, direction, new bound): direction > 0 raised
    the lower bound ("newer"), otherwise the upper bound came down ("cheaper")."""
    said = []
    for field, direction, bound in changes:
        way = "up" if direction > 0 else "down"
        own = _TEXT_OF_FIELD.get(field, field)
        msg_id = m.first(f"adjusted.{own}.{way}", f"adjusted.any.{way}")
        shown = m.value(lang, field, bound)
        said.append(m.text(lang, msg_id, bound=shown, label=m.label(lang, "field", field)))
    return sentences(said, lang)


def sentences(parts: list[str], lang: str) -> str:
    """Sentences in a row, spaced as the language spaces them (English with a space, Chinese without)."""
    return m.text(lang, "sentence.sep").join(p.strip() for p in parts if p.strip())


def not_recommended(title: str, lang: str) -> str:
    return m.text(lang, "not_recommended", title=title)


def more_like(title: str, lang: str) -> str:
    """The lead of a list of items similar to title."""
    return m.text(lang, "more_like", title=title)


def greeting(lang: str, profile: Profile) -> str:
    return m.text(lang, "greeting", kinds=profile.offer(lang))


def goodbye(lang: str) -> str:
    return m.text(lang, "goodbye")


def chitchat(lang: str, profile: Profile) -> str:
    return m.text(lang, "chitchat", kinds=profile.offer(lang))


def chitchat_lead(lang: str) -> str:
    return m.text(lang, "chitchat.lead")


def clarify(lang: str, profile: Profile) -> str:
    return m.text(lang, "clarify", kinds=profile.offer(lang))


def clarify_suggestions(lang: str, profile: Profile) -> list[str]:
    """Suggested requests for the catalog's kinds the message catalog has examples for."""
    known = [f"suggestions.clarify.{k}" for k in profile.kinds if m.has(f"suggestions.clarify.{k}")]
    return [s for msg_id in known or ["suggestions.clarify.any"] for s in m.texts(lang, msg_id)]


def out_of_scope(lang: str, profile: Profile) -> str:
    return m.text(lang, "out_of_scope", kinds=profile.offer(lang))


def no_target(lang: str) -> str:
    return m.text(lang, "no_target")


class _ByLanguage(Mapping):
    """A fixed message by language code; an unknown language gets the English text."""

    def __init__(self, msg_id: str, many: bool = False) -> None:
        self._msg_id, self._many = msg_id, many

    def __getitem__(self, lang: str):
        return m.texts(lang, self._msg_id) if self._many else m.text(lang, self._msg_id)

    def __iter__(self) -> Iterator[str]:
        return iter(m.catalogs())

    def __len__(self) -> int:
        return len(m.catalogs())


# The fixed messages indexed by language, as callers used them before the functions above.
GOODBYE = _ByLanguage("goodbye")
CHITCHAT_LEAD = _ByLanguage("chitchat.lead")
NO_TARGET = _ByLanguage("no_target")


def acknowledge_like(title: str, lang: str) -> str:
    return m.text(lang, "ack.like", title=title)


def acknowledge_dislike(title: str, lang: str, seen: bool) -> str:
    return m.text(lang, "ack.dislike.seen" if seen else "ack.dislike", title=title)


def suggestions_after_list(first_title: str, lang: str, domain: str = "movie") -> list[str]:
    msg_id = m.first(f"suggestions.after_list.{domain}", "suggestions.after_list.any")
    return m.texts(lang, msg_id, title=first_title)
