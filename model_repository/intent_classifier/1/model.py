"""Triton Python backend for the intent classifier: the same IntentModel the services embed."""

from pathlib import Path

from convrec_kit.models.e5 import E5Encoder
from convrec_kit.models.e5_convert import E5_DIR
from convrec_kit.models.intent import IntentModel
from convrec_kit.models.minilm import MiniLMEncoder
from convrec_kit.models.triton_backend import BatchedTextModel


class TritonPythonModel(BatchedTextModel):
    output_name = "PROBS"

    def load(self, parameters, device):
        threads = int(parameters.get("torch_threads", 1))
        artifacts_dir = Path(parameters["artifacts_dir"])
        encoder = MiniLMEncoder(threads=threads, device=device)
        e5 = E5Encoder(artifacts_dir / E5_DIR, threads=threads, device=device)
        model = IntentModel(artifacts_dir / "models" / "intent", encoder, e5, device=device)
        return model.predict
