"""Utterances (with the assistant's last reply as context) to token ids, and character spans
to the BIO tags the model is trained on (`decoding.py` reads tags back into spans). The
utterance is the first sequence (with e5's "query: " prefix), the context the second; only
the utterance's tokens are tagged."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .labels import INTENT_INDEX, TAG_INDEX
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
