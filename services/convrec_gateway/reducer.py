"""The dialogue state reducer: state + one understood event -> the new state and what it means.

Every path changes a session through `reduce`: live user turns, replayed history (user
and assistant turns), feedback through the API, and the list a turn showed. It does no
I/O and never changes its input."""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass, field

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2

from .merge import Change, merge_turn
from .session import MAX_SHOWN, Session

IT = intent_pb2
TF = intent_pb2.TurnFlag
FT = common_pb2.FeedbackType
ROLE = common_pb2.Turn.Role


class Act(enum.Enum):
    """What the turn asks the gateway to do next."""

    NONE = 0
    RECOMMEND = 1
    CLARIFY = 2
    DETAILS = 3
    EXPLAIN = 4
    LIKED = 5
    DISLIKED = 6
    GREETING = 7
    GOODBYE = 8
    CHITCHAT = 9
    OUT_OF_SCOPE = 10
    NO_TARGET = 11


@dataclass(frozen=True)
class UserTurn:
    parse: intent_pb2.ParseResponse
    # The items of the last list, for relative changes ("cheaper").
    shown_items: tuple[common_pb2.Item, ...] = ()
    # The user already has positive feedback stored, or the client sent hard filters:
    # a vague request needs no clarifying question.
    knows_user: bool = False
    text: str = ""


@dataclass(frozen=True)
class AssistantTurn:
    """An assistant reply (replayed, or the one a turn just gave): the items it named."""

    item_ids: tuple[str, ...]
    text: str = ""


@dataclass(frozen=True)
class FeedbackGiven:
    """Feedback events sent through the API."""

    events: tuple[common_pb2.FeedbackEvent, ...]


@dataclass(frozen=True)
class ListShown:
    """The ranked list a turn showed, with its scores and the query behind it."""

    items: tuple[common_pb2.ScoredItem, ...]
    query: str = ""


Event = UserTurn | AssistantTurn | FeedbackGiven | ListShown


@dataclass
class Reduced:
    state: Session
    act: Act = Act.NONE
    # The intent after the dialogue's correction.
    intent: int = IT.INTENT_TYPE_UNSPECIFIED
    # The item the turn is about (feedback, details, why, "more like it").
    target: str = ""
    events: list[common_pb2.FeedbackEvent] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    # "more", "next": only items never shown in this session.
    paging: bool = False
    # Items the turn asked for more of ("more like the first one").
    similar_to: list[str] = field(default_factory=list)
    # The named item was a close call between these (chosen first).
    ambiguous: list[str] = field(default_factory=list)


def reduce(state: Session, event: Event) -> Reduced:
    state = copy.deepcopy(state)
    if isinstance(event, UserTurn):
        return _user_turn(state, event)
    if isinstance(event, AssistantTurn):
        state.hear(ROLE.ROLE_ASSISTANT, event.text)
        state.discuss(list(event.item_ids))
        if event.item_ids:
            state.last = list(event.item_ids)
            _add_shown(state, event.item_ids)
        return Reduced(state)
    if isinstance(event, FeedbackGiven):
        for e in event.events:
            state.feedback.append([e.item_id, e.type, e.value])
        return Reduced(state, events=list(event.events))
    if isinstance(event, ListShown):
        state.last = [s.item_id for s in event.items]
        _add_shown(state, state.last)
        state.remember_scores(list(event.items))
        state.last_query = event.query
        state.focus = ""
        return Reduced(state)
    raise TypeError(f"not a dialogue event: {type(event).__name__}")


def resolve_intent(state: Session, parse: intent_pb2.ParseResponse) -> int:
    """The classifier's intent, corrected by the dialogue: feedback or a question with
    nothing to refer to but clear constraints is a request; asking for more or for
    similar items is a request; a request that only narrows the list just shown is a
    refinement."""
    c, flags = parse.constraints, set(parse.flags)
    asks_for_items = bool(c.include_categories or c.ranges or c.people or c.seed_item_ids)
    has_referent = bool(parse.mentions or state.last or state.focus)
    kind = parse.intent
    if kind in _REFERRING and not has_referent and asks_for_items:
        return IT.INTENT_TYPE_RECOMMEND
    if TF.TURN_FLAG_SIMILAR in flags and has_referent and kind != IT.INTENT_TYPE_ASK_EXPLANATION:
        return IT.INTENT_TYPE_RECOMMEND
    asks_a_field = kind == IT.INTENT_TYPE_ASK_DETAILS and bool(parse.detail_fields)
    if TF.TURN_FLAG_MORE in flags and state.last and kind != IT.INTENT_TYPE_ASK_EXPLANATION and not asks_a_field:
        return IT.INTENT_TYPE_REFINE
    points_at_shown = bool(parse.ordinal or TF.TURN_FLAG_DEMONSTRATIVE in flags) and bool(state.last)
    if kind in _REQUESTS and points_at_shown and parse.detail_fields and not asks_for_items:
        return IT.INTENT_TYPE_ASK_DETAILS  # "what is the last one about?"
    narrows_only = (parse.adjustments or c.exclude_categories) and not (
        c.include_categories or c.seed_item_ids or c.people or c.domain
    )
    if kind == IT.INTENT_TYPE_RECOMMEND and state.last and narrows_only:
        return IT.INTENT_TYPE_REFINE
    return kind


def referent(state: Session, parse: intent_pb2.ParseResponse) -> str:
    """The item a turn refers to: named, by position in the last list, or on screen."""
    if parse.mentions:
        return parse.mentions[0].item_id
    if parse.ordinal:
        index = parse.ordinal - 1 if parse.ordinal > 0 else len(state.last) + parse.ordinal
        return state.last[index] if 0 <= index < len(state.last) else ""
    return state.focus or (state.last[0] if state.last else "")


_QUESTIONS = (IT.INTENT_TYPE_ASK_EXPLANATION, IT.INTENT_TYPE_ASK_DETAILS)
_REQUESTS = (IT.INTENT_TYPE_RECOMMEND, IT.INTENT_TYPE_REFINE)
_REFERRING = (IT.INTENT_TYPE_FEEDBACK_POSITIVE, IT.INTENT_TYPE_FEEDBACK_NEGATIVE, *_QUESTIONS)
_SMALL_ACTS = {
    IT.INTENT_TYPE_GREETING: Act.GREETING,
    IT.INTENT_TYPE_GOODBYE: Act.GOODBYE,
    IT.INTENT_TYPE_OUT_OF_SCOPE: Act.OUT_OF_SCOPE,
}


def _user_turn(state: Session, turn: UserTurn) -> Reduced:
    parse = turn.parse
    kind = resolve_intent(state, parse)
    state.language = parse.language or state.language
    state.hear(ROLE.ROLE_USER, turn.text)
    state.discuss([m.item_id for m in parse.mentions])
    state.turn_count += 1
    out = Reduced(state, intent=kind, ambiguous=_ambiguity(parse))
    if kind in _SMALL_ACTS:
        out.act = _SMALL_ACTS[kind]
    elif kind == IT.INTENT_TYPE_CHITCHAT:
        # Small talk inside a conversation about items answers and keeps suggesting.
        in_talk = not state.wanted.is_empty() or state.discussed or state.liked
        out.act = Act.RECOMMEND if in_talk else Act.CHITCHAT
    elif kind in (IT.INTENT_TYPE_FEEDBACK_POSITIVE, IT.INTENT_TYPE_FEEDBACK_NEGATIVE):
        _feedback(out, parse, positive=kind == IT.INTENT_TYPE_FEEDBACK_POSITIVE)
    elif kind in _QUESTIONS:
        out.target = referent(state, parse)
        state.focus = out.target or state.focus
        out.act = Act.NO_TARGET if not out.target else (
            Act.DETAILS if kind == IT.INTENT_TYPE_ASK_DETAILS else Act.EXPLAIN
        )
    else:
        _request(out, turn)
    return out


def _feedback(out: Reduced, parse: intent_pb2.ParseResponse, positive: bool) -> None:
    state = out.state
    targets = [m.item_id for m in parse.mentions] or [referent(state, parse)]
    targets = [t for t in dict.fromkeys(targets) if t]
    if not targets:
        out.act = Act.NO_TARGET
        return
    if positive:
        kind = FT.FEEDBACK_TYPE_LIKE
    else:
        kind = FT.FEEDBACK_TYPE_SEEN if TF.TURN_FLAG_SEEN in parse.flags else FT.FEEDBACK_TYPE_DISLIKE
    for item_id in targets:
        state.feedback.append([item_id, kind, 0.0])
        out.events.append(common_pb2.FeedbackEvent(item_id=item_id, type=kind))
    state.focus = targets[-1]
    out.target = targets[0]
    out.act = Act.LIKED if positive else Act.DISLIKED


def _request(out: Reduced, turn: UserTurn) -> None:
    state, parse = out.state, turn.parse
    flags = set(parse.flags)
    if TF.TURN_FLAG_SIMILAR in flags and not parse.constraints.seed_item_ids:
        out.similar_to = [t for t in [referent(state, parse)] if t]
    state.wanted, out.changes = merge_turn(state.wanted, _with_seeds(parse, out.similar_to), turn.shown_items)
    out.paging = TF.TURN_FLAG_MORE in flags and bool(state.shown)
    vague = state.wanted.is_empty() and not state.liked and not turn.knows_user
    out.act = Act.CLARIFY if vague and not state.clarified else Act.RECOMMEND
    state.clarified = True


def _with_seeds(parse: intent_pb2.ParseResponse, seeds: list[str]) -> intent_pb2.ParseResponse:
    if not seeds:
        return parse
    parse = copy.deepcopy(parse)
    parse.constraints.seed_item_ids.extend(seeds)
    return parse


def _ambiguity(parse: intent_pb2.ParseResponse) -> list[str]:
    for m in parse.mentions:
        if m.ambiguous and m.alternative_item_ids:
            return [m.item_id, *m.alternative_item_ids]
    return []


def _add_shown(state: Session, item_ids) -> None:
    state.shown = list(dict.fromkeys([*state.shown, *item_ids]))[-MAX_SHOWN:]
