"""Utterances (with the assistant's last reply as context) to token ids, BIO tags to and from
character spans. The utterance is the first sequence (with e5's "query: " prefix), the context
the second; only the utterance's tokens are tagged."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ...text import has_cjk
from .labels import INTENT_INDEX, TAG_INDEX, TAGS, Slot
from .markup import Span

PREFIX = "query: "
MAX_TOKENS = 96
IGNORE = -100


@dataclass
class Encoded:
    input_ids: torch.Tensor  # (batch, length)
    attention_mask: torch.Tensor
    offsets: list[list[tuple[int, int] | None]]  # per token: chars of the utterance, None when not the utterance's


def encode(tokenizer, texts: list[str], contexts: list[str] | None = None) -> Encoded:
    contexts = contexts or [""] * len(texts)
    pairs = [c if c else None for c in contexts]
    if all(p is None for p in pairs):
        batch = tokenizer(
            [PREFIX + t for t in texts],
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_offsets_mapping=True,
            return_token_type_ids=False,
            return_tensors="pt",
        )
    else:  # pairs and singles in one batch: a missing context is one space
        batch = tokenizer(
            [PREFIX + t for t in texts],
            [p or " " for p in pairs],
            padding=True,
            truncation="only_second",
            max_length=MAX_TOKENS,
            return_offsets_mapping=True,
            return_token_type_ids=False,
            return_tensors="pt",
        )
    offsets = []
    for row, text in enumerate(texts):
        ids = batch.sequence_ids(row)
        spans = []
        for sequence, (start, end) in zip(ids, batch["offset_mapping"][row].tolist(), strict=True):
            start, end = start - len(PREFIX), end - len(PREFIX)
            if sequence != 0 or end <= 0 or start >= len(text):
                spans.append(None)
                continue
            start = max(start, 0)
            while start < end and text[start].isspace():
                start += 1
            spans.append((start, end) if start < end else None)
        offsets.append(spans)
    return Encoded(batch["input_ids"], batch["attention_mask"], offsets)


def tag_targets(offsets: list[tuple[int, int] | None], spans: list[Span] | None) -> list[int]:
    """BIO tag ids per token; IGNORE where a token is not the utterance's or spans are unknown."""
    if spans is None:
        return [IGNORE] * len(offsets)
    out, previous = [], None
    for token in offsets:
        if token is None:
            out.append(IGNORE)
            continue
        span = next((s for s in spans if s.start <= token[0] < s.end or token[0] <= s.start < token[1]), None)
        if span is None:
            out.append(TAG_INDEX["O"])
        else:
            out.append(TAG_INDEX[f"{'I' if span is previous else 'B'}-{span.slot.value}"])
        previous = span
    return out


def intent_target(label: str | None) -> int:
    return INTENT_INDEX[label] if label else IGNORE


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
    return _join_split_words(text, decoded)


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


def _span(text: str, start: int, end: int, slot: str, probs: list[float]) -> tuple[Span, float] | None:
    """The span without surrounding punctuation or a trailing structural particle (的, 了)."""
    surface = text[start:end].strip(" ,.?!，。？！、《》")
    while len(surface) > 1 and surface[-1] in "的了":
        surface = surface[:-1]
    if not surface:
        return None
    start = text.find(surface, start)
    return Span(start, start + len(surface), Slot(slot), surface), sum(probs) / len(probs)
