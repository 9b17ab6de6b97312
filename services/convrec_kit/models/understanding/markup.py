"""The labelled-utterance markup: `[span text](slot)` inside the text, to plain text and spans.

    "a [horror](category) [movie](category) [from the 90s](year) but no [gore](exclude)"

Brackets that are not followed by `(slot)` stay as text; a slot name must be one of Slot."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .labels import Slot

_SPAN = re.compile(r"\[([^\[\]]+)\]\(([a-z]+)\)")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    slot: Slot
    text: str


def parse(marked: str) -> tuple[str, list[Span]]:
    """Plain text and its spans (character offsets into the plain text)."""
    out, spans, cursor = [], [], 0
    length = 0
    for match in _SPAN.finditer(marked):
        before = marked[cursor : match.start()]
        out.append(before)
        length += len(before)
        surface, name = match.group(1), match.group(2)
        try:
            slot = Slot(name)
        except ValueError:
            raise ValueError(f"unknown slot {name!r} in {marked!r}") from None
        spans.append(Span(length, length + len(surface), slot, surface))
        out.append(surface)
        length += len(surface)
        cursor = match.end()
    out.append(marked[cursor:])
    return "".join(out), spans


def render(text: str, spans: list[Span]) -> str:
    """The markup of a text and its spans (the inverse of parse)."""
    out, cursor = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(text[cursor : span.start])
        out.append(f"[{text[span.start : span.end]}]({span.slot.value})")
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)
