"""`convrec eval retrieval`: dense retrieval quality of MiniLM vs multilingual-e5-small on the
project's labeled English and Chinese queries over the demo catalog, and encode latency."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from convrec_kit.catalog import Catalog
from convrec_kit.models.e5 import E5Encoder
from convrec_kit.models.minilm import MiniLMEncoder

QUERIES = Path(__file__).with_name("data") / "retrieval_queries.jsonl"
K = 10


def load_queries(path: Path = QUERIES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def scores(ranked: list[str], relevant: set[str]) -> tuple[float, float]:
    """Recall@10 (share of the relevant items in the top 10) and reciprocal rank of the first hit."""
    top = ranked[:K]
    recall = len(relevant & set(top)) / len(relevant)
    rr = next((1.0 / (i + 1) for i, item_id in enumerate(ranked) if item_id in relevant), 0.0)
    return recall, rr


def latency_ms(encode, texts: list[str], repeats: int = 3) -> float:
    """Median milliseconds to encode one query on its own."""
    times = []
    for _ in range(repeats):
        for text in texts:
            started = time.perf_counter()
            encode([text])
            times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


def evaluate(catalog_path: Path, e5_dir: Path, threads: int = 1, queries: Path = QUERIES) -> dict:
    catalog = Catalog.load(catalog_path)
    ids = [item.item_id for item in catalog.items]
    texts = [catalog.text(item) for item in catalog.items]
    labeled = load_queries(queries)
    missing = {i for q in labeled for i in q["relevant"]} - set(ids)
    if missing:
        raise ValueError(f"{queries}: unknown item ids {sorted(missing)[:5]}")
    minilm = MiniLMEncoder(threads=threads)
    e5 = E5Encoder(e5_dir, threads=threads)
    encoders = {
        "MiniLM": (lambda t: minilm.encode(t), lambda t: minilm.encode(t)),
        f"e5 ({'bf16' if e5.dtype.is_floating_point and str(e5.dtype).endswith('bfloat16') else 'fp32'})": (
            lambda t: e5.encode(t, "query"), lambda t: e5.encode(t, "passage")),
    }
    report: dict = {"queries": {lang: sum(q["lang"] == lang for q in labeled) for lang in ("en", "zh")}}
    for name, (encode_query, encode_passage) in encoders.items():
        items = np.concatenate([encode_passage(texts[i:i + 32]) for i in range(0, len(texts), 32)])
        vectors = np.concatenate([encode_query([q["query"]]) for q in labeled])
        order = np.argsort(-(vectors @ items.T), axis=1)
        per_lang: dict[str, list[tuple[float, float]]] = {"en": [], "zh": []}
        for query, row in zip(labeled, order, strict=True):
            per_lang[query["lang"]].append(scores([ids[i] for i in row[:50]], set(query["relevant"])))
        report[name] = {
            lang: {"recall@10": float(np.mean([r for r, _ in v])), "mrr": float(np.mean([m for _, m in v]))}
            for lang, v in per_lang.items()
        }
        report[name]["query_ms"] = latency_ms(encode_query, [q["query"] for q in labeled[:20]])
    return report


def format_report(report: dict) -> str:
    lines = [f"labeled queries: {report['queries']['en']} English, {report['queries']['zh']} Chinese",
             f"{'encoder':<12} {'en R@10':>8} {'en MRR':>7} {'zh R@10':>8} {'zh MRR':>7} {'ms/query':>9}"]
    for name, row in report.items():
        if name == "queries":
            continue
        lines.append(f"{name:<12} {row['en']['recall@10']:>8.3f} {row['en']['mrr']:>7.3f} "
                     f"{row['zh']['recall@10']:>8.3f} {row['zh']['mrr']:>7.3f} {row['query_ms']:>9.1f}")
    return "\n".join(lines)
