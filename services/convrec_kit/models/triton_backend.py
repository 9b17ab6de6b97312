"""What every convrec model in Triton's Python backend shares: decode a dynamic batch of
BYTES requests, run one forward pass over all of them, split the results back."""

from __future__ import annotations

import json

import numpy as np


class BatchedTextModel:
    """Subclasses set `output_name` and implement `load(parameters, device)` returning a
    function from a list of texts to an (N, D) float32 array. A model with more text inputs
    names them in `inputs` (the first must hold non-empty strings, the others may be empty):
    its function then takes one tuple per row, and `tensors` turns a slice of its output
    into the response's tensors."""

    output_name = "OUTPUT"
    inputs: tuple[str, ...] = ("TEXT",)

    def load(self, parameters: dict[str, str], device: str):
        raise NotImplementedError

    def tensors(self, output, start: int, count: int) -> list:
        rows = np.ascontiguousarray(output[start: start + count], dtype=np.float32)
        return [self._pb.Tensor(self.output_name, rows)]

    def initialize(self, args):
        import triton_python_backend_utils as pb_utils

        self._pb = pb_utils
        config = json.loads(args["model_config"])
        parameters = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        device = "cpu"
        if args.get("model_instance_kind") == "GPU":
            device = f"cuda:{args.get('model_instance_device_id', '0')}"
        self._forward = self.load(parameters, device)

    def _rows(self, request) -> list:
        columns = []
        for position, name in enumerate(self.inputs):
            raw = self._pb.get_input_tensor_by_name(request, name).as_numpy().reshape(-1)
            decoded = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in raw]
            if position == 0 and (not decoded or any(not t.strip() for t in decoded)):
                raise ValueError(f"{name} must hold non-empty strings")
            if columns and len(decoded) != len(columns[0]):
                raise ValueError(f"{name} must have as many rows as {self.inputs[0]}")
            columns.append(decoded)
        return columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))

    def execute(self, requests):
        pb = self._pb
        responses = [None] * len(requests)
        rows: list = []
        owners: list[tuple[int, int, int]] = []  # request index, start, count
        for index, request in enumerate(requests):
            try:
                decoded = self._rows(request)
            except (UnicodeDecodeError, ValueError, AttributeError) as exc:
                names = ", ".join(self.inputs)
                responses[index] = pb.InferenceResponse(error=pb.TritonError(f"bad {names} input: {exc}"))
                continue
            owners.append((index, len(rows), len(decoded)))
            rows.extend(decoded)
        if rows:
            try:
                output = self._forward(rows)
            except Exception as exc:  # a failed pass fails its requests, not the server
                for index, _, _ in owners:
                    responses[index] = pb.InferenceResponse(error=pb.TritonError(f"inference failed: {exc}"))
                return responses
            for index, start, count in owners:
                responses[index] = pb.InferenceResponse(output_tensors=self.tensors(output, start, count))
        return responses

    def finalize(self):
        self._forward = None
