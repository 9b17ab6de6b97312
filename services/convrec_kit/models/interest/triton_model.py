"""The interest model in Triton's Python backend: a dynamic batch of requests decoded,
scored in one padded forward of the same InterestModel the services embed, split back."""

from __future__ import annotations

from pathlib import Path

from ..triton_backend import BatchedTensorModel
from . import artifact, wire
from .scorer import InterestModel


class InterestTritonModel(BatchedTensorModel):
    inputs, outputs, what = tuple(wire.INPUTS), tuple(wire.OUTPUTS), "interest request"

    def load(self, parameters, device):
        catalog_dir = Path(parameters["artifacts_dir"]) / parameters["catalog"]
        directory = artifact.root(catalog_dir) / parameters["version"]
        model = InterestModel.for_catalog(directory, catalog_dir, device, int(parameters.get("torch_threads", 1)))
        return lambda tensors: wire.request_from(tensors, len(model.table)), model.score_many, wire.scored_tensors
