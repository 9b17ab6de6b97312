"""Numeric ranges: {field: [low, high]} with open bounds as None, to and from protos."""

from __future__ import annotations

from convrec.common.v1 import common_pb2


def to_protos(ranges: dict[str, list[float | None]]) -> list[common_pb2.NumericRange]:
    out = []
    for name, (low, high) in ranges.items():
        r = common_pb2.NumericRange(field=name)
        if low is not None:
            r.min = low
        if high is not None:
            r.max = high
        out.append(r)
    return out
