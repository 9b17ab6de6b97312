"""Triton Python backend for the intent classifier: the same IntentModel the services embed."""

from pathlib import Path

from convrec_kit.models.intent import IntentModel
from convrec_kit.models.minilm import MiniLMEncoder
from convrec_kit.models.triton_backend import BatchedTextModel


class TritonPythonModel(BatchedTextModel):
    output_name = "PROBS"

    def load(self, parameters, device):
        encoder = MiniLMEncoder(threads=int(parameters.get("torch_threads", 1)), device=device)
        model = IntentModel(Path(parameters["artifacts_dir"]) / "models" / "intent", encoder, device=device)
        return model.predict
