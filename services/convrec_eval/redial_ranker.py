"""Training a catalog's learned ranker on ReDial dialogues without leakage: the features of
one half of the dialogues come from replaying them through a cluster whose popularity,
co-mentions and dialogue model were learned from the other half only."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from convrec_data import redial as rd
from convrec_kit import artifacts
from convrec_kit.models.dialogue import artifact as dialogue_artifact
from convrec_kit.models.dialogue.pipeline import CACHE as TURN_VECTORS
from convrec_kit.models.ranker import artifact as ranker_artifact
from convrec_kit.models.ranker.features import FEATURES
from convrec_kit.models.ranker.train import Group, TrainConfig, train

from .redial import System, replay_cluster, train_dialogue_model

FOLD_SUFFIX = "-ranker-fold"
# The blend's best items the ranker re-orders: the most one page shows.
RERANK = 100


def halves(dialogues: list[rd.Dialogue], seed: int) -> tuple[list[rd.Dialogue], list[rd.Dialogue]]:
    order = sorted(dialogues, key=lambda d: d.dialogue_id)
    random.Random(seed).shuffle(order)
    middle = len(order) // 2
    return order[:middle], order[middle:]


def fold_catalog(artifacts_dir: Path, catalog_name: str, learned_from: list[rd.Dialogue], source: Path,
                 progress: bool = True) -> tuple[str, bool]:
    """A copy of the built catalog whose dialogue-learned parts come from `learned_from`
    only; also whether it has a dialogue model."""
    from convrec_retrieval.index_build import co_occurrence_neighbours, count_prior

    src, name = artifacts_dir / catalog_name, catalog_name + FOLD_SUFFIX
    dst = artifacts_dir / name
    if dst.exists():
        shutil.rmtree(dst)
    models = (dialogue_artifact.root(src).name, ranker_artifact.root(src).name)
    shutil.copytree(src, dst, ignore=lambda folder, _: models if Path(folder) == src else ())
    cached = dialogue_artifact.root(src) / TURN_VECTORS
    if cached.exists():  # the turns' encodings do not depend on what was learned
        shutil.copytree(cached, dialogue_artifact.root(dst) / TURN_VECTORS)
    catalog = artifacts.load_catalog(dst)
    with tempfile.TemporaryDirectory() as tmp:
        counted = Path(tmp) / "popularity.jsonl"
        counted.write_text("".join(json.dumps(r) + "\n" for r in rd.popularity_records(learned_from)))
        if str(artifacts.read_manifest(src).get("popularity", "")).startswith("counts from"):
            np.save(dst / artifacts.POPULARITY_FILE, count_prior(catalog, counted)[0])
        if (src / artifacts.CO_OCCURRENCE_FILE).exists():
            pairs = Path(tmp) / "co_mentions.jsonl"
            pairs.write_text("".join(json.dumps(r) + "\n" for r in rd.co_mention_records(learned_from)))
            neighbours, counts, totals, _ = co_occurrence_neighbours(catalog, pairs)
            np.savez(dst / artifacts.CO_OCCURRENCE_FILE, neighbours=neighbours, counts=counts, totals=totals)
    with_dialogue = dialogue_artifact.current(src) is not None
    if with_dialogue:
        train_dialogue_model(artifacts_dir, dst, learned_from, source, progress)
    return name, with_dialogue


def groups_of(cases: list[rd.Case], replayed) -> list[Group]:
    out = []
    for case, ranked, components, blend in zip(cases, replayed.rankings, replayed.components, replayed.scores):
        targets = set(case.targets)
        out.append(Group(components, [int(item in targets) for item in ranked], blend, case.dialogue_id))
    return out


def train_ranker(artifacts_dir: Path, catalog_name: str, dialogues: list[rd.Dialogue], source: Path,
                 config: TrainConfig = TrainConfig(), workers: int = 2, progress: bool = True) -> tuple[Path, dict]:
    """Trains and saves the catalog's current learned ranker; returns its directory and manifest."""
    started = time.perf_counter()
    first, second = halves(dialogues, config.seed)
    groups, with_dialogue = [], False
    for learn, replayed_half in ((first, second), (second, first)):  # every dialogue's features, once
        fold, with_dialogue = fold_catalog(artifacts_dir, catalog_name, learn, source, progress)
        cases = [c for d in replayed_half for c in rd.eval_cases(d)]
        work = artifacts_dir / "eval" / fold
        work.mkdir(parents=True, exist_ok=True)
        system = System(dialogue_model=with_dialogue)
        groups += groups_of(cases, replay_cluster(work, artifacts_dir, fold, system, cases, workers, RERANK))
        shutil.rmtree(artifacts_dir / fold, ignore_errors=True)
    (work / "lists.json").write_text(json.dumps([g.to_json() for g in groups]))
    booster, report = train(groups, config)
    catalog_dir = artifacts_dir / catalog_name
    catalog_sha = artifacts.read_manifest(catalog_dir)["source_sha256"]
    key = [sorted(d.dialogue_id for d in dialogues), config.to_json(), catalog_sha]
    digest = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:12]
    manifest = {
        "rerank": RERANK,
        "blend_scale": report["blend_scale"],
        "trained_on": f"{source}: {len(dialogues)} dialogues, each half replayed against popularity, "
                      f"co-mentions{' and a dialogue model' if with_dialogue else ''} learned from the other half",
        "cases": len(groups),
        "config": config.to_json(),
        "report": report,
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    directory = ranker_artifact.save(catalog_dir, digest, booster, FEATURES, manifest)
    return directory, ranker_artifact.read_manifest(directory)
