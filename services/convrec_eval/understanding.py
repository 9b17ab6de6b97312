"""`convrec eval understanding`: the rules + intent head and the joint model side by side on the
understanding corpus's held-out rows, per intent, slot type and language; and, on a catalog of
another domain, how many category requests link to the right category in each language."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from convrec_intent import corpus
from convrec_intent.understanding import LANGUAGES, held_out, held_out_parts
from convrec_kit import artifacts
from convrec_kit.models.understanding import metrics
from convrec_kit.models.understanding.markup import parse


def rules_tally(head, parser, rows: list[dict]) -> metrics.Tally:
    """Intents as the intent service decides them with the rules: the head's label, corrected by the parser."""
    from convrec.intent.v1 import intent_pb2

    tally = metrics.Tally()
    texts = [parse(r["text"])[0] for r in rows]
    probs = np.concatenate([head.predict(texts[i : i + 64]) for i in range(0, len(texts), 64)]) if texts else []
    for row, text, p in zip(rows, texts, probs, strict=True):
        label = parser.parse(text, p).intent
        name = intent_pb2.IntentType.Name(label).removeprefix("INTENT_TYPE_")
        tally.intent(["all", row["lang"], row["intent"]], row["intent"], name)
    return tally


def compare(artifacts_dir: Path, catalog_name: str) -> str:
    from convrec_kit.models.e5_convert import E5_DIR

    catalog = artifacts.load_catalog(artifacts_dir / catalog_name)
    rows = corpus.build_corpus(catalog)
    model_figures = held_out(artifacts_dir / artifacts.UNDERSTANDING_DIR, artifacts_dir / E5_DIR, rows)
    from convrec_intent.parser import Parser
    from convrec_intent.settings import IntentSettings
    from convrec_kit.models.intent import IntentModel

    head = IntentModel(artifacts_dir / artifacts.INTENT_DIR)
    parser = Parser(catalog, IntentSettings().intent_min_confidence)
    tables = []
    parts = held_out_parts(rows)
    for name, figures in model_figures.items():
        rules = rules_tally(head, parser, parts[name]).to_json(LANGUAGES)
        tables.append(
            metrics.format_table(
                f"held-out {name} ({figures['counts']['all']} rows)",
                {"rules + head": rules, "joint model": figures},
                LANGUAGES,
            )
        )
    return "\n\n".join(tables)


def other_domain(artifacts_dir: Path, catalog_name: str, requests_path: Path) -> dict[str, dict]:
    """Per language: the share of requests whose parse (as the intent service makes it, with the
    rules or with the joint model) asks for the expected category of a catalog neither saw."""
    from convrec_intent.main import cached
    from convrec_intent.parser import Parser
    from convrec_intent.settings import IntentSettings
    from convrec_intent.span_parser import SpanParser
    from convrec_kit.models.e5 import E5Encoder
    from convrec_kit.models.e5_convert import E5_DIR
    from convrec_kit.models.understanding.model import UnderstandingModel
    from convrec_kit.models.understanding.terms import build_terms

    catalog_dir = artifacts_dir / catalog_name
    encoder = E5Encoder(artifacts_dir / E5_DIR)
    parser = SpanParser(
        artifacts.load_catalog(catalog_dir),
        build_terms(catalog_dir, artifacts_dir / E5_DIR),
        cached(lambda t: encoder.encode(t, "query")),
    )
    model = UnderstandingModel(artifacts_dir / artifacts.UNDERSTANDING_DIR, artifacts_dir / E5_DIR)
    rules = Parser(artifacts.load_catalog(catalog_dir), IntentSettings().intent_min_confidence)
    counts: dict[str, list[int]] = {}
    for row in read_jsonl(requests_path):
        joint = parser.parse(row["text"], model.predict([row["text"]])[0]).constraints.include_categories
        ruled = rules.parse(row["text"], np.full(10, 0.1)).constraints.include_categories
        tally = counts.setdefault(row["lang"], [0, 0, 0])
        tally[0] += row["category"] in ruled
        tally[1] += row["category"] in joint
        tally[2] += 1
    return {lang: {"rules": r / n, "joint model": j / n, "requests": n} for lang, (r, j, n) in sorted(counts.items())}


def canonical(surface: str, catalog_names: set[str]) -> tuple[bool, str | None]:
    """(known, category) of a template's category filler: from the word lists (training data)
    or the catalog's own names; other domains' fillers are known to have no category here."""
    from convrec_intent import lexicon

    text = surface.lower()
    stem = text[:-1] if text.endswith(("片", "类", "剧")) else text
    for table in (lexicon.CATEGORY_EN, lexicon.CATEGORY_ZH):
        for key in (text, stem):
            if key in table and table[key][0] in catalog_names:
                return True, table[key][0]
    if text in catalog_names:
        return True, text
    if text in corpus.OTHER_CATEGORIES_EN or stem in corpus.OTHER_CATEGORIES_ZH:
        return True, None
    return False, None


def tune_links(artifacts_dir: Path, catalog_name: str) -> str:
    """The link thresholds on the demo catalog's training rows: share of category spans linked
    right (to their category, or to none for another domain's word) and of keyword spans left
    unlinked (what a request is about is not a category filter), over a grid."""
    from convrec_kit.models.e5 import E5Encoder
    from convrec_kit.models.e5_convert import E5_DIR
    from convrec_kit.models.understanding.terms import build_terms

    terms = build_terms(artifacts_dir / catalog_name, artifacts_dir / E5_DIR)
    names = set(terms.names)
    gold = {}
    for row in corpus.build_corpus(artifacts.load_catalog(artifacts_dir / catalog_name)):
        if row["split"] == "train" and row["source"].startswith("template"):
            for span in parse(row["text"])[1]:
                known, category = canonical(span.text, names)
                if span.slot.value in ("category", "exclude") and known and not terms.exact(span.text):
                    gold[span.text] = category
                elif span.slot.value == "keyword" and not terms.exact(span.text):
                    gold.setdefault(span.text, None)
    encoder = E5Encoder(artifacts_dir / E5_DIR)
    surfaces = sorted(gold)
    vectors = encoder.encode(surfaces, "query")
    aliases = np.arange(0.86, 0.98, 0.02) if terms.aliases else [1.0]
    grid = []
    for alias_t in aliases:
        for name_t in np.arange(0.84, 0.97, 0.01):
            for items_t in np.arange(0.04, 0.32, 0.02):
                linked = terms.link(surfaces, lambda _: vectors, (float(name_t), float(items_t)), float(alias_t))
                grid.append((_right(gold, surfaces, linked), float(alias_t), float(name_t), float(items_t)))
    best = max(grid, key=lambda g: g[0][0])
    now = _right(gold, surfaces, terms.link(surfaces, lambda _: vectors))
    return (
        f"{len(surfaces)} distinct spans: {sum(v is not None for v in gold.values())} of categories, "
        f"{sum(v is None for v in gold.values())} naming none (other domains' categories, keywords); "
        f"{len(terms.aliases)} other names of categories; best: other names {best[1]:.2f}, name {best[2]:.2f}, "
        f"items {best[3]:.2f}: {_share(best[0])}; with the thresholds in use: {_share(now)}"
    )


def _right(gold: dict, surfaces: list[str], linked) -> tuple[float, float, float]:
    """(share right, of the category spans, of the spans naming none)."""
    hits = [(gold[s] is not None, c == gold[s]) for s, (c, _) in zip(surfaces, linked, strict=True)]
    return _mean(hits), _mean([h for h in hits if h[0]]), _mean([h for h in hits if not h[0]])


def _mean(hits: list[tuple[bool, bool]]) -> float:
    return sum(right for _, right in hits) / len(hits) if hits else 0.0


def _share(right: tuple[float, float, float]) -> str:
    return f"{right[0]:.3f} right (categories {right[1]:.3f}, none {right[2]:.3f})"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
