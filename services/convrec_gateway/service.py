"""DialogueService servicer: validation, sessions, history replay, feedback, privacy."""

from __future__ import annotations

import time
import uuid

import grpc
import structlog
from google.protobuf import timestamp_pb2

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2, dialogue_pb2_grpc
from convrec.intent.v1 import intent_pb2
from convrec.retrieval.v1 import retrieval_pb2
from convrec_kit.channels import Budget, call
from convrec_kit.errors import ServiceError, invalid_argument, not_found
from convrec_kit.metrics import DEGRADED_TURNS
from convrec_kit.validation import check_constraints, check_count, check_event_time, check_utterance

from .access import acting_user, check_owner, check_user, limit_key
from .dialogue import DialogueEngine, TurnContext, TurnResult
from .fallback import simple_parse
from .fetch import Call, is_outage
from .ratelimit import RateLimits
from .reducer import FeedbackGiven, reduce
from .session import MAX_TALK, Session
from .settings import GatewaySettings
from .store import ConcurrentUpdate, Store

log = structlog.get_logger()
ROLE = common_pb2.Turn.Role


class DialogueServicer(dialogue_pb2_grpc.DialogueServiceServicer):
    def __init__(self, engine: DialogueEngine, store: Store, settings: GatewaySettings,
                 limits: RateLimits | None = None) -> None:
        self._engine = engine
        self._store = store
        self._s = settings
        self._limits = limits or RateLimits({})

    def _request_id(self, context) -> str:
        metadata = dict(context.invocation_metadata() or ())
        return metadata.get("x-request-id") or uuid.uuid4().hex[:16]

    def _budget(self, context) -> Budget:
        """The turn's time: the configured budget, or less when the caller's deadline is sooner."""
        remaining = context.time_remaining()
        seconds = self._s.turn_budget_seconds
        return Budget(seconds if remaining is None else max(0.0, min(seconds, remaining)))

    async def Converse(self, request, context):
        request.user_id = acting_user(request.user_id)
        await self._limits.check("Converse", limit_key(request.user_id, context))
        s = self._s
        utterance = check_utterance(request.utterance, s.max_utterance_bytes)
        page_size = check_count(request.page_size, "page_size", 10, 100)
        check_constraints(request.filters, "filters")
        self._check_history(request.history)
        on = Call(self._budget(context), self._request_id(context))
        stateless = len(request.history) > 0
        # The turns retrieval's dialogue model will read, encoded while the intent service parses.
        self._engine.preparer.prepare([*(t.text for t in request.history[-MAX_TALK:]), utterance], on.request_id)
        if stateless:
            session, parse = await self._replay(request, utterance, on)
        else:
            session = await self._live_session(request)
            [parse] = await self._parse([utterance], request.context.locale, on)
        user_id = request.user_id or session.user_id
        keeps_events = bool(user_id) or not stateless
        stored = []
        if keeps_events:
            stored = await self._store.events_for(user_id, "" if user_id else session.session_id, 500)
        context_msg = _with_time(request.context)
        turn = TurnContext(parse, context_msg, request.filters, page_size, tuple(stored), utterance)
        result = await self._engine.respond(session, turn, on)
        if result.events and keeps_events:
            for event in result.events:
                event.timestamp.CopyFrom(context_msg.timestamp)
            await self._store.add_events(user_id, session.session_id, result.events)
        if not stateless:
            await self._save_turn(result.state, utterance, result.outcome.reply)
        self._engine.preparer.prepare([result.outcome.reply], on.request_id)  # read by the next turn
        for service in on.degraded:
            DEGRADED_TURNS.labels(service).inc()
        return _response(result, parse, on.degraded)

    async def _live_session(self, request) -> Session:
        if not request.session_id:
            return await self._store.create_session(request.user_id)
        session = await self._store.load_session(request.session_id)
        if session is None:
            raise not_found(
                "session", f"no session {request.session_id!r}; leave session_id empty to start one"
            )
        check_owner(session.user_id)
        if request.user_id and session.user_id and request.user_id != session.user_id:
            raise invalid_argument("user_id", "this session belongs to another user")
        return session

    async def _save_turn(self, session: Session, utterance: str, reply: str) -> None:
        turns = [
            common_pb2.Turn(role=ROLE.ROLE_USER, text=utterance),
            common_pb2.Turn(role=ROLE.ROLE_ASSISTANT, text=reply),
        ]
        try:
            await self._store.save_session(session, turns)
        except ConcurrentUpdate:
            raise ServiceError(
                grpc.StatusCode.ABORTED,
                "CONCURRENT_TURN",
                "another turn on this session finished first; resend this turn",
                {"session_id": session.session_id},
            ) from None

    def _check_history(self, history) -> None:
        if len(history) > self._s.max_history_turns:
            raise invalid_argument(
                "history", f"at most {self._s.max_history_turns} history turns, got {len(history)}"
            )
        for index, turn in enumerate(history):
            if turn.role not in (ROLE.ROLE_USER, ROLE.ROLE_ASSISTANT):
                raise invalid_argument(
                    f"history[{index}].role",
                    f"history[{index}] has role {turn.role}; use ROLE_USER or ROLE_ASSISTANT",
                )
            check_utterance(turn.text, self._s.max_utterance_bytes, f"history[{index}].text")

    async def _replay(self, request, utterance: str, on: Call):
        """Rebuilds the dialogue state from the earlier turns alone (stateless mode)."""
        texts = [t.text for t in request.history] + [utterance]
        parsed = await self._parse(texts, request.context.locale, on)
        start = Session(session_id="", user_id=request.user_id)
        session = self._engine.replay(start, request.history, parsed[:-1])
        return session, parsed[-1]

    async def _parse(self, texts: list[str], locale: str, on: Call) -> list[intent_pb2.ParseResponse]:
        """The intent service's parses; a simple parse of each text while it is down."""
        try:
            if len(texts) == 1:
                request = intent_pb2.ParseRequest(utterance=texts[0], locale=locale)
                return [await call("intent", self._engine.clients.intent.Parse, request, on.budget, on.request_id)]
            batch = intent_pb2.BatchParseRequest(
                requests=[intent_pb2.ParseRequest(utterance=t, locale=locale) for t in texts]
            )
            reply = await call("intent", self._engine.clients.intent.BatchParse, batch, on.budget, on.request_id)
            return list(reply.responses)
        except ServiceError as err:
            if not is_outage(err):
                raise
            on.went_without("intent")
            return [simple_parse(t) for t in texts]

    async def SubmitFeedback(self, request, context):
        request.user_id = acting_user(request.user_id)
        await self._limits.check("SubmitFeedback", limit_key(request.user_id, context))
        self._check_feedback(request)
        found = await call(
            "retrieval",
            self._engine.clients.retrieval.BatchGetItems,
            retrieval_pb2.BatchGetItemsRequest(item_ids=list({e.item_id for e in request.events})),
            self._budget(context),
            self._request_id(context),
        )
        if found.missing_ids:
            raise not_found("item", f"unknown item ids: {', '.join(sorted(found.missing_ids)[:10])}")
        session = None
        if request.session_id:
            session = await self._store.load_session(request.session_id)
            if session is None:
                raise not_found("session", f"no session {request.session_id!r}")
            check_owner(session.user_id)
        user_id = request.user_id or (session.user_id if session else "")
        accepted = await self._store.add_events(user_id, request.session_id, list(request.events))
        if session is not None:
            session = reduce(session, FeedbackGiven(tuple(request.events))).state
            try:
                await self._store.save_session(session, [])
            except ConcurrentUpdate:
                log.info("feedback_session_update_skipped")  # the events themselves are stored
        return dialogue_pb2.SubmitFeedbackResponse(accepted=accepted)

    def _check_feedback(self, request) -> None:
        if not request.user_id and not request.session_id:
            raise invalid_argument("user_id", "give a user_id or a session_id")
        if not request.events:
            raise invalid_argument("events", "no events")
        if len(request.events) > self._s.max_feedback_events:
            raise invalid_argument("events", f"at most {self._s.max_feedback_events} events per call")
        for index, event in enumerate(request.events):
            if not event.item_id:
                raise invalid_argument(f"events[{index}].item_id", f"events[{index}] has no item_id")
            if (
                event.type == common_pb2.FEEDBACK_TYPE_UNSPECIFIED
                or event.type not in common_pb2.FeedbackType.values()
            ):
                raise invalid_argument(
                    f"events[{index}].type", f"events[{index}] has unknown feedback type {event.type}"
                )
            if event.type == common_pb2.FEEDBACK_TYPE_RATE and not 0.5 <= event.value <= 5:
                raise invalid_argument(f"events[{index}].value", "a rating must be between 0.5 and 5")
            check_event_time(event, f"events[{index}].timestamp", time.time())

    async def GetSession(self, request, context):
        if not request.session_id:
            raise invalid_argument("session_id", "session_id is empty")
        session = await self._store.load_session(request.session_id)
        if session is None:
            raise not_found("session", f"no session {request.session_id!r}")
        check_owner(session.user_id)
        created, updated = await self._store.session_times(request.session_id)
        return dialogue_pb2.GetSessionResponse(
            session_id=session.session_id,
            user_id=session.user_id,
            state=session.to_proto(),
            turns=await self._store.session_turns(request.session_id),
            created_at=_stamp(created),
            updated_at=_stamp(updated),
        )

    async def DeleteUserData(self, request, context):
        check_user(request.user_id)
        if not request.user_id:
            raise invalid_argument("user_id", "user_id is empty")
        sessions, events = await self._store.delete_user(request.user_id)
        log.info("user_data_deleted", sessions=sessions, events=events)
        return dialogue_pb2.DeleteUserDataResponse(sessions_deleted=sessions, events_deleted=events)


def _stamp(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


def _with_time(context: common_pb2.Context) -> common_pb2.Context:
    """The request's context, stamped with the current time when it has none."""
    out = common_pb2.Context()
    out.CopyFrom(context)
    if not out.HasField("timestamp"):
        out.timestamp.GetCurrentTime()
    return out


def _response(result: TurnResult, parse, degraded: list[str]) -> dialogue_pb2.ConverseResponse:
    outcome = result.outcome
    return dialogue_pb2.ConverseResponse(
        session_id=result.state.session_id,
        reply=outcome.reply,
        action=outcome.action,
        recommendations=outcome.recommendations,
        intent=dialogue_pb2.Intent(
            type=result.intent,
            confidence=parse.confidence,
            constraints=parse.constraints,
            mentions=parse.mentions,
            rewritten_query=parse.rewritten_query,
            language=parse.language,
            detail_fields=parse.detail_fields,
            ordinal=parse.ordinal,
            flags=parse.flags,
        ),
        state=result.state.to_proto(),
        suggested_replies=outcome.suggestions,
        degraded=degraded,
    )
