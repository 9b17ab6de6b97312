"""Input checks shared by the services; each failure is a clear INVALID_ARGUMENT."""

from __future__ import annotations

import math

from convrec.common.v1 import common_pb2

from .errors import invalid_argument


def check_utterance(text: str, max_bytes: int, field: str = "utterance") -> str:
    if not text or not text.strip():
        raise invalid_argument(field, f"{field} is empty; send the user's words")
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise invalid_argument(field, f"{field} is {size} bytes; the limit is {max_bytes}")
    return text.strip()


def check_constraints(constraints: common_pb2.Constraints, field: str = "constraints") -> None:
    for r in constraints.ranges:
        if not r.field:
            raise invalid_argument(f"{field}.ranges", "a range needs a field name")
        for bound in ("min", "max"):
            if r.HasField(bound) and not math.isfinite(getattr(r, bound)):
                raise invalid_argument(f"{field}.ranges", f"{r.field}: {bound} must be a finite number")
        if r.HasField("min") and r.HasField("max") and r.min > r.max:
            raise invalid_argument(f"{field}.ranges", f"{r.field}: min {r.min:g} is above max {r.max:g}")


def check_count(value: int, field: str, default: int, upper: int) -> int:
    """0 means unset (proto3); otherwise 1..upper."""
    if value == 0:
        return default
    if value < 1 or value > upper:
        raise invalid_argument(field, f"{field} must be between 1 and {upper}, got {value}")
    return value


# How far ahead of this server's clock an event's timestamp may be (clients' clocks drift).
MAX_CLOCK_SKEW_SECONDS = 300.0


def check_event_time(event: common_pb2.FeedbackEvent, field: str, now: float) -> None:
    """An event's timestamp, when set, is neither before 1970 nor in the future (beyond a
    small clock skew): such an event would mislead the time features of the interest model."""
    if not event.HasField("timestamp"):
        return
    seconds = event.timestamp.seconds + event.timestamp.nanos / 1e9
    if seconds < 0:
        raise invalid_argument(field, f"{field} is before 1970 ({seconds:.0f} s)")
    if seconds > now + MAX_CLOCK_SKEW_SECONDS:
        raise invalid_argument(field, f"{field} is {seconds - now:.0f} s in the future; at most "
                                      f"{MAX_CLOCK_SKEW_SECONDS:.0f} s of clock skew is accepted")
