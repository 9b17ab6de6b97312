"""How well a built catalog's words translate Chinese keywords: the threshold tuned on the
rules' Chinese-to-English word table (dev), the figures reported on hand-written pairs
no setting was chosen on (test)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from convrec_kit.models.understanding.words import PER_SPAN, THRESHOLD, CatalogWords

PAIRS = Path(__file__).parent / "data" / "zh_keyword_pairs.tsv"
GRID = np.round(np.arange(0.80, 0.951, 0.005), 3)


def dev_pairs() -> list[tuple[str, set[str]]]:
    from convrec_intent.lexicon import ZH_QUERY_WORDS

    return [(zh, set(en.split())) for zh, en in ZH_QUERY_WORDS.items()]


def test_pairs(path: Path = PAIRS) -> list[tuple[str, set[str]]]:
    rows = [line.split("\t") for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return [(zh, set(en.split())) for zh, en in rows]


def score(words: CatalogWords, pairs, encode, threshold: float) -> dict:
    """Precision of the words added, and the share of terms (with a right word in the
    catalog) that get at least one right word."""
    added = words.translate_each([zh for zh, _ in pairs], encode, threshold)
    known = set(words.words)
    right = [sum(w in gold for w in a) for a, (_, gold) in zip(added, pairs, strict=True)]
    answerable = sum(bool(gold & known) for _, gold in pairs)
    returned = sum(len(a) for a in added)
    precision = sum(right) / returned if returned else 0.0
    coverage = sum(r > 0 for r in right) / answerable if answerable else 0.0
    f1 = 2 * precision * coverage / (precision + coverage) if precision + coverage else 0.0
    return {"pairs": len(pairs), "answerable": answerable, "added": returned,
            "precision": precision, "coverage": coverage, "f1": f1}


def evaluate(catalog_dir: Path, encode, tune: bool = False) -> dict:
    """`encode`: the multilingual encoder's query vectors (remembered per text: the grid repeats them)."""
    words = CatalogWords.load(catalog_dir)
    if words is None:
        raise FileNotFoundError(f"no catalog words in {catalog_dir}; run `convrec build`")
    sets = {"dev (the rules' word table)": dev_pairs(), "test (hand-written pairs)": test_pairs()}
    dev = next(iter(sets.values()))
    threshold = max(GRID, key=lambda t: score(words, dev, encode, float(t))["f1"]) if tune else THRESHOLD
    return {"words": len(words.words), "threshold": float(threshold),
            "sets": {name: score(words, pairs, encode, float(threshold)) for name, pairs in sets.items()}}


def format_report(report: dict) -> str:
    lines = [f"{report['words']} catalog words; threshold {report['threshold']:.3f}, {PER_SPAN} word per keyword"]
    for name, s in report["sets"].items():
        lines.append(f"  {name}: {s['pairs']} terms ({s['answerable']} with a right word in the catalog), "
                     f"{s['added']} words added, precision {s['precision']:.3f}, coverage {s['coverage']:.3f}, "
                     f"F1 {s['f1']:.3f}")
    return "\n".join(lines)
