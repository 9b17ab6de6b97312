"""The model client interface served by a Triton Inference Server over gRPC.

Deadlines come from the caller; only UNAVAILABLE is retried (inference is a read); a call
over the model's max_batch_size is split into chunks on the client, never rejected."""

from __future__ import annotations

import asyncio
import time

import grpc
import numpy as np
import tritonclient.grpc.aio as triton
from tritonclient.utils import InferenceServerException

from ..errors import ServiceError, unavailable
from ..metrics import DOWNSTREAM_ERRORS, MODEL_FORWARD

RETRIES = 2
# model_repository/*/config.pbtxt; replaced by the served model's own value once it is ready.
MAX_BATCH_SIZE = 64


class TritonModel:
    """One Triton model taking TEXT (BYTES) and returning one FP32 output. A call with more
    texts than the model's max_batch_size is sent as concurrent chunks, joined in order."""

    def __init__(self, url: str, model: str, output: str, timeout: float) -> None:
        self._url = url
        self._model = model
        self._output = output
        self._timeout = timeout
        self._client: triton.InferenceServerClient | None = None
        self.max_batch_size = MAX_BATCH_SIZE
        self._config_read = False

    async def load(self) -> None:
        self._client = triton.InferenceServerClient(self._url)

    async def parameters(self) -> dict[str, str]:
        """The served model's config parameters (string values)."""
        config = await self._client.get_model_config(self._model, as_json=True, client_timeout=1.0)
        return {k: v.get("string_value", "") for k, v in config["config"].get("parameters", {}).items()}

    async def ready(self) -> bool:
        try:
            ready = bool(
                await self._client.is_server_ready(client_timeout=1.0)
                and await self._client.is_model_ready(self._model, client_timeout=1.0)
            )
            if ready and not self._config_read:  # once each time the model becomes ready
                config = await self._client.get_model_config(self._model, as_json=True, client_timeout=1.0)
                self.max_batch_size = int(config["config"].get("max_batch_size") or MAX_BATCH_SIZE)
            self._config_read = ready
            return ready
        except InferenceServerException:
            self._config_read = False
            return False

    async def infer(self, texts: list[str], timeout: float | None = None) -> np.ndarray:
        deadline = time.monotonic() + (timeout if timeout else self._timeout)
        size = max(1, self.max_batch_size)
        if len(texts) <= size:
            return await self._infer_batch(texts, deadline)
        chunks = [
            asyncio.ensure_future(self._infer_batch(texts[i : i + size], deadline))
            for i in range(0, len(texts), size)
        ]
        try:
            return np.concatenate(await asyncio.gather(*chunks))
        finally:  # one failed chunk fails the call; the others stop
            for chunk in chunks:
                chunk.cancel()

    async def _infer_batch(self, texts: list[str], deadline: float) -> np.ndarray:
        data = np.array([[t.encode("utf-8")] for t in texts], dtype=object)
        request = triton.InferInput("TEXT", list(data.shape), "BYTES")
        request.set_data_from_numpy(data)
        return (await self._call([request], [self._output], deadline))[self._output]

    async def infer_tensors(self, inputs: dict[str, tuple[str, np.ndarray]], outputs: list[str],
                            timeout: float | None = None) -> dict[str, np.ndarray]:
        """One request of named typed tensors ({name: (Triton type, array)}); named outputs back."""
        deadline = time.monotonic() + (timeout if timeout else self._timeout)
        requests = []
        for name, (kind, array) in inputs.items():
            tensor = triton.InferInput(name, list(array.shape), kind)
            tensor.set_data_from_numpy(array)
            requests.append(tensor)
        return await self._call(requests, outputs, deadline)

    async def _call(self, request: list, names: list[str], deadline: float) -> dict[str, np.ndarray]:
        """One inference with retries on UNAVAILABLE until the deadline."""
        outputs = [triton.InferRequestedOutput(name) for name in names]
        for attempt in range(RETRIES + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            started = time.perf_counter()
            try:
                result = await self._client.infer(
                    self._model, request, outputs=outputs, client_timeout=remaining
                )
            except InferenceServerException as exc:
                status = str(exc.status() or "")
                DOWNSTREAM_ERRORS.labels(f"triton/{self._model}", status.rsplit(".", 1)[-1]).inc()
                if "UNAVAILABLE" in status and attempt < RETRIES:
                    await asyncio.sleep(min(0.05 * 2**attempt, max(0.0, deadline - time.monotonic())))
                    continue
                if "DEADLINE_EXCEEDED" in status:
                    break
                raise unavailable(
                    "triton", f"model {self._model} on Triton at {self._url} failed: {exc.message()}"
                ) from None
            MODEL_FORWARD.labels(self._model).observe(time.perf_counter() - started)
            return {name: result.as_numpy(name) for name in names}
        raise ServiceError(
            grpc.StatusCode.DEADLINE_EXCEEDED,
            "DEADLINE_EXCEEDED",
            f"model {self._model} on Triton at {self._url} did not answer in time",
            {"service": "triton"},
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()


class TritonTextEncoder:
    dimension = 384

    def __init__(self, url: str, timeout: float, model: str = "text_encoder") -> None:
        self._model = TritonModel(url, model, "EMBEDDING", timeout)

    async def load(self) -> None:
        await self._model.load()

    async def ready(self) -> bool:
        return await self._model.ready()

    async def encode(self, texts: list[str], timeout: float | None = None) -> np.ndarray:
        return await self._model.infer(texts, timeout)

    async def close(self) -> None:
        await self._model.close()


class TritonIntentClassifier:
    def __init__(self, url: str, timeout: float) -> None:
        self._model = TritonModel(url, "intent_classifier", "PROBS", timeout)

    async def load(self) -> None:
        await self._model.load()

    async def ready(self) -> bool:
        return await self._model.ready()

    async def predict(self, texts: list[str], timeout: float | None = None) -> np.ndarray:
        return await self._model.infer(texts, timeout)

    async def close(self) -> None:
        await self._model.close()
