"""Where a catalog's learned rankers live: a versioned directory (the LightGBM model as text,
manifest) and a pointer to the current version."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb

from ..versioned import MANIFEST_FILE, Versions

FORMAT_VERSION = 1
MODEL_FILE = "model.txt"
VERSIONS = Versions("ranker", FORMAT_VERSION, "convrec train ranker")
root, current, point, read_manifest = VERSIONS.root, VERSIONS.current, VERSIONS.point, VERSIONS.read_manifest
__all__ = ["MANIFEST_FILE", "current", "load", "point", "read_manifest", "root", "save"]


def save(catalog_dir: Path, version: str, booster: lgb.Booster, features: tuple[str, ...], manifest: dict,
         make_current: bool = True) -> Path:
    def write(tmp: Path) -> None:
        booster.save_model(str(tmp / MODEL_FILE))

    return VERSIONS.save(catalog_dir, version, write, {"features": list(features), **manifest}, make_current)


def load(directory: Path) -> tuple[lgb.Booster, tuple[str, ...], dict]:
    manifest = read_manifest(directory)
    booster = lgb.Booster(model_file=str(directory / MODEL_FILE))
    return booster, tuple(manifest["features"]), manifest
