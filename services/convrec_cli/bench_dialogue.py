"""`make bench DIALOGUE=1`: the services on a copy of the served catalog, without and then
with a trained dialogue model, in one run: p50 per turn through the gateway (each turn
then encodes its new dialogue turns with multilingual-e5 and runs the dialogue head).

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


def compare_dialogue(root: Path, levels: list[int], conversations: int) -> None:
    from convrec_kit.settings import CommonSettings

    settings = CommonSettings()
    print(f"== training a dialogue model for a copy of {settings.catalog!r} (synthetic dialogues)")
    model_catalog(settings.artifacts_dir, settings.catalog, root / "artifacts")
    served = {"CONVREC_ARTIFACTS_DIR": str(root / "artifacts"), "CONVREC_CATALOG": MODEL_CATALOG}
    results = {}
    for label, switch in (("without", "false"), ("with", "true")):
        print(f"\n== {label} the dialogue model: {conversations} conversations per client at {levels} clients")
        cluster = Cluster(root / label, extra_env={**served, "CONVREC_RETRIEVAL_DIALOGUE": switch})
        try:
            cluster.start()
            results[label] = run_bench(cluster.address(), levels, conversations, cluster.metrics_ports,
                                       cluster.pids())
        finally:
            cluster.stop()
    print(f"\n{'clients':>7} {'p50 without':>12} {'p50 with':>9} {'growth ms':>10} {'p99 without':>12} {'p99 with':>9}")
    for a, b in zip(results["without"], results["with"], strict=True):
        print(f"{a['clients']:>7} {a['p50_ms']:>12.1f} {b['p50_ms']:>9.1f} {b['p50_ms'] - a['p50_ms']:>+10.1f} "
              f"{a['p99_ms']:>12.1f} {b['p99_ms']:>9.1f}")
