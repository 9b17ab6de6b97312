"""What every convrec model in Triton's Python backend shares: decode a dynamic batch of
BYTES requests, run one forward pass over all of them, split the results back."""

from __future__ import annotations

import json

import numpy as np


class BatchedTextModel:
    """Subclasses set `output_name` and implement `load(parameters, device)` returning
    a function from a list of texts to an (N, D) float32 array."""

    output_name = "OUTPUT"

    def load(self, parameters: dict[str, str], device: str):
        raise NotImplementedError

    def initialize(self, args):
        import triton_python_backend_utils as pb_utils

        self._pb = pb_utils
        config = json.loads(args["model_config"])
        parameters = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        device = "cpu"
        if args.get("model_instance_kind") == "GPU":
            device = f"cuda:{args.get('model_instance_device_id', '0')}"
        self._forward = self.load(parameters, device)

    def execute(self, requests):
        pb = self._pb
        responses = [None] * len(requests)
        texts: list[str] = []
        owners: list[tuple[int, int, int]] = []  # request index, start, count
        for index, request in enumerate(requests):
            try:
                raw = pb.get_input_tensor_by_name(request, "TEXT").as_numpy().reshape(-1)
                decoded = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in raw]
                if not decoded or any(not t.strip() for t in decoded):
                    raise ValueError("TEXT must hold non-empty strings")
            except (UnicodeDecodeError, ValueError, AttributeError) as exc:
                responses[index] = pb.InferenceResponse(error=pb.TritonError(f"bad TEXT input: {exc}"))
                continue
            owners.append((index, len(texts), len(decoded)))
            texts.extend(decoded)
        if texts:
            try:
                output = np.ascontiguousarray(self._forward(texts), dtype=np.float32)
            except Exception as exc:  # a failed pass fails its requests, not the server
                for index, _, _ in owners:
                    responses[index] = pb.InferenceResponse(error=pb.TritonError(f"inference failed: {exc}"))
                return responses
            for index, start, count in owners:
                tensor = pb.Tensor(self.output_name, output[start : start + count])
                responses[index] = pb.InferenceResponse(output_tensors=[tensor])
        return responses

    def finalize(self):
        self._forward = None
