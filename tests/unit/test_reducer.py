"""convrec_gateway.reducer: one pure function for every change of the dialogue state."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2
from convrec_gateway.plan import TurnContext, list_request
from convrec_gateway.reducer import (
    Act,
    AssistantTurn,
    FeedbackGiven,
    ListShown,
    UserTurn,
    reduce,
)
from convrec_gateway.session import Session, Wanted

IT = intent_pb2
TF = intent_pb2.TurnFlag
FT = common_pb2.FeedbackType


def parse(intent=IT.INTENT_TYPE_RECOMMEND, flags=(), ordinal=0, mentions=(), **constraints):
    return intent_pb2.ParseResponse(
        intent=intent,
        language="en",
        flags=list(flags),
        ordinal=ordinal,
        mentions=[intent_pb2.ItemMention(item_id=m) for m in mentions],
        constraints=common_pb2.Constraints(**constraints),
    )


def shown(*ids):
    return ListShown(tuple(common_pb2.ScoredItem(item_id=i, score=1.0) for i in ids), "q")


def listed(*ids) -> Session:
    return reduce(Session(wanted=Wanted(include=["drama"]), clarified=True), shown(*ids)).state


def turn_context(p=None):
    return TurnContext(p or parse(), common_pb2.Context(), common_pb2.Constraints(), 10, ())


def test_reduce_never_changes_its_input():
    state = listed("a", "b", "c")
    before = copy.deepcopy(state)
    reduce(state, UserTurn(parse(IT.INTENT_TYPE_FEEDBACK_NEGATIVE, ordinal=2)))
    reduce(state, UserTurn(parse(include_categories=["comedy"], flags=[TF.TURN_FLAG_MORE])))
    reduce(state, FeedbackGiven((common_pb2.FeedbackEvent(item_id="a", type=FT.FEEDBACK_TYPE_LIKE),)))
    assert state == before


def test_an_ordinal_names_the_item_of_the_last_list_for_feedback():
    out = reduce(listed("a", "b", "c"), UserTurn(parse(IT.INTENT_TYPE_FEEDBACK_NEGATIVE, ordinal=2)))
    assert out.act == Act.DISLIKED and out.target == "b"
    assert [(e.item_id, e.type) for e in out.events] == [("b", FT.FEEDBACK_TYPE_DISLIKE)]
    assert out.state.rejected == ["b"] and out.state.focus == "b"
    last = reduce(listed("a", "b", "c"), UserTurn(parse(IT.INTENT_TYPE_FEEDBACK_POSITIVE, ordinal=-1)))
    assert last.target == "c" and last.state.liked == ["c"]


def test_seen_is_excluded_but_not_disliked():
    out = reduce(
        listed("a", "b"),
        UserTurn(parse(IT.INTENT_TYPE_FEEDBACK_NEGATIVE, flags=[TF.TURN_FLAG_SEEN], ordinal=1)),
    )
    assert out.events[0].type == FT.FEEDBACK_TYPE_SEEN
    assert out.state.rejected == ["a"] and out.state.liked == []
    request = list_request(reduce(out.state, UserTurn(parse())), turn_context())
    [event] = request.history
    assert event.type == FT.FEEDBACK_TYPE_SEEN and "a" in request.exclude


def test_more_like_the_first_one_makes_it_a_seed():
    out = reduce(
        listed("a", "b"), UserTurn(parse(IT.INTENT_TYPE_FEEDBACK_POSITIVE, flags=[TF.TURN_FLAG_SIMILAR], ordinal=1))
    )
    assert out.act == Act.RECOMMEND and out.intent == IT.INTENT_TYPE_RECOMMEND
    assert out.similar_to == ["a"] and out.state.wanted.seeds == ["a"]
    assert out.events == []  # asking for similar items is not feedback


def test_paging_excludes_everything_shown_in_the_session():
    state = reduce(listed("a", "b"), shown("c", "d")).state
    out = reduce(state, UserTurn(parse(IT.INTENT_TYPE_CHITCHAT, flags=[TF.TURN_FLAG_MORE])))
    assert out.paging and out.intent == IT.INTENT_TYPE_REFINE and out.act == Act.RECOMMEND
    assert {"a", "b", "c", "d"} <= list_request(out, turn_context()).exclude
    assert out.state.wanted.include == ["drama"]  # asking for more keeps the request


def test_a_refinement_may_keep_the_last_list_but_paging_may_not():
    state = listed("a", "b")
    refine = reduce(state, UserTurn(parse(IT.INTENT_TYPE_REFINE, exclude_categories=["horror"])))
    assert "a" not in list_request(refine, turn_context()).exclude
    more = reduce(state, UserTurn(parse(IT.INTENT_TYPE_REFINE, flags=[TF.TURN_FLAG_MORE])))
    assert {"a", "b"} <= list_request(more, turn_context()).exclude


def test_a_click_does_not_override_an_opinion():
    events = (
        common_pb2.FeedbackEvent(item_id="a", type=FT.FEEDBACK_TYPE_LIKE),
        common_pb2.FeedbackEvent(item_id="a", type=FT.FEEDBACK_TYPE_CLICK),
        common_pb2.FeedbackEvent(item_id="b", type=FT.FEEDBACK_TYPE_CLICK),
    )
    state = reduce(Session(), FeedbackGiven(events)).state
    assert state.liked == ["a"] and state.rejected == []
    request = list_request(reduce(state, UserTurn(parse())), turn_context())
    assert "a" in request.exclude and "b" not in request.exclude  # a click is not an opinion


def test_questions_resolve_references_and_an_ordinal_past_the_list_has_no_target():
    state = listed("a", "b", "c")
    details = reduce(state, UserTurn(parse(IT.INTENT_TYPE_ASK_DETAILS, ordinal=3)))
    assert details.act == Act.DETAILS and details.target == "c" and details.state.focus == "c"
    why = reduce(details.state, UserTurn(parse(IT.INTENT_TYPE_ASK_EXPLANATION, flags=[TF.TURN_FLAG_DEMONSTRATIVE])))
    assert why.act == Act.EXPLAIN and why.target == "c"  # "why that one?" is the item in focus
    past = reduce(state, UserTurn(parse(IT.INTENT_TYPE_ASK_DETAILS, ordinal=7)))
    assert past.act == Act.NO_TARGET


def test_a_vague_first_request_is_clarified_once():
    first = reduce(Session(), UserTurn(parse()))
    assert first.act == Act.CLARIFY
    assert reduce(first.state, UserTurn(parse())).act == Act.RECOMMEND
    assert reduce(Session(), UserTurn(parse(), knows_user=True)).act == Act.RECOMMEND


def test_an_ambiguous_mention_is_reported_with_its_alternatives():
    p = parse(mentions=["mv-alien"])
    p.mentions[0].ambiguous = True
    p.mentions[0].alternative_item_ids.append("mv-aliens")
    assert reduce(Session(), UserTurn(p)).ambiguous == ["mv-alien", "mv-aliens"]


def test_replayed_assistant_turns_become_the_last_list():
    state = reduce(Session(), AssistantTurn(("x", "y"))).state
    assert state.last == ["x", "y"] and state.shown == ["x", "y"] and state.discussed == ["x", "y"]


# -- properties over random dialogues -------------------------------------------------

ITEMS = [f"i{n}" for n in range(12)]
CATEGORIES = ["comedy", "horror", "drama"]
user_turns = st.one_of(
    st.builds(
        lambda positive, ordinal, seen: parse(
            IT.INTENT_TYPE_FEEDBACK_POSITIVE if positive else IT.INTENT_TYPE_FEEDBACK_NEGATIVE,
            ordinal=ordinal,
            flags=[TF.TURN_FLAG_SEEN] if seen else [],
        ),
        st.booleans(),
        st.integers(-1, 4),
        st.booleans(),
    ),
    st.builds(
        lambda inc, exc, more: parse(
            IT.INTENT_TYPE_RECOMMEND,
            include_categories=inc,
            exclude_categories=exc,
            flags=[TF.TURN_FLAG_MORE] if more else [],
        ),
        st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True),
        st.lists(st.sampled_from(CATEGORIES), max_size=1),
        st.booleans(),
    ),
)
dialogues = st.lists(st.tuples(user_turns, st.randoms(use_true_random=False)), min_size=1, max_size=15)


def _play(turns):
    """Plays user turns; each list shown comes from items the plan allows, like retrieval."""
    state = Session()
    for p, rng in turns:
        out = reduce(state, UserTurn(p))
        state = out.state
        if out.act != Act.RECOMMEND and out.act not in (Act.LIKED, Act.DISLIKED):
            continue
        request = list_request(out, turn_context(p))
        allowed = [i for i in ITEMS if i not in request.exclude]
        yield out, request
        state = reduce(state, shown(*rng.sample(allowed, min(3, len(allowed))))).state


@settings(max_examples=200, deadline=None)
@given(dialogues)
def test_rejected_items_are_always_excluded(turns):
    for out, request in _play(turns):
        assert set(out.state.rejected) <= request.exclude
        assert set(out.state.liked) <= request.exclude


@settings(max_examples=200, deadline=None)
@given(dialogues)
def test_paging_never_repeats(turns):
    for out, request in _play(turns):
        if out.paging:
            assert set(out.state.shown) <= request.exclude


@settings(max_examples=200, deadline=None)
@given(dialogues)
def test_a_negated_category_is_never_asked_for(turns):
    negated: set[str] = set()  # the model: excluded until asked for again
    for p, _ in turns:
        if p.intent == IT.INTENT_TYPE_RECOMMEND:
            negated = (negated - set(p.constraints.include_categories)) | set(p.constraints.exclude_categories)
    requests = list(_play(turns))
    if requests and turns[-1][0].intent == IT.INTENT_TYPE_RECOMMEND:
        constraints = requests[-1][1].constraints
        assert negated <= set(constraints.exclude_categories)
        assert not negated & set(constraints.include_categories)


def test_asking_for_more_pages_even_when_the_classifier_says_details():
    state = listed("a", "b")
    out = reduce(state, UserTurn(parse(IT.INTENT_TYPE_ASK_DETAILS, flags=[TF.TURN_FLAG_MORE])))  # "还有吗"
    assert out.paging and out.act == Act.RECOMMEND
    asked = parse(IT.INTENT_TYPE_ASK_DETAILS, flags=[TF.TURN_FLAG_MORE], ordinal=1)
    asked.detail_fields.append("director")  # "who directed the first one? any more like it?"
    assert reduce(state, UserTurn(asked)).act == Act.DETAILS
