"""Where a catalog's dialogue models live: a versioned directory (weights, the item ids the
item rows stand for, manifest) and a pointer to the current version."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..versioned import MANIFEST_FILE, Versions
from .network import Config, DialogueNet

FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
ITEMS_FILE = "items.json"
VERSIONS = Versions("dialogue", FORMAT_VERSION, "convrec train dialogue")
root, current, point, read_manifest = VERSIONS.root, VERSIONS.current, VERSIONS.point, VERSIONS.read_manifest
__all__ = ["MANIFEST_FILE", "current", "load", "point", "read_manifest", "root", "save"]


def save(catalog_dir: Path, version: str, net: DialogueNet, item_ids: list[str], manifest: dict,
         make_current: bool = True) -> Path:
    def write(tmp: Path) -> None:
        state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS_FILE))
        (tmp / ITEMS_FILE).write_text(json.dumps(item_ids, ensure_ascii=False))

    full = {"config": net.config.to_json(), "dim": net.dim, **manifest}
    return VERSIONS.save(catalog_dir, version, write, full, make_current)


def load(directory: Path, device: torch.device) -> tuple[DialogueNet, list[str], dict]:
    """The network (eval mode), the item ids of its rows, and the manifest."""
    manifest = read_manifest(directory)
    item_ids = json.loads((directory / ITEMS_FILE).read_text())
    state = load_file(str(directory / WEIGHTS_FILE), device=str(device))
    net = DialogueNet(Config.from_json(manifest["config"]), int(manifest["dim"]), len(item_ids))
    net.load_state_dict(state)
    return net.to(device).eval(), item_ids, manifest
