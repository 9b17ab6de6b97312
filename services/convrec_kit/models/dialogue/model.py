"""The dialogue model at serving time: query vectors for a batch of dialogues, each item's
score split into what the turns and what the mentioned items gave, and the evidence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ... import artifacts
from . import artifact
from .inputs import DialogueInput, batch


@dataclass(frozen=True)
class Query:
    text: np.ndarray  # (dim,) what the turns ask for
    items: np.ndarray  # (dim,) what the mentioned items ask for


def version_of(directory: Path) -> str:
    """How a served version names itself in components' `source`."""
    return f"dialogue-model {directory.name}"


class DialogueModel:
    def __init__(self, directory: Path, catalog_dir: Path, device: str = "cpu", threads: int | None = None) -> None:
        if threads:
            torch.set_num_threads(threads)
        self.device = torch.device(device if torch.cuda.is_available() or device == "cpu" else "cpu")
        self.net, item_ids, self.manifest = artifact.load(directory, self.device)
        catalog = artifacts.load_catalog(catalog_dir)
        if item_ids != [i.item_id for i in catalog.items]:
            raise ValueError(f"{directory}: trained on another version of the catalog; retrain it "
                             "(`convrec train dialogue`)")
        self.version = version_of(directory)
        self.item_vectors = self.net.item_vectors.cpu().numpy()
        self.bias = self.net.bias().detach().cpu().numpy()

    @classmethod
    def for_catalog(cls, catalog_dir: Path, **options) -> DialogueModel | None:
        directory = artifact.current(catalog_dir)
        return cls(directory, catalog_dir, **options) if directory is not None else None

    def queries(self, inputs: list[DialogueInput]) -> list[Query]:
        c = self.net.config
        with torch.no_grad():
            b = batch(inputs, self.net.dim, c.max_turns, c.max_items).to(self.device)
            both = self.net.query(b)
            items_only = self.net.query(_without_turns(b))
        text = (both - items_only).cpu().numpy()
        items = items_only.cpu().numpy()
        return [Query(t, i) for t, i in zip(text, items)]


def _without_turns(b):
    """The batch with no turns, so the query holds the mentioned items' part alone."""
    from dataclasses import replace

    return replace(b, turn_mask=torch.zeros_like(b.turn_mask))
