"""The build entry: trains the intent model, indexes a catalog and (given interactions)
trains its interest model, skipping what is up to date."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from convrec_kit import artifacts
from convrec_kit.models import e5_convert
from convrec_kit.models.intent import FORMAT_VERSION
from convrec_kit.models.minilm import MiniLMEncoder
from convrec_kit.settings import REPO_ROOT

DEMO_CATALOG = REPO_ROOT / "catalog" / "demo.jsonl"


def build(
    artifacts_dir: Path,
    catalog_name: str,
    source: Path | None,
    force: bool = False,
    popularity: Path | None = None,
    co_occurrence: Path | None = None,
    weights: Path | None = None,
    interactions: Path | None = None,
    device: str = "cpu",
) -> dict:
    from convrec_intent import train
    from convrec_kit.models.understanding.terms import build_terms
    from convrec_kit.models.understanding.words import build_words
    from convrec_retrieval.index_build import build_catalog
    from convrec_retrieval.multilingual_index import build_e5_embeddings

    started = time.perf_counter()
    e5_convert.convert(artifacts_dir / e5_convert.E5_DIR)
    print(f"multilingual-e5-small ready in {artifacts_dir / e5_convert.E5_DIR} ({time.perf_counter() - started:.1f} s)")
    encoder = MiniLMEncoder()
    intent_dir = artifacts_dir / artifacts.INTENT_DIR
    data_sha = hashlib.sha256(train.DATA.read_bytes()).hexdigest()
    manifest_path = intent_dir / artifacts.MANIFEST_FILE
    current = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    fresh = current.get("format_version") == FORMAT_VERSION and current.get("data_sha256") == data_sha
    if force or not fresh:
        print("training the intent classifier ...", flush=True)
        train.train(intent_dir, artifacts_dir / e5_convert.E5_DIR, encoder=encoder)
    else:
        print(f"intent classifier up to date (held-out accuracy {current['held_out_accuracy']:.3f})")
    _understanding(artifacts_dir, force, device)
    out_dir = artifacts_dir / catalog_name
    source = source_for(out_dir, catalog_name, source)
    if source is None:
        manifest = artifacts.read_manifest(out_dir)
        print(f"catalog {catalog_name!r}: {manifest['items']} items as built from {manifest['source']} "
              f"(rebuild with --source FILE)")
    else:
        if force and (out_dir / artifacts.MANIFEST_FILE).exists():
            (out_dir / artifacts.MANIFEST_FILE).unlink()
        manifest = build_catalog(
            source, out_dir, encoder, popularity=popularity, co_occurrence=co_occurrence, weights=weights
        )
        print(f"catalog {catalog_name!r}: {manifest['items']} items indexed in {out_dir}")
    e5_manifest = build_e5_embeddings(out_dir, artifacts_dir / e5_convert.E5_DIR)
    print(f"catalog {catalog_name!r}: multilingual passages indexed ({e5_manifest['dtype']})")
    terms = build_terms(out_dir, artifacts_dir / e5_convert.E5_DIR)
    kinds = f"; kinds of item: {', '.join(terms.kinds)}" if terms.kinds else ""
    print(f"catalog {catalog_name!r}: {len(terms.names)} categories as link targets{kinds}")
    words = build_words(out_dir, artifacts_dir / e5_convert.E5_DIR)
    print(f"catalog {catalog_name!r}: {len(words.words)} words for keywords in other languages")
    if interactions is not None:
        _train_interest(out_dir, interactions, device, force)
    return manifest


def _understanding(artifacts_dir: Path, force: bool, device: str) -> None:
    """The joint understanding model, trained on templates filled from the demo catalog (its
    titles and people; any served catalog's categories are linked at run time), when stale."""
    from convrec_intent.corpus import build_corpus
    from convrec_intent.understanding import fingerprint, report, train_understanding
    from convrec_kit.catalog import Catalog
    from convrec_kit.models.understanding.network import Config
    from convrec_kit.models.understanding.train import TrainConfig

    directory = artifacts_dir / artifacts.UNDERSTANDING_DIR
    catalog = Catalog.load(DEMO_CATALOG)
    manifest_path = directory / "manifest.json"
    current = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if not force and current.get("fingerprint") == fingerprint(build_corpus(catalog), Config(), TrainConfig()):
        print(f"understanding model up to date ({directory})")
        return
    print("training the understanding model (multilingual-e5-small, intent + slots) ...", flush=True)
    manifest = train_understanding(directory, artifacts_dir / e5_convert.E5_DIR, catalog, device=device)
    print(report(manifest))


def source_for(out_dir: Path, catalog_name: str, source: Path | None) -> Path | None:
    """The file to (re)build the catalog from: the one given; else the demo catalog for a
    catalog built from it (or a new "demo"); None for a catalog imported from elsewhere,
    which is served as built. A new catalog of another name needs its source: SystemExit."""
    if source is not None:
        return source
    manifest_path = out_dir / artifacts.MANIFEST_FILE
    if manifest_path.exists():
        built_from = json.loads(manifest_path.read_text()).get("source", "")
        return DEMO_CATALOG if Path(built_from).resolve() == DEMO_CATALOG.resolve() else None
    if catalog_name == "demo":
        return DEMO_CATALOG
    raise SystemExit(f"catalog {catalog_name!r} is not built in {out_dir.parent}: run "
                     f"`convrec build --catalog {catalog_name} --source FILE` (a catalog JSONL; README, "
                     f"\"Your own catalog\"), or serve the demo with CONVREC_CATALOG=demo")


def _train_interest(catalog_dir: Path, interactions: Path, device: str, force: bool) -> None:
    """The catalog's interest model from its interactions (a catalog without keeps the formula)."""
    from convrec_kit.models.interest import data
    from convrec_kit.models.interest.pipeline import train_from_records

    records, sha = data.read_jsonl(interactions)
    directory, manifest = train_from_records(catalog_dir, records, sha, str(interactions), device=device,
                                             force=force)
    best = manifest["metrics"]["validation"]
    print(f"catalog {catalog_dir.name!r}: interest model {manifest['version']} (validation NDCG@10 "
          f"{best['NDCG@10']:.4f}) in {directory}")
