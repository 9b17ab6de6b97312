"""Reply texts by message id and language, read from one JSON catalog per language (locales/)."""

from __future__ import annotations

import json
import string
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).parent / "locales"
DEFAULT = "en"
Template = str | list[str]


@cache
def catalogs() -> dict[str, dict[str, Template]]:
    """Every language's catalog, by language code (the file's name)."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(LOCALES.glob("*.json"))}


def language(lang: str) -> str:
    """The catalog that serves lang: itself, its base language ("zh-CN" -> "zh"), else English."""
    lang = (lang or "").lower().replace("_", "-")
    books = catalogs()
    if lang in books:
        return lang
    base = lang.split("-", 1)[0]
    return base if base in books else DEFAULT


def has(msg_id: str) -> bool:
    """Whether the catalogs define msg_id (English, the reference, defines every id)."""
    return msg_id in catalogs()[DEFAULT]


def first(*msg_ids: str) -> str:
    """The first of msg_ids the catalogs define (the last one when none is)."""
    return next((m for m in msg_ids if has(m)), msg_ids[-1])


def placeholders(template: Template) -> set[str]:
    """The parameter names a template uses."""
    parts = template if isinstance(template, list) else [template]
    return {name for part in parts for _, name, _, _ in string.Formatter().parse(part) if name is not None}


def _template(lang: str, msg_id: str) -> Template:
    book = catalogs()[language(lang)]
    return book[msg_id] if msg_id in book else catalogs()[DEFAULT][msg_id]


def text(lang: str, msg_id: str, **params) -> str:
    """The message in lang with params filled in; English where lang or its text is missing
    or its text does not format."""
    template = _template(lang, msg_id)
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return catalogs()[DEFAULT][msg_id].format(**params)


def texts(lang: str, msg_id: str, **params) -> list[str]:
    """A list message (e.g. suggested replies), each entry filled in."""
    template = _template(lang, msg_id)
    try:
        return [t.format(**params) for t in template]
    except (KeyError, IndexError, ValueError):
        return [t.format(**params) for t in catalogs()[DEFAULT][msg_id]]


def join(lang: str, names: list[str], kind: str = "and") -> str:
    """A list in the language's grammar: "A, B and C", "A、B、C"; kind is "and" or "or"."""
    if len(names) <= 1:
        return "".join(names)
    sep = text(lang, "list.sep")
    return text(lang, f"list.{kind}", items=sep.join(names[:-1]), last=names[-1])


def plural(lang: str, noun: str) -> str:
    """A noun for more than one, by the language's rule ("grammar.plural"): "english" adds -s
    or -es (-ies after a consonant's y) to a word in Latin letters; "none" leaves it."""
    if text(lang, "grammar.plural") != "english" or not noun.isascii() or not noun[-1:].isalpha():
        return noun
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def category(lang: str, name: str) -> str:
    """A category's display name; the name itself where the catalogs have none."""
    return label(lang, "category", name)


def value(lang: str, field: str, number: float) -> str:
    """A numeric field's value as shown: money with its currency, other numbers plainly."""
    return text(lang, first(f"value.{field}", "value.default"), value=number)


def label(lang: str, kind: str, name: str) -> str:
    """The display name of a field, mood or score component (kind), else the name itself."""
    msg_id = f"{kind}.{name}"
    return text(lang, msg_id) if has(msg_id) else name
