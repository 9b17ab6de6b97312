"""The interest model's tensors on Triton: requests and results to and from named numpy
arrays, shared by the client and the Triton model so both sides read them one way."""

from __future__ import annotations

import numpy as np

from .features import DEVICES, GAP_BUCKETS, HOURS, LANGUAGES, SIGNALS, WEEKDAYS, Query, Sequence
from .scorer import Request, Scored

# name: (Triton data type, numpy dtype); each request carries a leading batch dimension of 1.
INPUTS = {"EVENTS": ("INT64", np.int64), "INTEREST": ("FP32", np.float32), "QUERY": ("INT64", np.int64),
          "CANDIDATES": ("INT64", np.int64)}
OUTPUTS = {"RELATIVE": np.float32, "CONTEXT_EFFECT": np.float32, "EVIDENCE": np.int64}
_EVENT_COLUMNS = ("items", "signals", "gaps", "hours", "weekdays")
# Sizes of the id vocabularies: event columns after the item, then the query's five ids.
_EVENT_SIZES = np.array([SIGNALS, GAP_BUCKETS, HOURS, WEEKDAYS])
_QUERY_SIZES = np.array([GAP_BUCKETS, HOURS, WEEKDAYS, len(DEVICES), len(LANGUAGES)])


def request_tensors(request: Request) -> dict[str, np.ndarray]:
    seq = request.sequence
    events = np.stack([getattr(seq, c) for c in _EVENT_COLUMNS], axis=1).astype(np.int64)
    return {
        "EVENTS": events[None],
        "INTEREST": seq.interest.astype(np.float32)[None],
        "QUERY": request.query.as_array()[None],
        "CANDIDATES": np.asarray(request.candidates, dtype=np.int64)[None],
    }


def request_from(tensors: dict[str, np.ndarray], items: int) -> Request:
    """A request from its tensors; ValueError when they are malformed or name unknown items."""
    events, interest = tensors["EVENTS"].reshape(-1, 5), tensors["INTEREST"].reshape(-1)
    query, candidates = tensors["QUERY"].reshape(-1), tensors["CANDIDATES"].reshape(-1)
    if len(events) == 0 or len(events) != len(interest) or len(query) != 5:
        raise ValueError("EVENTS must hold at least one event, one INTEREST value each, and QUERY five ids")
    for name, values in (("EVENTS", events[:, 0]), ("CANDIDATES", candidates)):
        if len(values) and (values.min() < 0 or values.max() >= items):
            raise ValueError(f"{name} names an item outside the catalog's {items} items")
    ids_ok = (0 <= events[:, 1:]).all() and (events[:, 1:] < _EVENT_SIZES).all()
    if not np.isfinite(interest).all() or not ids_ok or not ((0 <= query) & (query < _QUERY_SIZES)).all():
        raise ValueError("INTEREST must be finite and the feature ids within their vocabularies")
    columns = {c: events[:, i].copy() for i, c in enumerate(_EVENT_COLUMNS)}
    sequence = Sequence(**columns, interest=interest.astype(np.float32),
                        timestamps=np.zeros(len(events), dtype=np.float64))
    return Request(sequence, Query(*(int(v) for v in query)), candidates.astype(np.int64))


def scored_tensors(scored: Scored) -> dict[str, np.ndarray]:
    return {
        "RELATIVE": scored.relative.astype(np.float32)[None],
        "CONTEXT_EFFECT": scored.context_effect.astype(np.float32)[None],
        "EVIDENCE": scored.evidence.astype(np.int64)[None],
    }


def scored_from(tensors: dict[str, np.ndarray]) -> Scored:
    return Scored(tensors["RELATIVE"].reshape(-1), tensors["CONTEXT_EFFECT"].reshape(-1),
                  tensors["EVIDENCE"].reshape(-1))
