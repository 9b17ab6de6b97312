"""Rendering a turn's outcome: reply text, recommendations with explanations, suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2
from convrec.intent.v1 import intent_pb2
from convrec_kit import feedback as policy
from convrec_kit.catalog import display_title
from convrec_kit.vocabulary import item_evidence

from . import details as detail_answers
from . import replies
from .catalog_profile import Profile
from .explain import breakdown, explain
from .reducer import Act, Reduced

A = dialogue_pb2
FT = common_pb2.FeedbackType


@dataclass
class Outcome:
    action: int
    reply: str
    recommendations: list[dialogue_pb2.Recommendation] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)


def small(act: Act, intent: int, lang: str, profile: Profile) -> Outcome:
    """Turns answered without items; what the catalog offers is named by its kinds."""
    texts = {
        Act.GREETING: (A.ACTION_SMALL_TALK, replies.greeting, True),
        Act.GOODBYE: (A.ACTION_GOODBYE, lambda lang, _: replies.goodbye(lang), False),
        Act.CHITCHAT: (A.ACTION_SMALL_TALK, replies.chitchat, True),
        Act.OUT_OF_SCOPE: (A.ACTION_OUT_OF_SCOPE, replies.out_of_scope, True),
        Act.CLARIFY: (A.ACTION_ASK_CLARIFICATION, replies.clarify, True),
        Act.NO_TARGET: (A.ACTION_ACKNOWLEDGE, lambda lang, _: replies.no_target(lang), False),
    }
    action, text, suggest = texts[act]
    if act == Act.NO_TARGET:
        action = _NO_TARGET_ACTION.get(intent, action)
    suggestions = replies.clarify_suggestions(lang, profile) if suggest else []
    return Outcome(action, text(lang, profile), suggestions=suggestions)


_NO_TARGET_ACTION = {
    intent_pb2.INTENT_TYPE_ASK_DETAILS: A.ACTION_DETAILS,
    intent_pb2.INTENT_TYPE_ASK_EXPLANATION: A.ACTION_EXPLAIN,
}


def item_details(item: common_pb2.Item, fields: list[str], lang: str, profile: Profile) -> Outcome:
    return Outcome(
        A.ACTION_DETAILS,
        detail_answers.answer(item, fields, lang, profile),
        suggestions=replies.suggestions_after_list(display_title(item, lang), lang)[:1],
    )


def explanation(reduced: Reduced, items: dict[str, common_pb2.Item], history, lang: str) -> Outcome:
    """Why the target was recommended, from the components stored with the last list."""
    state, target = reduced.state, reduced.target
    title_of = _titles(items, lang)
    opinion_of = _opinions(history)
    stored = state.components_of(target)
    if stored is None or target not in items:
        return Outcome(A.ACTION_EXPLAIN, replies.not_recommended(title_of(target), lang))
    score, components = stored
    why = explain(items[target], components, state.wanted, state.last_query, lang, title_of, opinion_of)
    return Outcome(A.ACTION_EXPLAIN, f"{title_of(target)}: {why} {breakdown(score, components, lang, title_of)}")


def evidence_ids(components) -> list[str]:
    """Items named in components' evidence (shown by title)."""
    return [i for i in map(item_evidence, components) if i]


def listing(reduced: Reduced, ranked, items: dict[str, common_pb2.Item], history, lang: str,
            profile: Profile) -> Outcome:
    """A recommended list; history (the user's feedback) words the interest reasons."""
    state = reduced.state
    title_of, opinion_of = _titles(items, lang), _opinions(history)
    lead = lead_parts(reduced, title_of, lang)
    if not ranked:
        text = replies.no_more(state.wanted, lang) if reduced.paging else replies.no_match(state.wanted, lang)
        return Outcome(A.ACTION_NO_MATCH, replies.sentences([*lead, text], lang))
    recs = [
        dialogue_pb2.Recommendation(
            item=items[s.item_id],
            score=s.score,
            components=s.components,
            explanation=explain(
                items[s.item_id], list(s.components), state.wanted, state.last_query, lang, title_of, opinion_of
            ),
        )
        for s in ranked
        if s.item_id in items
    ]
    titles = [title_of(s.item_id) for s in ranked]
    domain = _common_kind([items[s.item_id] for s in ranked if s.item_id in items], profile)
    listed = replies.recommend(titles, state.wanted, lang, "", domain, profile)
    reply = replies.sentences([*lead, listed, _ambiguity_note(reduced, title_of, lang)], lang)
    action = A.ACTION_ACKNOWLEDGE if reduced.act == Act.LIKED else A.ACTION_RECOMMEND
    return Outcome(action, reply, recs, replies.suggestions_after_list(titles[0], lang, domain))


def lead_parts(reduced: Reduced, title_of, lang: str) -> list[str]:
    """What the turn did, said before the list: feedback taken, a relative change, "more like X"."""
    parts = []
    if reduced.act == Act.LIKED:
        parts.append(replies.acknowledge_like(title_of(reduced.target), lang))
    elif reduced.act == Act.DISLIKED:
        seen = reduced.events[0].type == FT.FEEDBACK_TYPE_SEEN
        parts.append(replies.acknowledge_dislike(title_of(reduced.target), lang, seen))
    elif reduced.intent == intent_pb2.INTENT_TYPE_CHITCHAT:
        parts.append(replies.chitchat_lead(lang))
    if reduced.changes:
        parts.append(replies.adjusted([(c.field, c.direction, c.bound) for c in reduced.changes], lang))
    if reduced.similar_to:
        parts.append(replies.more_like(title_of(reduced.similar_to[0]), lang))
    return parts


def titles_needed(reduced: Reduced) -> list[str]:
    """Items whose titles the lead or the clarifying note will name."""
    return [reduced.target, *reduced.similar_to, *reduced.ambiguous]


def _ambiguity_note(reduced: Reduced, title_of, lang: str) -> str:
    if not reduced.ambiguous:
        return ""
    chosen, *others = reduced.ambiguous
    return replies.ambiguous(title_of(chosen), [title_of(i) for i in others[:2]], lang)


def _opinions(history):
    """item_id -> what the user did with it ("like", "seen", ...), for wording reasons."""
    names = {e.item_id: policy.meaning(e.type).name for e in policy.latest_per_item(history)}
    return lambda item_id: names.get(item_id, "")


def _titles(items: dict[str, common_pb2.Item], lang: str):
    return lambda item_id: display_title(items[item_id], lang) if item_id in items else item_id


def _common_kind(items: list[common_pb2.Item], profile: Profile) -> str:
    """The catalog's kind of item ('movie', 'restaurant') when every item is of that kind, else ''."""
    kinds = {k for item in items for k in item.categories if k in profile.kinds}
    return kinds.pop() if len(kinds) == 1 else ""

