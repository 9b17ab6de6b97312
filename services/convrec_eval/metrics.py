"""Ranking metrics from the 1-based rank of each target (None: not in the list)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

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


def recall_difference(
    ranks: Sequence[int | None],
    baseline: Sequence[int | None],
    k: int,
    groups: Sequence[Hashable] | None = None,
    samples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Recall@k of `ranks` minus that of `baseline` on the same targets, with a 95% interval
    from a paired bootstrap that resamples whole groups (the targets of one dialogue are
    not independent); without groups every target is its own."""
    hits = [_hit(a, k) for a in ranks], [_hit(b, k) for b in baseline]
    return paired_difference(*hits, groups, samples, seed)


def ndcg_difference(
    ranks: Sequence[int | None], baseline: Sequence[int | None], k: int, samples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """NDCG@k of `ranks` minus that of `baseline`, with a paired bootstrap 95% interval."""
    gains = [_gain(a, k) for a in ranks], [_gain(b, k) for b in baseline]
    return paired_difference(*gains, None, samples, seed)


def paired_difference(
    values: Sequence[float],
    baseline: Sequence[float],
    groups: Sequence[Hashable] | None = None,
    samples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean per-case difference and its 95% paired bootstrap interval (resampling groups)."""
    if len(values) != len(baseline) or not values:
        raise ValueError("the two methods must rank the same, non-empty set of targets")
    delta = np.asarray(values, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    keys = {g: i for i, g in enumerate(dict.fromkeys(groups))} if groups is not None else None
    group = np.array([keys[g] for g in groups]) if keys else np.arange(len(delta))
    n = int(group.max()) + 1
    sums = np.bincount(group, weights=delta, minlength=n)
    sizes = np.bincount(group, minlength=n)
    picks = np.random.default_rng(seed).integers(0, n, size=(samples, n))
    boot = sums[picks].sum(axis=1) / sizes[picks].sum(axis=1)
    return float(delta.mean()), float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))


def _gain(rank: int | None, k: int) -> float:
    return 1 / math.log2(rank + 1) if rank is not None and rank <= k else 0.0


def _hit(rank: int | None, k: int) -> int:
    return int(rank is not None and rank <= k)


def format_difference(name: str, difference: dict[str, list[float]], best: str = "convrec") -> str:
    parts = [f"{m} {d:+.3f} (95% CI {lo:+.3f} to {hi:+.3f})" for m, (d, lo, hi) in difference.items()]
    return f"{best} minus {name}: " + ", ".join(parts)


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
