"""Triton Python backend for multilingual-e5-small queries: the same E5Encoder the services embed."""

from pathlib import Path

from convrec_kit.models.e5 import E5Encoder
from convrec_kit.models.e5_convert import E5_DIR
from convrec_kit.models.triton_backend import BatchedTextModel


class TritonPythonModel(BatchedTextModel):
    output_name = "EMBEDDING"

    def load(self, parameters, device):
        threads = int(parameters.get("torch_threads", 1))
        model = E5Encoder(Path(parameters["artifacts_dir"]) / E5_DIR, threads=threads, device=device)
        return lambda texts: model.encode(texts, "query")
