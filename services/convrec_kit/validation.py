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
