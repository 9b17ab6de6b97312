"""The model client interface the services use, and its embedded implementation.

Services depend only on these protocols; the backend is chosen by configuration
(CONVREC_MODEL_BACKEND), never by editing code."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

import numpy as np

from .batcher import DynamicBatcher
from .intent import IntentModel
from .minilm import MiniLMEncoder


class TextEncoder(Protocol):
    dimension: int

    async def load(self) -> None: ...
    async def encode(self, texts: list[str]) -> np.ndarray: ...
    async def close(self) -> None: ...


class IntentClassifier(Protocol):
    async def load(self) -> None: ...
    async def predict(self, texts: list[str]) -> np.ndarray: ...
    async def close(self) -> None: ...


class EmbeddedTextEncoder:
    """MiniLM in this process; concurrent calls are batched into one forward pass."""

    dimension = 384

    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._batcher: DynamicBatcher | None = None

    async def load(self) -> None:
        model = await asyncio.to_thread(MiniLMEncoder, None, self._threads)
        self._batcher = DynamicBatcher("text_encoder", model.encode)

    async def encode(self, texts: list[str]) -> np.ndarray:
        return await self._batcher.run(texts)

    async def close(self) -> None:
        if self._batcher:
            await self._batcher.close()


class EmbeddedIntentClassifier:
    """The intent model (encoder + head) in this process, batched."""

    def __init__(self, directory: Path, threads: int) -> None:
        self._directory = directory
        self._threads = threads
        self._batcher: DynamicBatcher | None = None

    async def load(self) -> None:
        def build() -> IntentModel:
            return IntentModel(self._directory, MiniLMEncoder(threads=self._threads))

        model = await asyncio.to_thread(build)
        self._batcher = DynamicBatcher("intent_classifier", model.predict)

    async def predict(self, texts: list[str]) -> np.ndarray:
        return await self._batcher.run(texts)

    async def close(self) -> None:
        if self._batcher:
            await self._batcher.close()
