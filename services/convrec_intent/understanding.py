"""Builds the understanding corpus, fine-tunes the joint model on its training part and
prints the held-out figures; `convrec train understanding` and `convrec build` run it."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from convrec_kit.catalog import Catalog
from convrec_kit.models.understanding import encoding, labels, metrics, model, network
from convrec_kit.models.understanding import train as trainer
from convrec_kit.models.understanding.network import Config
from convrec_kit.models.understanding.train import TrainConfig, fit

from . import corpus, templates

LANGUAGES = ["en", "zh", "mixed"]


def data_sha(rows: list[dict]) -> str:
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(rows: list[dict], config: Config, train: TrainConfig) -> str:
    """What the model is a function of: its corpus `rows`, the code that writes it, the settings."""
    code = b"".join(Path(m.__file__).read_bytes() for m in (corpus, templates, encoding, labels, network, trainer))
    digest = hashlib.sha256(data_sha(rows).encode() + code)
    digest.update(json.dumps([config.to_json(), train.to_json()], sort_keys=True).encode())
    return digest.hexdigest()


def held_out_parts(rows: list[dict]) -> dict[str, list[dict]]:
    """The held-out rows by where they come from: hand-written, templates, intent-only."""
    test = [r for r in rows if r["split"] == "test"]
    parts = {"hand-written": [r for r in test if r["source"] == "hand"],
             "templates": [r for r in test if r["source"].startswith("template")],
             "intent-only": [r for r in test if r["source"] == "intent-only"]}
    return {name: part for name, part in parts.items() if part}


def held_out(net_dir: Path, e5_dir: Path, rows: list[dict], device: str = "cpu") -> dict:
    """Held-out figures of the saved model, per part."""
    trained = model.UnderstandingModel(net_dir, e5_dir, device=device)
    return {name: metrics.tally_model(trained, part).to_json(LANGUAGES) for name, part in held_out_parts(rows).items()}


def train_understanding(out_dir: Path, e5_dir: Path, catalog: Catalog, config: Config | None = None,
                        train: TrainConfig | None = None, device: str = "cpu", progress: bool = True) -> dict:
    config, train = config or Config(), train or TrainConfig()
    started = time.perf_counter()
    rows = corpus.build_corpus(catalog)
    training = corpus.training_rows(rows)
    net = fit(training, e5_dir, config, train, device, progress)
    manifest = {"config": config.to_json(), "train": train.to_json(), "data_sha256": data_sha(rows),
                "fingerprint": fingerprint(rows, config, train), "train_rows": len(training),
                "test_rows": sum(r["split"] == "test" for r in rows),
                "train_seconds": round(time.perf_counter() - started, 1)}
    model.save(out_dir, net, manifest)
    manifest["held_out"] = held_out(out_dir, e5_dir, rows, device)
    model.update_manifest(out_dir, {"held_out": manifest["held_out"]})
    return manifest


def report(manifest: dict) -> str:
    parts = [metrics.format_table(f"held-out {name}: {figures['counts']}", {"model": figures}, LANGUAGES)
             for name, figures in manifest["held_out"].items()]
    return "\n\n".join(parts)
