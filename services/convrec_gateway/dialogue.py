"""One dialogue turn: understand, update the state, pick an action, retrieve, rank, explain."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2
from convrec.intent.v1 import intent_pb2, intent_pb2_grpc
from convrec.ranking.v1 import ranking_pb2, ranking_pb2_grpc
from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_kit.catalog import display_title
from convrec_kit.channels import Budget, call

from . import details, replies
from .explain import ITEM_EVIDENCE, breakdown, explain
from .merge import merge
from .session import Session

IT = intent_pb2
FT = common_pb2.FeedbackType
A = dialogue_pb2
_SEEN = re.compile(r"\b(seen|watched|saw|read)\b|看过|读过|看了|买过")
_NEGATIVE = (FT.FEEDBACK_TYPE_DISLIKE, FT.FEEDBACK_TYPE_SEEN)
_REFERRING = (
    IT.INTENT_TYPE_FEEDBACK_POSITIVE,
    IT.INTENT_TYPE_FEEDBACK_NEGATIVE,
    IT.INTENT_TYPE_ASK_EXPLANATION,
    IT.INTENT_TYPE_ASK_DETAILS,
)


@dataclass
class Outcome:
    action: int
    reply: str
    recommendations: list[dialogue_pb2.Recommendation] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    # Feedback the turn produced, to store for the user.
    events: list[common_pb2.FeedbackEvent] = field(default_factory=list)


@dataclass
class Clients:
    intent: intent_pb2_grpc.IntentServiceStub
    retrieval: retrieval_pb2_grpc.RetrievalServiceStub
    ranking: ranking_pb2_grpc.RankingServiceStub


@dataclass
class TurnInput:
    utterance: str
    parse: intent_pb2.ParseResponse
    context: common_pb2.Context
    filters: common_pb2.Constraints
    page_size: int
    budget: Budget
    request_id: str
    # The user's stored feedback, oldest first.
    history: list[common_pb2.FeedbackEvent]


class DialogueEngine:
    def __init__(self, clients: Clients, candidates: int) -> None:
        self.clients = clients
        self._candidates = candidates

    # -- state updates shared by live turns and replayed history -----------------

    @staticmethod
    def target(session: Session, parse: intent_pb2.ParseResponse) -> str:
        if parse.mentions:
            return parse.mentions[0].item_id
        if parse.ordinal and session.last:
            index = parse.ordinal - 1 if parse.ordinal > 0 else len(session.last) + parse.ordinal
            if 0 <= index < len(session.last):
                return session.last[index]
        return session.focus or (session.last[0] if session.last else "")

    def observe(
        self, session: Session, parse: intent_pb2.ParseResponse, utterance: str, shown: list[common_pb2.Item]
    ) -> list[common_pb2.FeedbackEvent]:
        """Applies what a user turn says to the state; returns the feedback it carries."""
        session.language = parse.language or session.language
        session.discuss([m.item_id for m in parse.mentions])
        kind = parse.intent
        events = []
        if kind in (IT.INTENT_TYPE_RECOMMEND, IT.INTENT_TYPE_REFINE):
            session.wanted = merge(session.wanted, parse, utterance, shown)
        elif kind in (IT.INTENT_TYPE_FEEDBACK_POSITIVE, IT.INTENT_TYPE_FEEDBACK_NEGATIVE):
            targets = [m.item_id for m in parse.mentions] or [self.target(session, parse)]
            for item_id in filter(None, targets):
                if kind == IT.INTENT_TYPE_FEEDBACK_POSITIVE:
                    _add(session.liked, item_id)
                    events.append(common_pb2.FeedbackEvent(item_id=item_id, type=FT.FEEDBACK_TYPE_LIKE))
                else:
                    seen = bool(_SEEN.search(utterance.lower()))
                    _add(session.rejected, item_id)
                    if item_id in session.liked:
                        session.liked.remove(item_id)
                    events.append(
                        common_pb2.FeedbackEvent(
                            item_id=item_id, type=FT.FEEDBACK_TYPE_SEEN if seen else FT.FEEDBACK_TYPE_DISLIKE
                        )
                    )
                session.focus = item_id
        elif kind in (IT.INTENT_TYPE_ASK_DETAILS, IT.INTENT_TYPE_ASK_EXPLANATION):
            session.focus = self.target(session, parse) or session.focus
        return events

    # -- a live turn ---------------------------------------------------------------

    @staticmethod
    def resolve(session: Session, parse: intent_pb2.ParseResponse) -> int:
        """The classifier's intent, corrected by the dialogue: feedback or a question with
        nothing to refer to but clear constraints is a request; a request that only
        narrows the list just shown is a refinement."""
        c = parse.constraints
        asks_for_items = bool(c.include_categories or c.ranges or c.people or c.seed_item_ids)
        has_referent = bool(parse.mentions or session.last or session.focus)
        if parse.intent in _REFERRING and not has_referent and asks_for_items:
            return IT.INTENT_TYPE_RECOMMEND
        narrows_only = (parse.adjustments or c.exclude_categories) and not (
            c.include_categories or c.seed_item_ids or c.people or c.domain
        )
        if parse.intent == IT.INTENT_TYPE_RECOMMEND and session.last and narrows_only:
            return IT.INTENT_TYPE_REFINE
        return parse.intent

    async def respond(self, session: Session, turn: TurnInput) -> Outcome:
        turn.parse.intent = self.resolve(session, turn.parse)
        parse, lang = turn.parse, turn.parse.language or session.language
        kind = parse.intent
        shown_items = await self._items(session.last, turn) if kind == IT.INTENT_TYPE_REFINE else []
        events = self.observe(session, parse, turn.utterance, shown_items)
        lang = session.language

        if kind == IT.INTENT_TYPE_GREETING:
            return Outcome(
                A.ACTION_SMALL_TALK, replies.GREETING[lang], suggestions=replies.CLARIFY_SUGGESTIONS[lang]
            )
        if kind == IT.INTENT_TYPE_GOODBYE:
            return Outcome(A.ACTION_GOODBYE, replies.GOODBYE[lang])
        if kind == IT.INTENT_TYPE_CHITCHAT:
            if not session.wanted.is_empty() or session.discussed or session.liked:
                # Small talk inside a conversation about items: answer it and keep suggesting.
                return await self._recommend(session, turn, lang, lead=replies.CHITCHAT_LEAD[lang])
            return Outcome(
                A.ACTION_SMALL_TALK, replies.CHITCHAT[lang], suggestions=replies.CLARIFY_SUGGESTIONS[lang]
            )
        if kind == IT.INTENT_TYPE_OUT_OF_SCOPE:
            return Outcome(
                A.ACTION_OUT_OF_SCOPE,
                replies.OUT_OF_SCOPE[lang],
                suggestions=replies.CLARIFY_SUGGESTIONS[lang],
            )
        if kind == IT.INTENT_TYPE_ASK_DETAILS:
            return await self._details(session, turn, lang)
        if kind == IT.INTENT_TYPE_ASK_EXPLANATION:
            return await self._explain(session, turn, lang)
        if kind in (IT.INTENT_TYPE_FEEDBACK_POSITIVE, IT.INTENT_TYPE_FEEDBACK_NEGATIVE):
            return await self._feedback(session, turn, lang, events)

        liked_before = any(e.type not in _NEGATIVE for e in turn.history) or session.liked
        if (
            session.wanted.is_empty()
            and not liked_before
            and not session.clarified
            and not turn.filters.ListFields()
        ):
            session.clarified = True
            return Outcome(
                A.ACTION_ASK_CLARIFICATION,
                replies.CLARIFY[lang],
                suggestions=replies.CLARIFY_SUGGESTIONS[lang],
            )
        session.clarified = True
        return await self._recommend(session, turn, lang, keep_last=kind == IT.INTENT_TYPE_REFINE)

    async def _feedback(self, session: Session, turn: TurnInput, lang: str, events) -> Outcome:
        if not events:
            return Outcome(A.ACTION_ACKNOWLEDGE, replies.NO_TARGET[lang])
        titles = await self._titles([e.item_id for e in events], turn, lang)
        title = titles.get(events[0].item_id, events[0].item_id)
        if events[0].type == FT.FEEDBACK_TYPE_LIKE:
            outcome = await self._recommend(
                session,
                turn,
                lang,
                extra_seeds=[e.item_id for e in events],
                lead=replies.acknowledge_like(title, lang) + " ",
            )
            outcome.action = A.ACTION_ACKNOWLEDGE if outcome.recommendations else outcome.action
        else:
            seen = events[0].type == FT.FEEDBACK_TYPE_SEEN
            outcome = await self._recommend(
                session, turn, lang, keep_last=True, lead=replies.acknowledge_dislike(title, lang, seen)
            )
        outcome.events = events
        return outcome

    async def _details(self, session: Session, turn: TurnInput, lang: str) -> Outcome:
        target = self.target(session, turn.parse)
        if not target:
            return Outcome(A.ACTION_DETAILS, replies.NO_TARGET[lang])
        items = await self._items([target], turn)
        if not items:
            return Outcome(A.ACTION_DETAILS, replies.NO_TARGET[lang])
        session.focus = target
        return Outcome(
            A.ACTION_DETAILS,
            details.answer(items[0], list(turn.parse.detail_fields), lang),
            suggestions=replies.suggestions_after_list(display_title(items[0], lang), lang)[:1],
        )

    async def _explain(self, session: Session, turn: TurnInput, lang: str) -> Outcome:
        target = self.target(session, turn.parse)
        if not target:
            return Outcome(A.ACTION_EXPLAIN, replies.NO_TARGET[lang])
        stored = session.components_of(target)
        titles = await self._titles([target, *_evidence_ids(stored)], turn, lang)
        title = titles.get(target, target)
        if stored is None:
            text = (
                f"{title}不在我刚才的推荐里，所以没有它的评分依据。"
                if lang == "zh"
                else f"I did not recommend {title} in the last list, so I have no score for it."
            )
            return Outcome(A.ACTION_EXPLAIN, text)
        score, components = stored
        items = await self._items([target], turn)
        title_of = lambda i: titles.get(i, i)  # noqa: E731
        why = (
            explain(items[0], components, session.wanted, session.last_query, lang, title_of) if items else ""
        )
        session.focus = target
        return Outcome(A.ACTION_EXPLAIN, f"{title}: {why} {breakdown(score, components, lang, title_of)}")

    async def _recommend(
        self,
        session: Session,
        turn: TurnInput,
        lang: str,
        keep_last: bool = False,
        extra_seeds: list[str] | None = None,
        lead: str = "",
    ) -> Outcome:
        wanted = session.wanted
        constraints = _with_filters(wanted.to_proto(), turn.filters)
        if extra_seeds:
            constraints.seed_item_ids[:] = list(dict.fromkeys([*extra_seeds, *constraints.seed_item_ids]))
        # Items the user already has an opinion of (liked, rated, bought, seen, disliked)
        # are not suggested again; clicks are not an opinion.
        consumed = {e.item_id for e in turn.history if e.type != FT.FEEDBACK_TYPE_CLICK}
        consumed |= set(session.rejected) | set(session.liked)
        exclude = consumed | (set(session.shown) - (set(session.last) if keep_last else set()))
        query = " ".join(
            dict.fromkeys([*wanted.keywords, *wanted.include, *([wanted.mood] if wanted.mood else [])])
        )
        if lang == "zh":
            query = (
                " ".join(dict.fromkeys([turn.parse.rewritten_query, query])).strip()
                if turn.parse.rewritten_query
                else query
            )
        session.last_query = query
        liked = [e.item_id for e in turn.history if e.type not in _NEGATIVE] + session.liked
        known = set(constraints.seed_item_ids) | set(liked) | set(session.rejected)
        discussed = [i for i in session.discussed if i not in known]
        retrieved = await call(
            "retrieval",
            self.clients.retrieval.Retrieve,
            retrieval_pb2.RetrieveRequest(
                query=query,
                constraints=constraints,
                exclude_item_ids=sorted(exclude),
                top_k=max(self._candidates, turn.page_size * 5),
                history_item_ids=list(dict.fromkeys(liked))[-50:],
                language=lang,
                context_item_ids=discussed,
            ),
            turn.budget,
            turn.request_id,
        )
        if not retrieved.candidates:
            session.last, session.last_scores = [], {}
            return Outcome(A.ACTION_NO_MATCH, lead + replies.no_match(wanted, lang))
        history = (
            list(turn.history)
            + [common_pb2.FeedbackEvent(item_id=i, type=FT.FEEDBACK_TYPE_LIKE) for i in session.liked]
            + [common_pb2.FeedbackEvent(item_id=i, type=FT.FEEDBACK_TYPE_DISLIKE) for i in session.rejected]
        )
        ranked = await call(
            "ranking",
            self.clients.ranking.Rank,
            ranking_pb2.RankRequest(
                query=query,
                candidates=retrieved.candidates,
                history=history,
                context=turn.context,
                constraints=constraints,
                top_k=turn.page_size,
            ),
            turn.budget,
            turn.request_id,
        )
        ids = [s.item_id for s in ranked.items]
        evidence = {i for s in ranked.items for i in _evidence_ids((s.score, s.components))}
        items = {i.item_id: i for i in await self._items([*ids, *evidence], turn)}
        title_of = lambda i: display_title(items[i], lang) if i in items else i  # noqa: E731
        recs = [
            dialogue_pb2.Recommendation(
                item=items[s.item_id],
                score=s.score,
                components=s.components,
                explanation=explain(items[s.item_id], list(s.components), wanted, query, lang, title_of),
            )
            for s in ranked.items
            if s.item_id in items
        ]
        session.last = ids
        session.shown = list(dict.fromkeys([*session.shown, *ids]))[-1000:]
        session.remember_scores(list(ranked.items))
        session.focus = ""
        titles = [title_of(i) for i in ids]
        domain = _common_kind([items[i] for i in ids if i in items])
        return Outcome(
            A.ACTION_RECOMMEND,
            replies.recommend(titles, wanted, lang, lead, domain),
            recommendations=recs,
            suggestions=replies.suggestions_after_list(titles[0], lang, domain),
        )

    # -- catalog look-ups ------------------------------------------------------------

    async def _items(self, ids: list[str], turn: TurnInput) -> list[common_pb2.Item]:
        ids = [i for i in dict.fromkeys(ids) if i]
        if not ids:
            return []
        found = await call(
            "retrieval",
            self.clients.retrieval.BatchGetItems,
            retrieval_pb2.BatchGetItemsRequest(item_ids=ids),
            turn.budget,
            turn.request_id,
        )
        return list(found.items)

    async def _titles(self, ids: list[str], turn: TurnInput, lang: str) -> dict[str, str]:
        return {i.item_id: display_title(i, lang) for i in await self._items(ids, turn)}


def _evidence_ids(stored) -> list[str]:
    if not stored:
        return []
    return [c.evidence for c in stored[1] if c.name in ITEM_EVIDENCE and c.evidence]


def _with_filters(
    constraints: common_pb2.Constraints, filters: common_pb2.Constraints
) -> common_pb2.Constraints:
    """The client's hard filters on top of what the user said."""
    if not filters.ListFields():
        return constraints
    merged = common_pb2.Constraints()
    merged.CopyFrom(constraints)
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


def _common_kind(items: list[common_pb2.Item]) -> str:
    """'movie', 'book' or 'product' when every item is of that kind, else ''."""
    kinds = {k for item in items for k in item.categories if k in ("movie", "book", "product")}
    return kinds.pop() if len(kinds) == 1 else ""


def _add(values: list[str], item_id: str) -> None:
    if item_id not in values:
        values.append(item_id)
