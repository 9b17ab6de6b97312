"""The interest model in Triton's Python backend: a dynamic batch of requests decoded,
scored in one padded forward of the same InterestModel the services embed, split back."""

from __future__ import annotations

import json
from pathlib import Path

from . import artifact, wire
from .scorer import InterestModel


class InterestTritonModel:
    def initialize(self, args):
        import triton_python_backend_utils as pb_utils

        self._pb = pb_utils
        config = json.loads(args["model_config"])
        parameters = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        device = "cpu"
        if args.get("model_instance_kind") == "GPU":
            device = f"cuda:{args.get('model_instance_device_id', '0')}"
        catalog_dir = Path(parameters["artifacts_dir"]) / parameters["catalog"]
        directory = artifact.root(catalog_dir) / parameters["version"]
        self._model = InterestModel.for_catalog(directory, catalog_dir, device, int(parameters.get("torch_threads", 1)))

    def execute(self, requests):
        pb = self._pb
        responses = [None] * len(requests)
        decoded = []
        for index, request in enumerate(requests):
            try:
                tensors = {name: pb.get_input_tensor_by_name(request, name).as_numpy() for name in wire.INPUTS}
                decoded.append((index, wire.request_from(tensors, len(self._model.table))))
            except (ValueError, AttributeError) as exc:
                responses[index] = pb.InferenceResponse(error=pb.TritonError(f"bad interest request: {exc}"))
        try:
            results = self._model.score_many([r for _, r in decoded])
        except Exception as exc:  # a failed pass fails its requests, not the server
            for index, _ in decoded:
                responses[index] = pb.InferenceResponse(error=pb.TritonError(f"inference failed: {exc}"))
            return responses
        for (index, _), scored in zip(decoded, results):
            tensors = wire.scored_tensors(scored)
            responses[index] = pb.InferenceResponse(output_tensors=[pb.Tensor(n, tensors[n]) for n in wire.OUTPUTS])
        return responses

    def finalize(self):
        self._model = None
