"""What every convrec model in Triton's Python backend shares: decode a dynamic batch of
requests (BYTES texts, or named tensors), run one forward pass over all of them, split the
results back."""

from __future__ import annotations

import json

import numpy as np


def _setup(args) -> tuple:
    """Triton's utilities, the model config's string parameters, and the instance's device."""
    import triton_python_backend_utils as pb_utils

    config = json.loads(args["model_config"])
    parameters = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
    device = "cpu"
    if args.get("model_instance_kind") == "GPU":
        device = f"cuda:{args.get('model_instance_device_id', '0')}"
    return pb_utils, parameters, device


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
        self._pb, parameters, device = _setup(args)
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


class BatchedTensorModel:
    """Subclasses name their `inputs` and `outputs`, say `what` a request is (for errors) and
    implement `load(parameters, device)` returning three functions: `decode` (one request's
    named arrays to a row; ValueError when malformed), `forward` (rows to results, in one
    pass) and `encode` (a result to its named arrays)."""

    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    what = "request"

    def load(self, parameters: dict[str, str], device: str):
        raise NotImplementedError

    def initialize(self, args):
        self._pb, parameters, device = _setup(args)
        self._decode, self._forward, self._encode = self.load(parameters, device)

    def execute(self, requests):
        pb = self._pb
        responses = [None] * len(requests)
        decoded = []
        for index, request in enumerate(requests):
            try:
                tensors = {name: pb.get_input_tensor_by_name(request, name).as_numpy() for name in self.inputs}
                decoded.append((index, self._decode(tensors)))
            except (ValueError, AttributeError) as exc:
                responses[index] = pb.InferenceResponse(error=pb.TritonError(f"bad {self.what}: {exc}"))
        if not decoded:
            return responses
        try:
            results = self._forward([row for _, row in decoded])
        except Exception as exc:  # a failed pass fails its requests, not the server
            for index, _ in decoded:
                responses[index] = pb.InferenceResponse(error=pb.TritonError(f"inference failed: {exc}"))
            return responses
        for (index, _), result in zip(decoded, results):
            tensors = self._encode(result)
            responses[index] = pb.InferenceResponse(output_tensors=[pb.Tensor(n, tensors[n]) for n in self.outputs])
        return responses

    def finalize(self):
        self._forward = None
