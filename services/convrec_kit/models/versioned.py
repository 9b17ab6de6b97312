"""Versioned model directories under a catalog: one directory per version, written
atomically, and a `current.json` pointer to the version in use."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

CURRENT_FILE = "current.json"
MANIFEST_FILE = "manifest.json"


class Versions:
    """The versions of one kind of model (`name`) of a catalog, in `catalog_dir/name/`."""

    def __init__(self, name: str, format_version: int, retrain: str) -> None:
        self.name = name
        self.format_version = format_version
        self.retrain = retrain  # the command that writes a current version

    def root(self, catalog_dir: Path) -> Path:
        return catalog_dir / self.name

    def current(self, catalog_dir: Path) -> Path | None:
        """The current version's directory, or None when the catalog has none."""
        pointer = self.root(catalog_dir) / CURRENT_FILE
        if not pointer.exists():
            return None
        directory = self.root(catalog_dir) / json.loads(pointer.read_text())["version"]
        return directory if (directory / MANIFEST_FILE).exists() else None

    def save(self, catalog_dir: Path, version: str, write: Callable[[Path], None], manifest: dict,
             make_current: bool = True) -> Path:
        """`write` fills a temporary directory, which then moves in place; with make_current
        `current.json` points at it."""
        base = self.root(catalog_dir)
        target, tmp = base / version, base / f".{version}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        write(tmp)
        full = {"format_version": self.format_version, "version": version, **manifest}
        (tmp / MANIFEST_FILE).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
        if make_current:
            self.point(catalog_dir, version)
        return target

    def point(self, catalog_dir: Path, version: str) -> None:
        pointer = self.root(catalog_dir) / CURRENT_FILE
        tmp = pointer.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": version}) + "\n")
        os.replace(tmp, pointer)

    def read_manifest(self, directory: Path) -> dict:
        manifest = json.loads((directory / MANIFEST_FILE).read_text())
        if manifest.get("format_version") != self.format_version:
            raise ValueError(f"{directory}: {self.name} model format {manifest.get('format_version')}, "
                             f"expected {self.format_version}; retrain it (`{self.retrain}`)")
        return manifest
