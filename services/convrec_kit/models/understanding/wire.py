"""The understanding model's results as Triton tensors and back: PROBS (FP32, one row of
intent probabilities per utterance) and SPANS (BYTES, one JSON list per utterance)."""

from __future__ import annotations

import json

import numpy as np

from .labels import Slot
from .markup import Span
from .model import Understood

INPUTS = ("TEXT", "CONTEXT")
OUTPUTS = ("PROBS", "SPANS")


def to_arrays(results: list[Understood]) -> dict[str, np.ndarray]:
    probs = np.stack([r.probs for r in results]).astype(np.float32)
    spans = [json.dumps([[s.start, s.end, s.slot.value, s.text, score] for s, score in r.spans], ensure_ascii=False)
             for r in results]
    return {"PROBS": probs, "SPANS": np.array([[s.encode("utf-8")] for s in spans], dtype=object)}


def from_arrays(probs: np.ndarray, spans: np.ndarray) -> list[Understood]:
    out = []
    for row, raw in zip(probs, spans.reshape(-1), strict=True):
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        parsed = [(Span(start, end, Slot(slot), surface), float(score)) for start, end, slot, surface, score in
                  json.loads(text)]
        out.append(Understood(np.asarray(row, dtype=np.float32), parsed))
    return out
