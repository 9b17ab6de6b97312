"""The interest component from a trained model: the turn's model input built from the
request's history and context, and the model's output turned into score components."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from convrec.common.v1 import common_pb2
from convrec_kit.models.interest.features import Event, Query, describe, encode
from convrec_kit.models.interest.scorer import Request, Scored
from convrec_kit.vocabulary import Component as K

FORMULA = "formula"
# Below this (in interest-value units) the context's share of a score is not reported.
TIMING_FLOOR = 1e-3


def model_source(version: str) -> str:
    return f"interest-model {version}"


@dataclass(frozen=True)
class Plan:
    """One turn's model input, and the item id of each event in it."""

    request: Request
    item_ids: list[str]


def plan(index: dict[str, int], positions: list[int], history, context: common_pb2.Context,
         now: dt.datetime, max_len: int) -> Plan | None:
    """The known items' events by time (same time: as they came), the most recent max_len;
    None when the user has none (a cold start is ranked by popularity and context)."""
    now_ts = now.timestamp()
    events = []
    for order, event in enumerate(history):
        pos = index.get(event.item_id)
        if pos is None:
            continue  # not (or no longer) in the catalog
        ts = event.timestamp.ToNanoseconds() / 1e9 if event.HasField("timestamp") else now_ts
        events.append((ts, order, Event(pos, event.type, event.value, ts), event.item_id))
    if not events:
        return None
    events.sort(key=lambda e: (e[0], e[1]))
    events = events[-max_len:]
    sequence = encode([e for _, _, e, _ in events])
    query = Query.at(now_ts, float(sequence.timestamps[-1]), context.device, context.locale)
    request = Request(sequence, query, np.asarray(positions, dtype=np.int64))
    return Plan(request, [item_id for _, _, _, item_id in events])


def components(plan: Plan, scored: Scored, weight: float, span: float, version: str):
    """Per candidate: the interest component (the model's score without the request's
    context, as 1 at the catalog's best item down to -1 at `span` nats below it; evidence:
    the past event it leaned on) and, where the context moved it, the timing component."""
    source = model_source(version)
    values = np.clip(1.0 + scored.relative / span, -1.0, 1.0)
    timing = scored.context_effect / span
    when = describe(plan.request.query)
    out = []
    for row, value in enumerate(values):
        lean = int(scored.evidence[row])
        parts = [common_pb2.ScoreComponent(name=K.INTEREST, value=float(value), weight=weight,
                                           evidence=plan.item_ids[lean] if lean >= 0 else "", source=source)]
        if abs(timing[row]) >= TIMING_FLOOR:
            parts.append(common_pb2.ScoreComponent(name=K.TIMING, value=float(timing[row]), weight=weight,
                                                   evidence=when, source=source))
        out.append(parts)
    return out
