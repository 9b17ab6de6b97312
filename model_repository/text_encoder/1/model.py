"""Triton Python backend for the text encoder: the same MiniLMEncoder the services embed."""

from convrec_kit.models.minilm import MiniLMEncoder
from convrec_kit.models.triton_backend import BatchedTextModel


class TritonPythonModel(BatchedTextModel):
    output_name = "EMBEDDING"

    def load(self, parameters, device):
        model = MiniLMEncoder(threads=int(parameters.get("torch_threads", 1)), device=device)
        return model.encode
