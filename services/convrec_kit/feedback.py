"""What each feedback type means: one table used by the gateway and the ranking service."""

from __future__ import annotations

from dataclasses import dataclass

from convrec.common.v1 import common_pb2

FT = common_pb2.FeedbackType


@dataclass(frozen=True)
class Meaning:
    # Sign and weight of the event for the user's interest (ranking).
    interest: float
    # The item is never suggested to the user again.
    excludes: bool
    # The user stated an opinion of the item (a click is not one).
    opinion: bool
    # The word messages use for it ("reason.interest.seen").
    name: str = ""


POLICY: dict[int, Meaning] = {
    FT.FEEDBACK_TYPE_LIKE: Meaning(interest=1.0, excludes=True, opinion=True, name="like"),
    FT.FEEDBACK_TYPE_PURCHASE: Meaning(interest=1.0, excludes=True, opinion=True, name="purchase"),
    # A rating's interest comes from its value (see interest()); 3 of 5 is neutral.
    FT.FEEDBACK_TYPE_RATE: Meaning(interest=0.0, excludes=True, opinion=True, name="rate"),
    FT.FEEDBACK_TYPE_CLICK: Meaning(interest=0.3, excludes=False, opinion=False, name="click"),
    FT.FEEDBACK_TYPE_DISLIKE: Meaning(interest=-1.0, excludes=True, opinion=True, name="dislike"),
    # Having seen an item says a little about taste, and it is not worth suggesting again.
    FT.FEEDBACK_TYPE_SEEN: Meaning(interest=0.2, excludes=True, opinion=True, name="seen"),
}
_NONE = Meaning(interest=0.0, excludes=False, opinion=False)
# From this interest on, an event counts as liking the item (a seed for retrieval).
LIKED_FROM = 0.5


def meaning(event_type: int) -> Meaning:
    return POLICY.get(event_type, _NONE)


def interest(event_type: int, value: float = 0.0) -> float:
    """The event's signed weight for interest; ratings map 0.5..5 onto -1..+1."""
    if event_type == FT.FEEDBACK_TYPE_RATE:
        return max(-1.0, min(1.0, (value - 3.0) / 2.0))
    return meaning(event_type).interest


def event_interest(event: common_pb2.FeedbackEvent) -> float:
    return interest(event.type, event.value)


def excludes(event: common_pb2.FeedbackEvent) -> bool:
    return meaning(event.type).excludes


def liked(event: common_pb2.FeedbackEvent) -> bool:
    return event_interest(event) >= LIKED_FROM


def disliked(event: common_pb2.FeedbackEvent) -> bool:
    return event_interest(event) < 0


def latest_per_item(events) -> list[common_pb2.FeedbackEvent]:
    """One event per item, the latest opinion (a later click does not override a like),
    ordered by when that event came."""
    latest: dict[str, common_pb2.FeedbackEvent] = {}
    for event in events:
        if meaning(event.type).opinion or event.item_id not in latest:
            latest.pop(event.item_id, None)
            latest[event.item_id] = event
    return list(latest.values())
