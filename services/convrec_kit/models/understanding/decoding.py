"""Predicted BIO tags back into character spans: pieces of one written word share a tag, a
Chinese word the tagger split is read whole, and spans lose surrounding punctuation. Only
what is served, so changing it never calls for retraining."""

from __future__ import annotations

from ...text import chinese_word_bounds, has_cjk
from .labels import TAGS, Slot
from .markup import Span


def _continues_word(text: str, previous: tuple[int, int] | None, token: tuple[int, int]) -> bool:
    """A subword inside a written word (Latin script): it takes the word's first piece's tag."""
    if previous is None or previous[1] != token[0] or token[0] == 0:
        return False
    before, after = text[token[0] - 1], text[token[0]]
    return before.isascii() and after.isascii() and (before.isalnum() or before in "-'") and after.isalnum()


def decode_spans(
    text: str, offsets: list[tuple[int, int] | None], tags: list[int], scores: list[float] | None = None
) -> list[tuple[Span, float]]:
    """Spans from predicted tags (an I- after O or another slot starts a span; the pieces of one
    written word share its first piece's tag), with the mean probability of their tokens."""
    spans: list[list | None] = []
    previous: tuple[int, int] | None = None
    word_tag = "O"
    for index, (token, tag) in enumerate(zip(offsets, tags, strict=True)):
        if token is None:
            previous = None
            continue
        continues = _continues_word(text, previous, token)
        previous = token
        name = word_tag.replace("B-", "I-") if continues else TAGS[tag]
        word_tag = name
        if name == "O":
            spans.append(None)
            continue
        prefix, slot = name.split("-", 1)
        last = spans[-1] if spans else None
        score = scores[index] if scores else 1.0
        if prefix == "I" and last is not None and last[2] == slot:
            last[1] = token[1]
            last[3].append(score)
        else:
            spans.append([token[0], token[1], slot, [score]])
    decoded = [out for span in spans if span is not None and (out := _span(text, *span)) is not None]
    return _snap_to_words(text, _join_split_words(text, decoded))


# Slots whose touching spans stay apart: numbers ("90年代" + "动作片") and names.
KEPT_APART = frozenset({Slot.YEAR, Slot.PRICE, Slot.RUNTIME, Slot.RATING, Slot.PERSON})


def _split_word(text: str, left: Span, right: Span) -> bool:
    """Whether two spans are pieces of one Chinese word the tagger gave two slots ("水" + "煮鱼")."""
    after = text[right.start]
    touching = left.end == right.start and has_cjk(text[left.end - 1]) and (has_cjk(after) or after.isalnum())
    return touching and left.slot != right.slot and not {left.slot, right.slot} & KEPT_APART


def _join_split_words(text: str, spans: list[tuple[Span, float]]) -> list[tuple[Span, float]]:
    """Pieces of one word joined into one span, with the slot of the longer piece."""
    out: list[tuple[Span, float]] = []
    for span, prob in spans:
        if out and _split_word(text, out[-1][0], span):
            last, last_prob = out[-1]
            slot = last.slot if len(last.text) >= len(span.text) else span.slot
            out[-1] = (Span(last.start, span.end, slot, text[last.start : span.end]), (last_prob + prob) / 2)
        else:
            out.append((span, prob))
    return out


# Sentence particles a span never grows into.
PARTICLES = frozenset("的了吧吗呢啊呀哈啦嘛")


def _snap_to_words(text: str, spans: list[tuple[Span, float]]) -> list[tuple[Span, float]]:
    """A span that cuts a Chinese word ("火" of 火锅, "豚骨拉" of 豚骨拉面) grows to the whole
    word, unless that would reach into a neighbouring span."""
    if not any(has_cjk(span.text) for span, _ in spans):
        return spans
    bounds = chinese_word_bounds(text)
    out = []
    for index, (span, prob) in enumerate(spans):
        start = next((a for a, b in bounds if a < span.start < b), span.start)
        end = next((b for a, b in bounds if a < span.end < b), span.end)
        if text[end - 1] in PARTICLES:
            end = span.end  # "书" + "吧", "剧" + "哈": a particle jieba kept with the word
        before = spans[index - 1][0].end if index else 0
        after = spans[index + 1][0].start if index + 1 < len(spans) else len(text)
        if (start, end) != (span.start, span.end) and before <= start and end <= after:
            span = Span(start, end, span.slot, text[start:end])
        out.append((span, prob))
    return out


def _span(text: str, start: int, end: int, slot: str, probs: list[float]) -> tuple[Span, float] | None:
    """The span without surrounding punctuation or a trailing structural particle (的, 了)."""
    surface = text[start:end].strip(" ,.?!，。？！、《》")
    while len(surface) > 1 and surface[-1] in "的了":
        surface = surface[:-1]
    if not surface:
        return None
    start = text.find(surface, start)
    return Span(start, start + len(surface), Slot(slot), surface), sum(probs) / len(probs)
