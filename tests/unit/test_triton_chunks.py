"""The Triton client splits a call over the model's max_batch_size into concurrent chunks
and joins their outputs in order (a fake Triton client stands in for the server)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from tritonclient.utils import InferenceServerException, deserialize_bytes_tensor

from convrec_kit.errors import ServiceError
from convrec_kit.models.triton_client import MAX_BATCH_SIZE, TritonModel


class FakeResult:
    def __init__(self, array: np.ndarray) -> None:
        self._array = array

    def as_numpy(self, name: str) -> np.ndarray:
        return self._array


class FakeTriton:
    """Answers each text "t<i>" with the row [i]; later chunks answer first."""

    def __init__(self, max_batch_size: int = MAX_BATCH_SIZE, fail_on: str = "") -> None:
        self.max_batch_size = max_batch_size
        self.fail_on = fail_on
        self.sizes: list[int] = []
        self.in_flight = self.most_in_flight = 0

    async def is_server_ready(self, **_) -> bool:
        return True

    async def is_model_ready(self, model, **_) -> bool:
        return True

    async def get_model_config(self, model, as_json=False, **_) -> dict:
        return {"config": {"name": model, "max_batch_size": self.max_batch_size}}

    async def infer(self, model, inputs, outputs=None, client_timeout=None):
        texts = [t.decode() for t in deserialize_bytes_tensor(inputs[0]._get_content())]
        assert inputs[0].shape() == [len(texts), 1]
        if len(texts) > self.max_batch_size:
            raise InferenceServerException("batch too large", status="StatusCode.INVALID_ARGUMENT")
        if self.fail_on in texts:
            raise InferenceServerException("inference failed", status="StatusCode.INTERNAL")
        self.sizes.append(len(texts))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.05 / len(self.sizes))
        self.in_flight -= 1
        return FakeResult(np.array([[float(t[1:])] for t in texts], dtype=np.float32))


def model_on(fake: FakeTriton) -> TritonModel:
    model = TritonModel("fake:8001", "text_encoder", "EMBEDDING", timeout=5.0)
    model._client = fake
    return model


async def test_a_large_call_is_sent_in_concurrent_chunks_joined_in_order():
    fake = FakeTriton()
    texts = [f"t{i}" for i in range(150)]
    out = await model_on(fake).infer(texts)
    assert out[:, 0].tolist() == list(range(150))
    assert sorted(fake.sizes) == [22, 64, 64] and fake.most_in_flight == 3


async def test_a_call_within_max_batch_size_is_one_request():
    fake = FakeTriton()
    out = await model_on(fake).infer([f"t{i}" for i in range(64)])
    assert fake.sizes == [64] and out.shape == (64, 1)


async def test_the_chunk_size_is_the_served_models_max_batch_size():
    fake = FakeTriton(max_batch_size=16)
    model = model_on(fake)
    assert await model.ready() and model.max_batch_size == 16
    out = await model.infer([f"t{i}" for i in range(40)])
    assert sorted(fake.sizes) == [8, 16, 16] and out[:, 0].tolist() == list(range(40))


async def test_one_failed_chunk_fails_the_call():
    fake = FakeTriton(fail_on="t100")
    with pytest.raises(ServiceError, match="failed"):
        await model_on(fake).infer([f"t{i}" for i in range(150)])
