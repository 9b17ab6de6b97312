"""Where a catalog's trained interest models live: one directory per version (weights,
item ids, manifest) and a pointer to the current one, each written atomically."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .network import Config, InterestNet

FORMAT_VERSION = 1
ROOT = "interest"
CURRENT_FILE = "current.json"
WEIGHTS_FILE = "weights.safetensors"
ITEMS_FILE = "items.json"
MANIFEST_FILE = "manifest.json"


def root(catalog_dir: Path) -> Path:
    return catalog_dir / ROOT


def current(catalog_dir: Path) -> Path | None:
    """The current version's directory, or None when the catalog has no interest model."""
    pointer = root(catalog_dir) / CURRENT_FILE
    if not pointer.exists():
        return None
    directory = root(catalog_dir) / json.loads(pointer.read_text())["version"]
    return directory if (directory / MANIFEST_FILE).exists() else None


def save(catalog_dir: Path, version: str, net: InterestNet, item_ids: list[str], manifest: dict,
         make_current: bool = True) -> Path:
    """Writes the version's files into a temporary directory, moves it in place, then
    (with make_current) points `current.json` at it."""
    base = root(catalog_dir)
    target = base / version
    tmp = base / f".{version}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(tmp / WEIGHTS_FILE))
    (tmp / ITEMS_FILE).write_text(json.dumps(item_ids, ensure_ascii=False))
    text_dim = net.text[0].in_features if net.text is not None else 0
    full = {"format_version": FORMAT_VERSION, "version": version, "config": net.config.to_json(),
            "text_dim": text_dim, **manifest}
    (tmp / MANIFEST_FILE).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n")
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    if make_current:
        point(catalog_dir, version)
    return target


def point(catalog_dir: Path, version: str) -> None:
    pointer = root(catalog_dir) / CURRENT_FILE
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": version}) + "\n")
    os.replace(tmp, pointer)


def read_manifest(directory: Path) -> dict:
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{directory}: interest model format {manifest.get('format_version')}, "
                         f"expected {FORMAT_VERSION}; retrain it (`convrec train interest`)")
    return manifest


def load(directory: Path, device: torch.device) -> tuple[InterestNet, list[str], dict]:
    """The network (eval mode), the item ids its id rows stand for, and the manifest."""
    manifest = read_manifest(directory)
    item_ids = json.loads((directory / ITEMS_FILE).read_text())
    state = load_file(str(directory / WEIGHTS_FILE), device=str(device))
    net = InterestNet(Config.from_json(manifest["config"]), len(item_ids), int(manifest["text_dim"]))
    net.load_state_dict(state)
    return net.to(device).eval(), item_ids, manifest
