"""`convrec eval understanding --replay`: the project's labelled description queries, each a
first turn through the gateway of a cluster per understanding setting (the rules, the model),
in one run: Recall@10 and MRR of the recommendations, per language."""

from __future__ import annotations

import tempfile
from pathlib import Path

import grpc
import numpy as np

from convrec.dialogue.v1 import dialogue_pb2, dialogue_pb2_grpc
from convrec_kit.cluster import Cluster

from .retrieval_quality import QUERIES, load_queries, scores

SETTINGS = ("rules", "model")


def replay(queries: Path = QUERIES) -> dict:
    labeled = load_queries(queries)
    report = {}
    with tempfile.TemporaryDirectory() as root:
        for setting in SETTINGS:
            cluster = Cluster(Path(root) / setting, extra_env={"CONVREC_UNDERSTANDING": setting})
            cluster.start()
            try:
                with grpc.insecure_channel(cluster.address()) as channel:
                    report[setting] = _figures(dialogue_pb2_grpc.DialogueServiceStub(channel), labeled)
            finally:
                cluster.stop()
    return report


def _figures(gateway, labeled: list[dict]) -> dict:
    per_lang: dict[str, list[tuple[float, float, bool]]] = {}
    for query in labeled:
        reply = gateway.Converse(dialogue_pb2.ConverseRequest(utterance=query["query"], page_size=10), timeout=30)
        ranked = [r.item.item_id for r in reply.recommendations]
        per_lang.setdefault(query["lang"], []).append((*scores(ranked, set(query["relevant"])), bool(ranked)))
    return {lang: {"recall@10": float(np.mean([r for r, _, _ in rows])), "mrr": float(np.mean([m for _, m, _ in rows])),
                   "answered": sum(a for _, _, a in rows), "queries": len(rows)} for lang, rows in per_lang.items()}


def format_replay(report: dict) -> str:
    lines = ["description queries as first turns through the gateway (recommendations, page of 10):"]
    for setting, by_lang in report.items():
        for lang, f in sorted(by_lang.items()):
            lines.append(f"  {setting:6s} {lang}: R@10 {f['recall@10']:.3f}, MRR {f['mrr']:.3f}, "
                         f"answered with items {f['answered']} of {f['queries']}")
    return "\n".join(lines)
