"""Merging a turn's parsed constraints into the accumulated ones.

Later turns override earlier ones; a negation removes what was asked for; a change
of domain (movies to books) starts a fresh request; relative words ("newer",
"cheaper") move a bound past the list the user just saw. Pure: the input is not changed."""

from __future__ import annotations

import copy
import statistics
from dataclasses import dataclass

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2

from .session import Wanted

_STEP = {"year": 1.0, "price": 0.01, "price_usd": 0.01, "runtime": 1.0, "rating": 0.1}
# Where a relative change starts from: past every item shown ("cheaper than the cheapest
# shown") or past most of them (years and ratings, where the extreme leaves little).
_PAST_ALL = {"price", "price_usd", "runtime"}


@dataclass(frozen=True)
class Change:
    """A bound moved by a relative word: field, direction (+1 up, -1 down), new bound."""

    field: str
    direction: int
    bound: float


def merge(wanted: Wanted, parse: intent_pb2.ParseResponse, shown=()) -> Wanted:
    return merge_turn(wanted, parse, shown)[0]


def merge_turn(
    wanted: Wanted, parse: intent_pb2.ParseResponse, shown=()
) -> tuple[Wanted, list[Change]]:
    """The accumulated constraints after this turn, and the relative changes it made."""
    new = parse.constraints
    wanted = copy.deepcopy(wanted)
    if new.domain and wanted.domain and new.domain != wanted.domain:
        wanted = Wanted()
    additive = intent_pb2.TURN_FLAG_ADDITIVE in parse.flags
    _merge_categories(wanted, new, parse.cleared_categories, additive)
    _merge_ranges(wanted, new.ranges)
    changes = [
        change
        for adj in parse.adjustments
        if (change := _apply_adjustment(wanted, adj.field, adj.direction, shown)) is not None
    ]
    fresh = parse.intent == intent_pb2.INTENT_TYPE_RECOMMEND
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
    return wanted, changes


def _merge_categories(wanted: Wanted, new: common_pb2.Constraints, cleared, additive: bool) -> None:
    if new.include_categories:
        base = wanted.include if additive else []
        wanted.include = _unique([*base, *new.include_categories])
    wanted.exclude = _unique(
        [c for c in wanted.exclude if c not in new.include_categories and c not in cleared]
        + list(new.exclude_categories)
    )
    wanted.include = [c for c in wanted.include if c not in wanted.exclude]


def _merge_ranges(wanted: Wanted, ranges) -> None:
    for r in ranges:
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


def _apply_adjustment(wanted: Wanted, field: str, direction: int, shown) -> Change | None:
    if field.startswith("price") and wanted.domain == "movie":
        return None
    for name in [field] if field != "price" else ["price", "price_usd"]:
        values = [item.numeric[name] for item in shown if name in item.numeric]
        if not values:
            continue
        step = _STEP.get(name, 1.0)
        if name in _PAST_ALL:
            pivot = max(values) if direction > 0 else min(values)
        else:
            pivot = statistics.median(values)
        low, high = wanted.ranges.get(name, [None, None])
        if direction > 0:
            low = round(pivot + step, 2)
            high = None if high is not None and high < low else high
        else:
            high = round(pivot - step, 2)
            low = None if low is not None and low > high else low
        wanted.ranges[name] = [low, high]
        return Change(name, 1 if direction > 0 else -1, low if direction > 0 else high)
    return None


def _unique(values) -> list:
    return list(dict.fromkeys(values))
