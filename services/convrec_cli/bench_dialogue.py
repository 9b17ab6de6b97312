"""`make bench DIALOGUE=1`: the services on a copy of the served catalog, without a trained
dialogue model, with it (each turn's new dialogue turns encoded by multilingual-e5 when
Retrieve reads them), and with the gateway preparing them ahead (PrepareDialogue), in one
run: p50 per turn through the gateway.

The model is trained on synthetic dialogues over the catalog (a seeker names an item, the
recommender answers with another of its categories): this measures speed, not quality."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from convrec_kit import artifacts
from convrec_kit.cluster import Cluster
from convrec_kit.models.dialogue.inputs import ASSISTANT, USER
from convrec_kit.models.dialogue.pipeline import TextCase

from .bench import run_bench

MODEL_CATALOG = "bench-dialogue"
EXCLUDED = ("interest*", "dialogue*", "ranker*")
# (label, CONVREC_RETRIEVAL_DIALOGUE, CONVREC_PREPARE_DIALOGUE)
RUNS = (("without the model", "false", "true"), ("model, turns on demand", "true", "false"),
        ("model, turns prepared", "true", "true"))


def synthetic_cases(catalog, count: int = 300, seed: int = 0) -> list[TextCase]:
    """Seekers who name an item they liked; the recommender names another item of one of
    its categories."""
    rng = random.Random(seed)
    by_category: dict[str, list[str]] = {}
    for item in catalog.items:
        for category in item.categories:
            by_category.setdefault(category, []).append(item.item_id)
    cases = []
    for n in range(count):
        item = rng.choice(catalog.items)
        answer = rng.choice(by_category[rng.choice(sorted(item.categories))])
        turns = ((USER, "hi there"), (ASSISTANT, "Hello! What do you like?"),
                 (USER, f"I really liked {item.title}, anything similar?"))
        cases.append(TextCase(f"synthetic-{n}", turns, (item.item_id,), (answer,)))
    return cases


def model_catalog(artifacts_dir: Path, catalog_name: str, work: Path, progress: bool = True) -> Path:
    """A copy of the served catalog, under `work` beside the built encoders, with a dialogue
    model trained for it."""
    from convrec_kit.models.dialogue.pipeline import train_with_e5
    from convrec_kit.models.e5_convert import E5_DIR

    source, target = artifacts_dir / catalog_name, work / MODEL_CATALOG
    artifacts.require(source / artifacts.E5_EMBEDDINGS_FILE, "multilingual item embeddings")
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*EXCLUDED))
    (work / "models").symlink_to((artifacts_dir / "models").resolve(), target_is_directory=True)
    cases = synthetic_cases(artifacts.load_catalog(target))
    train_with_e5(target, work / E5_DIR, cases, f"{len(cases)} synthetic dialogues", progress=progress)
    return target


def compare_dialogue(root: Path, levels: list[int], conversations: int, think: float = 0.0) -> None:
    from convrec_kit.settings import CommonSettings

    settings = CommonSettings()
    print(f"== training a dialogue model for a copy of {settings.catalog!r} (synthetic dialogues)")
    model_catalog(settings.artifacts_dir, settings.catalog, root / "artifacts")
    served = {"CONVREC_ARTIFACTS_DIR": str(root / "artifacts"), "CONVREC_CATALOG": MODEL_CATALOG}
    results = {}
    for label, model, prepare in RUNS:
        print(f"\n== {label}: {conversations} conversations per client at {levels} clients, "
              f"{think:g} s between a user's turns")
        env = {**served, "CONVREC_RETRIEVAL_DIALOGUE": model, "CONVREC_PREPARE_DIALOGUE": prepare}
        cluster = Cluster(root / label.replace(" ", "-"), extra_env=env)
        try:
            cluster.start()
            results[label] = run_bench(cluster.address(), levels, conversations, cluster.metrics_ports,
                                       cluster.pids(), think=think)
        finally:
            cluster.stop()
    base = results[RUNS[0][0]]
    print(f"\n{'clients':>7} {'run':>24} {'p50 ms':>8} {'growth':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for label, rows in results.items():
        for row, first in zip(rows, base, strict=True):
            print(f"{row['clients']:>7} {label:>24} {row['p50_ms']:>8.1f} {row['p50_ms'] - first['p50_ms']:>+8.1f} "
                  f"{row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f}")
