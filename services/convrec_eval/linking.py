"""`convrec eval linking`: precision, recall and F1 of title and people linking on a labelled
set, for the exact-only linker ("before") and the fuzzy one ("after"), with link times."""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from convrec_data.common import DataError
from convrec_intent.fuzzy import Thresholds
from convrec_intent.mentions import PeopleLinker, TitleLinker
from convrec_kit.catalog import Catalog, item_from_record

SET = Path(__file__).resolve().parents[1] / "convrec_intent" / "data" / "linking_eval.jsonl"
KEYS = ("utterance", "item_ids", "language", "noise", "split")
# The grid `--tune` searches on the dev split.
GRID = {
    "en_ratio": (80.0, 85.0, 90.0),
    "single_min_len": (4, 5, 6),
    "zh_min_len": (3, 4, 5),
    "zh_long_len": (6, 7, 8, 10),
    "zh_bracket_ratio": (60.0, 70.0, 80.0, 90.0),
    "person_ratio": (80.0, 85.0, 90.0, 95.0),
}


def load_rows(path: Path = SET, catalog: Catalog | None = None) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        missing = [k for k in KEYS if k not in row]
        unknown = [i for i in row.get("item_ids", []) if catalog is not None and catalog.get(i) is None]
        if missing or unknown or row["split"] not in ("dev", "test") or row["language"] not in ("en", "zh"):
            raise DataError(f"{path}:{number}: bad row (missing {missing}, unknown ids {unknown})")
        rows.append(row)
    return rows


class Counts:
    """True positives, false positives and false negatives, micro-averaged over mentions."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, predicted: set, expected: set) -> None:
        self.tp += len(predicted & expected)
        self.fp += len(predicted - expected)
        self.fn += len(expected - predicted)

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0


def score(catalog: Catalog, rows: list[dict], fuzzy: bool, thresholds: Thresholds | None = None) -> dict:
    """Counts per group ("all", "en", "zh", "noise:typo", ..., "people") for one linker."""
    titles = TitleLinker(catalog, fuzzy=fuzzy, thresholds=thresholds)
    people = PeopleLinker(catalog, fuzzy=fuzzy, thresholds=thresholds)
    counts: dict[str, Counts] = defaultdict(Counts)
    errors = []
    for row in rows:
        predicted = {m.item_id for m in titles.link(row["utterance"])}
        expected = set(row["item_ids"])
        for group in ("all", row["language"], f"noise:{row['noise']}"):
            counts[group].add(predicted, expected)
        named = {name for name, _, _ in people.link(row["utterance"])}
        counts["people"].add(named, set(row.get("people", [])))
        if predicted != expected or named != set(row.get("people", [])):
            errors.append((row["utterance"], sorted(predicted | named), sorted(expected | set(row.get("people", [])))))
    return {"counts": dict(counts), "errors": errors}


def link_times(catalog: Catalog, utterances: list[str], repeats: int = 3) -> dict:
    """Milliseconds per utterance (titles and people, fuzzy linker), after building the index."""
    started = time.perf_counter()
    titles, people = TitleLinker(catalog), PeopleLinker(catalog)
    build_s = time.perf_counter() - started
    samples = []
    for _ in range(repeats):
        for text in utterances:
            t0 = time.perf_counter()
            titles.link(text)
            people.link(text)
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {
        "items": len(catalog),
        "build_s": build_s,
        "mean_ms": statistics.fmean(samples),
        "p95_ms": samples[int(0.95 * (len(samples) - 1))],
        "max_ms": samples[-1],
    }


def redial_catalog(movies_csv: Path) -> Catalog:
    """The ReDial movie list (and its metadata when beside it) as a catalog."""
    from convrec_data import redial

    movies = redial.load_movies(movies_csv)
    meta_path = movies_csv.parent / redial.METADATA_FILE
    metadata = redial.load_metadata(meta_path) if meta_path.exists() else {}
    redial.complete_titles(movies, metadata)
    return Catalog(item_from_record(redial.catalog_record(m, metadata.get(m.movie_id))) for m in movies.values())


def evaluate(catalog: Catalog, rows: list[dict], split: str = "test", redial_movies: Path | None = None) -> dict:
    chosen = [r for r in rows if split == "all" or r["split"] == split]
    report = {
        "split": split,
        "rows": len(chosen),
        "mentions": sum(len(r["item_ids"]) for r in chosen),
        "before": score(catalog, chosen, fuzzy=False),
        "after": score(catalog, chosen, fuzzy=True),
        "thresholds": Thresholds(),
        "times": [link_times(catalog, [r["utterance"] for r in rows])],
    }
    if redial_movies is not None:
        english = [r["utterance"] for r in rows if r["language"] == "en"]
        report["times"].append(link_times(redial_catalog(redial_movies), english))
    return report


def tune(catalog: Catalog, rows: list[dict]) -> tuple[Thresholds, list[tuple[float, float, Thresholds]]]:
    """Each threshold in turn over its grid, the others at their defaults, on the dev split.
    Per threshold the value with the best title F1 (then people F1) is chosen, the stricter
    (larger) one on a tie. Returns the chosen thresholds and every (title F1, people F1, thresholds)."""
    dev = [r for r in rows if r["split"] == "dev"]
    results, chosen = [], {}
    for name, values in GRID.items():
        scored = []
        for value in values:
            thresholds = replace(Thresholds(), **{name: value})
            counts = score(catalog, dev, fuzzy=True, thresholds=thresholds)["counts"]
            scored.append((counts["all"].prf()[2], counts["people"].prf()[2], value))
            results.append((scored[-1][0], scored[-1][1], thresholds))
        chosen[name] = max(scored)[2]
    unique = list({t: (f, pf, t) for f, pf, t in results}.values())
    return replace(Thresholds(), **chosen), sorted(unique, key=lambda r: (-r[0], -r[1]))


def _table(before: dict, after: dict, groups) -> list[str]:
    lines = [f"{'group':24} {'before P':>8} {'R':>6} {'F1':>6}   {'after P':>8} {'R':>6} {'F1':>6}   {'n':>4}"]
    for group in groups:
        b, a = before.get(group, Counts()), after.get(group, Counts())
        bp, br, bf = b.prf()
        ap, ar, af = a.prf()
        n = a.tp + a.fn
        lines.append(f"{group:24} {bp:8.3f} {br:6.3f} {bf:6.3f}   {ap:8.3f} {ar:6.3f} {af:6.3f}   {n:4d}")
    return lines


def format_report(report: dict, show_errors: bool = False) -> str:
    before, after = report["before"]["counts"], report["after"]["counts"]
    noise = sorted(g for g in after if g.startswith("noise:"))
    lines = [f"title and people linking, {report['split']} split: {report['rows']} rows, {report['mentions']} mentions"]
    lines += _table(before, after, ["all", "en", "zh", *noise, "people"])
    lines.append("(negatives have no mentions: their false links lower precision of their group and of 'all')")
    lines.append(f"thresholds: {report['thresholds']}")
    for t in report["times"]:
        lines.append(
            f"link time, {t['items']} items: {t['mean_ms']:.2f} ms/utterance mean, p95 {t['p95_ms']:.2f}, "
            f"max {t['max_ms']:.2f} (index built in {t['build_s']:.2f} s)"
        )
    if show_errors:
        lines.append("after, wrong rows (utterance: predicted vs expected):")
        lines += [f"  {u!r}: {p} vs {e}" for u, p, e in report["after"]["errors"]]
    return "\n".join(lines)


def format_tuning(tuned: tuple[Thresholds, list]) -> str:
    chosen, results = tuned
    lines = ["dev split, one threshold varied at a time (title F1, people F1):"]
    defaults = Thresholds()
    for title_f1, people_f1, t in results:
        changed = {f: getattr(t, f) for f in GRID if getattr(t, f) != getattr(defaults, f)} or "defaults"
        lines.append(f"  {title_f1:.3f} {people_f1:.3f}  {changed}")
    lines.append(f"chosen: {chosen}" + ("" if chosen == defaults else f"\n(defaults: {defaults})"))
    return "\n".join(lines)
