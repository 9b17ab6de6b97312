"""Turns a user's events and a request's context into the interest model's integer and
float inputs; training and serving share this one encoding."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from convrec.common.v1 import common_pb2
from convrec_kit import feedback

FT = common_pb2.FeedbackType
# Signal ids: 0 pads; one per feedback type; ratings get one id per half star (0.5..5).
_TYPES = (
    FT.FEEDBACK_TYPE_LIKE,
    FT.FEEDBACK_TYPE_DISLIKE,
    FT.FEEDBACK_TYPE_CLICK,
    FT.FEEDBACK_TYPE_PURCHASE,
    FT.FEEDBACK_TYPE_SEEN,
)
_RATE_BASE = len(_TYPES) + 1
SIGNALS = _RATE_BASE + 10
# Gap to the previous event: 0 none, 1 under a minute, then one bucket per doubling of minutes.
GAP_BUCKETS = 24
HOURS = 25  # 0 unknown, then hour + 1
WEEKDAYS = 8  # 0 unknown, then weekday + 1
DEVICES = ("", "mobile", "desktop", "tv", "tablet", "other")
_DEVICE_ALIASES = {"phone": "mobile", "smartphone": "mobile", "laptop": "desktop", "web": "desktop"}
LANGUAGES = ("", "en", "zh", "de", "es", "fr", "ja", "other")
# Events by interest sign: the model is fed the policy's signed weight as a feature.
EVENT_NAMES = {feedback.meaning(t).name: t for t in (*_TYPES, FT.FEEDBACK_TYPE_RATE)}


@dataclass(frozen=True)
class Event:
    """One past event in the model's terms: catalog position, feedback type, value, Unix time."""

    position: int
    type: int
    value: float
    timestamp: float


def signal(event_type: int, value: float) -> int:
    if event_type == FT.FEEDBACK_TYPE_RATE:
        return _RATE_BASE + min(9, max(0, round(value * 2) - 1))
    return _TYPES.index(event_type) + 1 if event_type in _TYPES else 0


def gap_bucket(seconds: float | None) -> int:
    """Log-bucketed time since the previous event (None: there is none)."""
    if seconds is None or not math.isfinite(seconds):
        return 0
    minutes = seconds / 60.0
    if minutes < 1.0:
        return 1
    return min(GAP_BUCKETS - 1, 2 + int(math.log2(minutes)))


def clock(timestamp: float | None) -> tuple[int, int]:
    """Hour-of-day and weekday ids (UTC) of a Unix time; (0, 0) when unknown."""
    if timestamp is None:
        return 0, 0
    when = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return when.hour + 1, when.weekday() + 1


def device_id(device: str) -> int:
    name = _DEVICE_ALIASES.get(device.strip().lower(), device.strip().lower())
    return DEVICES.index(name) if name in DEVICES else DEVICES.index("other")


def language_id(locale: str) -> int:
    language = locale.replace("_", "-").split("-")[0].strip().lower()
    return LANGUAGES.index(language) if language in LANGUAGES else LANGUAGES.index("other")


@dataclass
class Sequence:
    """One user's encoded events, oldest first (arrays of equal length)."""

    items: np.ndarray  # catalog positions
    signals: np.ndarray
    interest: np.ndarray  # the policy's signed weight of each event
    gaps: np.ndarray
    hours: np.ndarray
    weekdays: np.ndarray
    timestamps: np.ndarray

    def __len__(self) -> int:
        return len(self.items)


def encode(events: list[Event]) -> Sequence:
    stamps = np.array([e.timestamp for e in events], dtype=np.float64)
    gaps = [0] + [gap_bucket(b - a) for a, b in zip(stamps[:-1], stamps[1:])]
    hours, weekdays = zip(*(clock(t) for t in stamps)) if events else ((), ())
    return Sequence(
        items=np.array([e.position for e in events], dtype=np.int64),
        signals=np.array([signal(e.type, e.value) for e in events], dtype=np.int64),
        interest=np.array([feedback.interest(e.type, e.value) for e in events], dtype=np.float32),
        gaps=np.array(gaps, dtype=np.int64),
        hours=np.array(hours, dtype=np.int64),
        weekdays=np.array(weekdays, dtype=np.int64),
        timestamps=stamps,
    )


@dataclass(frozen=True)
class Query:
    """The request's own context, fed at the query position."""

    gap: int
    hour: int
    weekday: int
    device: int
    language: int

    @classmethod
    def at(cls, timestamp: float | None, last_event: float | None, device: str = "", locale: str = "") -> Query:
        hour, weekday = clock(timestamp)
        gap = gap_bucket(timestamp - last_event) if timestamp is not None and last_event is not None else 0
        return cls(gap, hour, weekday, device_id(device), language_id(locale))

    @classmethod
    def neutral(cls) -> Query:
        return cls(0, 0, 0, 0, 0)

    def as_array(self) -> np.ndarray:
        return np.array([self.gap, self.hour, self.weekday, self.device, self.language], dtype=np.int64)


def describe(query: Query) -> str:
    """The context in words, for evidence: "Friday 23:00, 3 weeks after the last event"."""
    parts = []
    if query.weekday:
        parts.append(dt.date(2024, 1, query.weekday).strftime("%A"))  # 2024-01-01 was a Monday
    if query.hour:
        parts.append(f"{query.hour - 1:02d}:00 UTC")
    if query.gap >= 2:
        parts.append(f"{_duration(60 * 2 ** (query.gap - 2))} after the last event")
    if query.device:
        parts.append(f"on {DEVICES[query.device]}")
    return ", ".join(parts)


def _duration(seconds: float) -> str:
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600)):
        if seconds >= size:
            n = int(seconds // size)
            return f"over {n} {unit}{'s' * (n > 1)}"
    return f"over {int(seconds // 60)} min"
