"""Where a catalog's trained interest models live: one directory per version (weights,
item ids, manifest) and a pointer to the current one, each written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..versioned import MANIFEST_FILE, Versions
from .network import Config, InterestNet

FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
ITEMS_FILE = "items.json"
VERSIONS = Versions("interest", FORMAT_VERSION, "convrec train interest")
ROOT = VERSIONS.name
root, current, point, read_manifest = VERSIONS.root, VERSIONS.current, VERSIONS.point, VERSIONS.read_manifest
__all__ = ["MANIFEST_FILE", "current", "load", "point", "read_manifest", "root", "save"]


def save(catalog_dir: Path, version: str, net: InterestNet, item_ids: list[str], manifest: dict,
         make_current: bool = True) -> Path:
    def write(tmp: Path) -> None:
        state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS_FILE))
        (tmp / ITEMS_FILE).write_text(json.dumps(item_ids, ensure_ascii=False))

    text_dim = net.text[0].in_features if net.text is not None else 0
    full = {"config": net.config.to_json(), "text_dim": text_dim, **manifest}
    return VERSIONS.save(catalog_dir, version, write, full, make_current)


def load(directory: Path, device: torch.device) -> tuple[InterestNet, list[str], dict]:
    """The network (eval mode), the item ids its id rows stand for, and the manifest."""
    manifest = read_manifest(directory)
    item_ids = json.loads((directory / ITEMS_FILE).read_text())
    state = load_file(str(directory / WEIGHTS_FILE), device=str(device))
    net = InterestNet(Config.from_json(manifest["config"]), len(item_ids), int(manifest["text_dim"]))
    net.load_state_dict(state)
    return net.to(device).eval(), item_ids, manifest
