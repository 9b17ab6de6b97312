"""Merging a turn's parsed constraints into the accumulated ones.

Later turns override earlier ones; a negation removes what was asked for; a change
of domain (movies to books) starts a fresh request; relative words ("newer",
"cheaper") move a bound past the list the user just saw."""

from __future__ import annotations

import re
import statistics

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2

from .session import Wanted

_ADDITIVE = re.compile(r"\b(also|too|as well|and also|plus)\b|也|还要|再加")
_STEP = {"year": 1.0, "price": 0.01, "price_usd": 0.01, "runtime": 1.0, "rating": 0.1}


def merge(
    wanted: Wanted, parse: intent_pb2.ParseResponse, utterance: str, shown: list[common_pb2.Item]
) -> Wanted:
    new = parse.constraints
    fresh = parse.intent == intent_pb2.INTENT_TYPE_RECOMMEND
    if new.domain and wanted.domain and new.domain != wanted.domain:
        wanted = Wanted()
    additive = bool(_ADDITIVE.search(utterance.lower()))

    if new.include_categories:
        base = wanted.include if additive else []
        wanted.include = _unique([*base, *new.include_categories])
    wanted.exclude = _unique(
        [c for c in wanted.exclude if c not in new.include_categories and c not in parse.cleared_categories]
        + list(new.exclude_categories)
    )
    wanted.include = [c for c in wanted.include if c not in wanted.exclude]

    for r in new.ranges:
        low, high = wanted.ranges.get(r.field, [None, None])
        if r.HasField("min"):
            low = r.min
            if high is not None and high < low:
                high = None
        if r.HasField("max"):
            high = r.max
            if low is not None and low > high:
                low = None
        wanted.ranges[r.field] = [low, high]
    for adj in parse.adjustments:
        _apply_adjustment(wanted, adj.field, adj.direction, shown)

    if new.keywords:
        wanted.keywords = _unique([*(wanted.keywords if not fresh or additive else []), *new.keywords])
    if new.seed_item_ids:
        wanted.seeds = _unique([*(wanted.seeds if additive else []), *new.seed_item_ids])
    if new.mood:
        wanted.mood = new.mood
    if new.domain:
        wanted.domain = new.domain
    if new.people:
        wanted.people = list(new.people)
    return wanted


def _apply_adjustment(wanted: Wanted, field: str, direction: int, shown: list[common_pb2.Item]) -> None:
    if field.startswith("price") and wanted.domain == "movie":
        return
    names = [field] if field != "price" else ["price", "price_usd"]
    for name in names:
        values = [item.numeric[name] for item in shown if name in item.numeric]
        if not values and name == names[0] and len(names) > 1:
            continue
        low, high = wanted.ranges.get(name, [None, None])
        if not values:
            continue
        pivot = statistics.median(values)
        step = _STEP.get(name, 1.0)
        if direction > 0:
            low = pivot + step
            if high is not None and high < low:
                high = None
        else:
            high = pivot - step
            if low is not None and low > high:
                low = None
        wanted.ranges[name] = [low, high]
        return


def _unique(values) -> list:
    return list(dict.fromkeys(values))
