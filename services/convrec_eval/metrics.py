"""Ranking metrics from the 1-based rank of each target (None: not in the list)."""

from __future__ import annotations

import math
from collections.abc import Sequence

RECALL_AT = (1, 10, 50)
NDCG_AT = (10, 50)
MRR_AT = 50


def recall(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def ndcg(ranks: Sequence[int | None], k: int) -> float:
    """One relevant item per case: the ideal DCG is 1."""
    return sum(1 / math.log2(r + 1) for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def summary(ranks: Sequence[int | None]) -> dict[str, float]:
    out = {f"R@{k}": recall(ranks, k) for k in RECALL_AT}
    out.update({f"NDCG@{k}": ndcg(ranks, k) for k in NDCG_AT})
    out[f"MRR@{MRR_AT}"] = mrr(ranks, MRR_AT)
    return out


def rank_of(target: str, ranked: Sequence[str]) -> int | None:
    try:
        return ranked.index(target) + 1
    except ValueError:
        return None


def table(title: str, columns: list[str], rows: list[tuple[str, list[str]]]) -> str:
    """A plain-text table: a title line, a header, then one line per row."""
    width = max(len(name) for name, _ in rows)
    widths = [max(len(c), *(len(values[i]) for _, values in rows)) for i, c in enumerate(columns)]
    lines = [title, " " * width + "  " + "  ".join(c.rjust(w) for c, w in zip(columns, widths))]
    for name, values in rows:
        lines.append(name.ljust(width) + "  " + "  ".join(v.rjust(w) for v, w in zip(values, widths)))
    return "\n".join(lines)
