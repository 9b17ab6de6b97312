"""The understanding model on Triton, behind the interface of the embedded one: (utterance,
context) pairs in, one `Understood` per pair out; calls over max_batch_size go as chunks."""

from __future__ import annotations

import asyncio

import numpy as np

from ..triton_client import TritonModel
from . import wire

TRITON_MODEL = "understanding_model"


class TritonUnderstanding:
    def __init__(self, url: str, timeout: float) -> None:
        self._model = TritonModel(url, TRITON_MODEL, "PROBS", timeout)

    async def load(self) -> None:
        await self._model.load()

    async def ready(self) -> bool:
        return await self._model.ready()

    async def predict(self, pairs: list[tuple[str, str]], timeout: float | None = None) -> list:
        size = max(1, self._model.max_batch_size)
        chunks = [self._chunk(pairs[i: i + size], timeout) for i in range(0, len(pairs), size)]
        return [u for part in await asyncio.gather(*chunks) for u in part]

    async def _chunk(self, pairs: list[tuple[str, str]], timeout: float | None) -> list:
        columns = {name: np.array([[p[i].encode("utf-8")] for p in pairs], dtype=object)
                   for i, name in enumerate(wire.INPUTS)}
        result = await self._model.infer_tensors({n: ("BYTES", a) for n, a in columns.items()}, list(wire.OUTPUTS),
                                                 timeout)
        return wire.from_arrays(result["PROBS"], result["SPANS"])

    async def close(self) -> None:
        await self._model.close()
