"""Planning a list: the constraints, query, exclusions and history a recommending turn fetches with."""

from __future__ import annotations

from dataclasses import dataclass

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2
from convrec_kit import feedback as policy

from .fetch import Request
from .reducer import Act, Reduced

# Acts answered with a fresh list.
LIST_ACTS = (Act.RECOMMEND, Act.LIKED, Act.DISLIKED)


@dataclass(frozen=True)
class TurnContext:
    """What the client sent with the turn, besides the utterance."""

    parse: intent_pb2.ParseResponse
    context: common_pb2.Context
    filters: common_pb2.Constraints
    page_size: int
    # The user's stored feedback, oldest first.
    stored: tuple[common_pb2.FeedbackEvent, ...]
    utterance: str = ""


def list_request(reduced: Reduced, turn: TurnContext) -> Request:
    state = reduced.state
    constraints = with_filters(state.wanted.to_proto(), turn.filters)
    if reduced.act == Act.LIKED:
        liked_now = [e.item_id for e in reduced.events]
        constraints.seed_item_ids[:] = list(dict.fromkeys([*liked_now, *constraints.seed_item_ids]))
    history = policy.latest_per_item([*turn.stored, *state.events()])
    exclude = {e.item_id for e in history if policy.excludes(e)}
    # A refinement or a rejection may keep what is left of the last list; paging never does.
    keep_last = (reduced.intent == intent_pb2.INTENT_TYPE_REFINE or reduced.act == Act.DISLIKED)
    keep_last = keep_last and not reduced.paging
    exclude |= set(state.shown) - (set(state.last) if keep_last else set())
    return Request(
        constraints=constraints,
        query=query_of(state.wanted, turn.parse, state.language),
        language=state.language,
        exclude=frozenset(exclude),
        history=tuple(history),
        context=turn.context,
        page_size=turn.page_size,
    )


def query_of(wanted, parse: intent_pb2.ParseResponse, language: str) -> str:
    words = [*wanted.keywords, *wanted.include, *([wanted.mood] if wanted.mood else [])]
    query = " ".join(dict.fromkeys(words))
    if language == "zh" and parse.rewritten_query:
        # Chinese words are matched by the multilingual encoder on the turn's own text.
        query = " ".join(dict.fromkeys([parse.rewritten_query, query])).strip()
    return query


def with_filters(
    constraints: common_pb2.Constraints, filters: common_pb2.Constraints
) -> common_pb2.Constraints:
    """The client's hard filters on top of what the user said."""
    merged = common_pb2.Constraints()
    merged.CopyFrom(constraints)
    if not filters.ListFields():
        return merged
    merged.include_categories[:] = list(
        dict.fromkeys([*merged.include_categories, *filters.include_categories])
    )
    merged.exclude_categories[:] = list(
        dict.fromkeys([*merged.exclude_categories, *filters.exclude_categories])
    )
    merged.ranges.extend(filters.ranges)
    merged.exclude_item_ids.extend(filters.exclude_item_ids)
    if filters.domain:
        merged.domain = filters.domain
    merged.people.extend(filters.people)
    return merged
