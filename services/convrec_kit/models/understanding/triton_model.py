"""The understanding model in Triton's Python backend: TEXT and CONTEXT rows of a dynamic
batch in one forward of the same UnderstandingModel the intent service embeds."""

from __future__ import annotations

from pathlib import Path

from ..triton_backend import BatchedTextModel
from . import wire


class UnderstandingTritonModel(BatchedTextModel):
    inputs = wire.INPUTS

    def load(self, parameters, device):
        import torch

        from ... import artifacts
        from ..e5_convert import E5_DIR
        from .model import UnderstandingModel

        torch.set_num_threads(int(parameters.get("torch_threads", 1)))
        root = Path(parameters["artifacts_dir"])
        model = UnderstandingModel(root / artifacts.UNDERSTANDING_DIR, root / E5_DIR, device=device)
        return lambda rows: model.predict([t for t, _ in rows], [c for _, c in rows])

    def tensors(self, output, start, count):
        arrays = wire.to_arrays(output[start: start + count])
        return [self._pb.Tensor(name, arrays[name]) for name in wire.OUTPUTS]
