"""Held-out figures of an understanding model: intent accuracy and span F1, per intent, slot
type and language."""

from __future__ import annotations

import re
from collections import defaultdict

from .labels import INTENTS, SLOTS
from .markup import Span, parse


def _key(span: Span) -> tuple[str, str]:
    return span.slot.value, re.sub(r"[\s,.?!，。？！、《》\"'“”]+", "", span.text.lower())


class Tally:
    """Counts for accuracy (per group) and span precision / recall (per slot and group)."""

    def __init__(self) -> None:
        self.right: dict[str, int] = defaultdict(int)
        self.seen: dict[str, int] = defaultdict(int)
        self.spans: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # true pos, predicted, gold

    def intent(self, groups: list[str], gold: str, predicted: str) -> None:
        for group in groups:
            self.seen[group] += 1
            self.right[group] += gold == predicted

    def span_sets(self, groups: list[str], gold: list[Span], predicted: list[Span]) -> None:
        gold_keys, predicted_keys = {_key(s) for s in gold}, {_key(s) for s in predicted}
        for slot in {k[0] for k in gold_keys | predicted_keys}:
            g = {k for k in gold_keys if k[0] == slot}
            p = {k for k in predicted_keys if k[0] == slot}
            for group in groups:
                counts = self.spans[(slot, group)]
                counts[0] += len(g & p)
                counts[1] += len(p)
                counts[2] += len(g)

    def accuracy(self, group: str) -> float | None:
        return self.right[group] / self.seen[group] if self.seen[group] else None

    def f1(self, slot: str, group: str) -> float | None:
        tp, predicted, gold = self.spans.get((slot, group), (0, 0, 0))
        if not gold and not predicted:
            return None
        return 2 * tp / (predicted + gold) if predicted + gold else 0.0

    def to_json(self, languages: list[str]) -> dict:
        return {
            "intent_accuracy": {g: self.accuracy(g) for g in ("all", *languages, *INTENTS) if self.seen[g]},
            "span_f1": {
                s.value: {g: self.f1(s.value, g) for g in ("all", *languages) if self.f1(s.value, g) is not None}
                for s in SLOTS
            },
            "counts": {g: self.seen[g] for g in ("all", *languages)},
        }


def tally_model(model, rows: list[dict], batch: int = 32) -> Tally:
    tally = Tally()
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        plain = [parse(r["text"]) for r in chunk]
        understood = model.predict([p[0] for p in plain], [r.get("context", "") for r in chunk])
        for row, (_, gold), result in zip(chunk, plain, understood, strict=True):
            groups = ["all", row["lang"]]
            tally.intent([*groups, row["intent"]], row["intent"], INTENTS[int(result.probs.argmax())])
            if row.get("spans_known", True):
                tally.span_sets(groups, gold, [s for s, _ in result.spans])
    return tally


def format_table(title: str, columns: dict[str, dict], languages: list[str]) -> str:
    """One table: rows are intent accuracy and span F1 groups, one column per system."""
    names = list(columns)
    lines = [title, f"{'':<34}" + "".join(f"{n:>16}" for n in names)]

    def cell(value):
        return f"{value:>16.3f}" if isinstance(value, float) else f"{'-':>16}"

    for group in ("all", *languages, *INTENTS):
        values = [columns[n]["intent_accuracy"].get(group) for n in names]
        if any(v is not None for v in values):
            label = f"intent accuracy, {group}"
            lines.append(f"{label:<34}" + "".join(cell(v) for v in values))
    for slot in SLOTS:
        for group in ("all", *languages):
            values = [columns[n]["span_f1"].get(slot.value, {}).get(group) for n in names]
            if any(v is not None for v in values):
                label = f"span F1 {slot.value}, {group}"
                lines.append(f"{label:<34}" + "".join(cell(v) for v in values))
    return "\n".join(lines)
