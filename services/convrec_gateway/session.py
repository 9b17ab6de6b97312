"""The dialogue state of one session, as kept between turns."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2
from convrec_kit import feedback as policy
from convrec_kit import ranges

FT = common_pb2.FeedbackType


@dataclass
class Wanted:
    """Accumulated constraints, in a form that merges and serialises simply."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    ranges: dict[str, list[float | None]] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    seeds: list[str] = field(default_factory=list)
    mood: str = ""
    domain: str = ""
    people: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.include
            or self.exclude
            or self.ranges
            or self.keywords
            or self.seeds
            or self.mood
            or self.people
        )

    def to_proto(self) -> common_pb2.Constraints:
        return common_pb2.Constraints(
            include_categories=self.include,
            exclude_categories=self.exclude,
            ranges=ranges.to_protos(dict(sorted(self.ranges.items()))),
            keywords=self.keywords,
            seed_item_ids=self.seeds,
            mood=self.mood,
            domain=self.domain,
            people=self.people,
        )


MAX_DISCUSSED = 50
# The dialogue's last turns kept for the dialogue model, and the characters kept of each.
MAX_TALK = 12
TALK_CHARS = 500
MAX_SHOWN = 1000


def talk_text(text: str) -> str:
    """A turn as the session keeps it for the dialogue model."""
    return text.strip()[:TALK_CHARS]


@dataclass
class Session:
    session_id: str = ""
    user_id: str = ""
    wanted: Wanted = field(default_factory=Wanted)
    # Every item shown in this session, oldest first (paging never repeats them).
    shown: list[str] = field(default_factory=list)
    # This session's feedback, oldest first: [item_id, FeedbackType, value]; the latest
    # entry of an item is the user's opinion of it.
    feedback: list[list] = field(default_factory=list)
    # Items named in the dialogue by either side, oldest first.
    discussed: list[str] = field(default_factory=list)
    # The last turns as [role (common.Turn.Role), text], oldest first.
    talk: list[list] = field(default_factory=list)
    last: list[str] = field(default_factory=list)
    # item_id -> [score, [[name, value, weight, evidence, contribution or None], ...]] of the
    # last list (entries saved before contributions have four parts).
    last_scores: dict[str, list] = field(default_factory=dict)
    last_query: str = ""
    turn_count: int = 0
    language: str = "en"
    focus: str = ""
    clarified: bool = False
    version: int = 0

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("session_id"), data.pop("user_id"), data.pop("version")
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, session_id: str, user_id: str, version: int, text: str) -> Session:
        data = json.loads(text)
        wanted = Wanted(**data.pop("wanted"))
        # Sessions saved before feedback was one list kept liked and rejected ids.
        legacy = [[i, FT.FEEDBACK_TYPE_LIKE, 0.0] for i in data.pop("liked", [])]
        legacy += [[i, FT.FEEDBACK_TYPE_DISLIKE, 0.0] for i in data.pop("rejected", [])]
        data["feedback"] = legacy + data.get("feedback", [])
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        return cls(session_id=session_id, user_id=user_id, version=version, wanted=wanted, **data)

    def events(self) -> list[common_pb2.FeedbackEvent]:
        """This session's feedback, one event per item (the latest opinion)."""
        return policy.latest_per_item(
            common_pb2.FeedbackEvent(item_id=i, type=k, value=v) for i, k, v in self.feedback
        )

    @property
    def liked(self) -> list[str]:
        return [e.item_id for e in self.events() if policy.liked(e)]

    @property
    def rejected(self) -> list[str]:
        return [e.item_id for e in self.events() if policy.excludes(e) and not policy.liked(e)]

    def discuss(self, item_ids: list[str]) -> None:
        """Items named now move to the end (the most recent); the list stays bounded."""
        named = list(dict.fromkeys(item_ids))
        self.discussed = ([i for i in self.discussed if i not in named] + named)[-MAX_DISCUSSED:]

    def hear(self, role: int, text: str) -> None:
        if text.strip():
            self.talk = [*self.talk, [role, talk_text(text)]][-MAX_TALK:]

    def remember_scores(self, items: list[common_pb2.ScoredItem]) -> None:
        self.last_scores = {
            s.item_id: [s.score, [[c.name, c.value, c.weight, c.evidence,
                                   c.contribution if c.HasField("contribution") else None] for c in s.components]]
            for s in items
        }

    def components_of(self, item_id: str) -> tuple[float, list[common_pb2.ScoreComponent]] | None:
        stored = self.last_scores.get(item_id)
        if stored is None:
            return None
        score, parts = stored
        return score, [
            common_pb2.ScoreComponent(name=n, value=v, weight=w, evidence=e, contribution=rest[0] if rest else None)
            for n, v, w, e, *rest in parts
        ]

    def to_proto(self) -> dialogue_pb2.DialogueState:
        return dialogue_pb2.DialogueState(
            constraints=self.wanted.to_proto(),
            shown_item_ids=self.shown,
            rejected_item_ids=self.rejected,
            liked_item_ids=self.liked,
            last_recommended_ids=self.last,
            turn_count=self.turn_count,
            language=self.language,
            focus_item_id=self.focus,
            discussed_item_ids=self.discussed,
        )
