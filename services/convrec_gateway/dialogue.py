"""One dialogue turn as a pipeline: understand -> reduce -> plan -> fetch -> render."""

from __future__ import annotations

from dataclasses import dataclass, field

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2
from convrec_kit import feedback as policy

from . import render
from .catalog_profile import CatalogProfiles, Profile
from .fetch import Call, Clients, Fetcher
from .plan import LIST_ACTS, TurnContext, list_request
from .prepare import TurnPreparer
from .reducer import Act, AssistantTurn, ListShown, Reduced, UserTurn, reduce
from .render import Outcome
from .session import Session

__all__ = ["Clients", "DialogueEngine", "Outcome", "TurnContext", "TurnResult"]


@dataclass
class TurnResult:
    state: Session
    outcome: Outcome
    # The intent after the dialogue's correction.
    intent: int
    # Feedback the turn produced, to store for the user.
    events: list[common_pb2.FeedbackEvent] = field(default_factory=list)


class DialogueEngine:
    def __init__(self, clients: Clients, candidates: int, prepare_dialogue: bool = True) -> None:
        self.clients = clients
        self.fetcher = Fetcher(clients, candidates)
        self.preparer = TurnPreparer(clients.retrieval, enabled=prepare_dialogue)
        self.profiles = CatalogProfiles(clients.retrieval)

    async def respond(self, session: Session, turn: TurnContext, on: Call) -> TurnResult:
        shown_items = await self._shown_items(session, turn.parse, on)
        knows_user = any(policy.liked(e) for e in turn.stored) or bool(turn.filters.ListFields())
        reduced = reduce(session, UserTurn(turn.parse, tuple(shown_items), knows_user, turn.utterance))
        outcome, state = await self._act(reduced, turn, on)
        state = reduce(state, AssistantTurn((), outcome.reply)).state
        return TurnResult(state, outcome, reduced.intent, reduced.events)

    @staticmethod
    def replay(session: Session, turns, parses) -> Session:
        """The state after earlier turns of a stateless request (no items fetched)."""
        for turn, parse in zip(turns, parses):
            if turn.role == common_pb2.Turn.Role.ROLE_ASSISTANT:
                session = reduce(session, AssistantTurn(tuple(m.item_id for m in parse.mentions), turn.text)).state
            else:
                session = reduce(session, UserTurn(parse, knows_user=True, text=turn.text)).state
        return session

    async def _act(self, reduced: Reduced, turn: TurnContext, on: Call) -> tuple[Outcome, Session]:
        lang = reduced.state.language
        if reduced.act in LIST_ACTS:
            return await self._list(reduced, turn, on)
        if reduced.act == Act.DETAILS:
            items = await self.fetcher.items([reduced.target], on)
            if reduced.target in items:
                fields = list(turn.parse.detail_fields)
                profile = await self.profiles.get(on)
                return render.item_details(items[reduced.target], fields, lang, profile), reduced.state
            return render.small(Act.NO_TARGET, reduced.intent, lang, Profile()), reduced.state
        if reduced.act == Act.EXPLAIN:
            stored = reduced.state.components_of(reduced.target)
            ids = [reduced.target, *render.evidence_ids(stored[1] if stored else [])]
            items = await self.fetcher.items(ids, on)
            history = [*turn.stored, *reduced.state.events()]
            return render.explanation(reduced, items, history, lang), reduced.state
        return render.small(reduced.act, reduced.intent, lang, await self.profiles.get(on)), reduced.state

    async def _list(self, reduced: Reduced, turn: TurnContext, on: Call) -> tuple[Outcome, Session]:
        request = list_request(reduced, turn)
        ranked = await self.fetcher.ranked(reduced.state, request, on)
        evidence = [i for s in ranked for i in render.evidence_ids(s.components)]
        ids = [*(s.item_id for s in ranked), *evidence, *render.titles_needed(reduced)]
        items = await self.fetcher.items(ids, on)
        if ranked:  # an empty answer leaves the last list on screen for references
            reduced.state = reduce(reduced.state, ListShown(tuple(ranked), request.query)).state
        profile = await self.profiles.get(on)
        outcome = render.listing(reduced, ranked, items, request.history, reduced.state.language, profile)
        return outcome, reduced.state

    async def _shown_items(self, session: Session, parse: intent_pb2.ParseResponse, on: Call):
        """The last list's items, when the turn moves a bound relative to them."""
        if not parse.adjustments or not session.last:
            return []
        return list((await self.fetcher.items(session.last, on)).values())

