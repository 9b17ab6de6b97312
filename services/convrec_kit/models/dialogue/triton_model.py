"""The dialogue head in Triton's Python backend: a dynamic batch of dialogues (turn vectors,
speakers, mentioned items) in one forward of the same DialogueModel retrieval embeds."""

from __future__ import annotations

from pathlib import Path

from ..triton_backend import BatchedTensorModel
from . import artifact, wire
from .model import DialogueModel


class DialogueTritonModel(BatchedTensorModel):
    inputs, outputs, what = tuple(wire.INPUTS), tuple(wire.OUTPUTS), "dialogue request"

    def load(self, parameters, device):
        catalog_dir = Path(parameters["artifacts_dir"]) / parameters["catalog"]
        directory = artifact.root(catalog_dir) / parameters["version"]
        model = DialogueModel(directory, catalog_dir, device, int(parameters.get("torch_threads", 1)))
        items, dim = len(model.bias), model.net.dim
        return lambda tensors: wire.request_from(tensors, items, dim), model.queries, wire.query_tensors
