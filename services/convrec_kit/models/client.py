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
    async def ready(self) -> bool: ...
    async def encode(self, texts: list[str], timeout: float | None = None) -> np.ndarray: ...
    async def close(self) -> None: ...


class IntentClassifier(Protocol):
    async def load(self) -> None: ...
    async def ready(self) -> bool: ...
    async def predict(self, texts: list[str], timeout: float | None = None) -> np.ndarray: ...
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

    async def ready(self) -> bool:
        return self._batcher is not None

    async def encode(self, texts: list[str], timeout: float | None = None) -> np.ndarray:
        return await self._batcher.run(texts)

    async def close(self) -> None:
        if self._batcher:
            await self._batcher.close()


class EmbeddedMultilingualEncoder:
    """multilingual-e5-small queries in this process, batched (bf16 where the CPU has it)."""

    dimension = 384

    def __init__(self, directory: Path, threads: int) -> None:
        self._directory = directory
        self._threads = threads
        self._batcher: DynamicBatcher | None = None

    async def load(self) -> None:
        from .e5 import E5Encoder

        model = await asyncio.to_thread(E5Encoder, self._directory, self._threads)
        self._batcher = DynamicBatcher("multilingual_encoder", lambda texts: model.encode(texts, "query"))

    async def ready(self) -> bool:
        return self._batcher is not None

    async def encode(self, texts: list[str], timeout: float | None = None) -> np.ndarray:
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
            from .e5 import E5Encoder
            from .e5_convert import E5_DIR

            e5 = E5Encoder(self._directory.parents[1] / E5_DIR, threads=self._threads)
            return IntentModel(self._directory, MiniLMEncoder(threads=self._threads), e5)

        model = await asyncio.to_thread(build)
        self._batcher = DynamicBatcher("intent_classifier", model.predict)

    async def ready(self) -> bool:
        return self._batcher is not None

    async def predict(self, texts: list[str], timeout: float | None = None) -> np.ndarray:
        return await self._batcher.run(texts)

    async def close(self) -> None:
        if self._batcher:
            await self._batcher.close()


def text_encoder(settings) -> TextEncoder:
    """The text encoder for CONVREC_MODEL_BACKEND: in process, or on Triton."""
    if settings.model_backend == "triton":
        from .triton_client import TritonTextEncoder

        return TritonTextEncoder(settings.triton_url, settings.triton_timeout_seconds)
    return EmbeddedTextEncoder(settings.torch_threads)


def intent_classifier(settings, directory: Path) -> IntentClassifier:
    """The intent classifier for CONVREC_MODEL_BACKEND: in process, or on Triton."""
    if settings.model_backend == "triton":
        from .triton_client import TritonIntentClassifier

        return TritonIntentClassifier(settings.triton_url, settings.triton_timeout_seconds)
    return EmbeddedIntentClassifier(directory, settings.torch_threads)


def multilingual_encoder(settings, directory: Path) -> TextEncoder:
    """The multilingual query encoder for CONVREC_MODEL_BACKEND: in process, or on Triton."""
    if settings.model_backend == "triton":
        from .triton_client import TritonTextEncoder

        return TritonTextEncoder(settings.triton_url, settings.triton_timeout_seconds, "multilingual_encoder")
    return EmbeddedMultilingualEncoder(directory, settings.torch_threads)
