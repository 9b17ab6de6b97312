"""The model client interface the services use, and its embedded implementation.

Services depend only on these protocols; the backend is chosen by configuration
(CONVREC_MODEL_BACKEND), never by editing code."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

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


class EmbeddedModel:
    """A model in this process: built off the event loop, then concurrent calls are batched
    into one forward pass. `build` returns the batch function (texts -> array)."""

    dimension = 384

    def __init__(self, name: str, build: Callable[[], Callable[[list[str]], np.ndarray]]) -> None:
        self._name = name
        self._build = build
        self._batcher: DynamicBatcher | None = None

    async def load(self) -> None:
        forward = await asyncio.to_thread(self._build)
        self._batcher = DynamicBatcher(self._name, forward)

    async def ready(self) -> bool:
        return self._batcher is not None

    async def run(self, texts: list[str], timeout: float | None = None) -> np.ndarray:
        return await self._batcher.run(texts)

    # The same call under the names of the TextEncoder and IntentClassifier interfaces.
    encode = run
    predict = run

    async def close(self) -> None:
        if self._batcher:
            await self._batcher.close()


def embedded_text_encoder(threads: int) -> EmbeddedModel:
    """MiniLM sentence embeddings."""
    return EmbeddedModel("text_encoder", lambda: MiniLMEncoder(threads=threads).encode)


def embedded_multilingual_encoder(directory: Path, threads: int) -> EmbeddedModel:
    """multilingual-e5-small query embeddings (bf16 where the CPU has it)."""

    def build():
        from .e5 import E5Encoder

        model = E5Encoder(directory, threads)
        return lambda texts: model.encode(texts, "query")

    return EmbeddedModel("multilingual_encoder", build)


def embedded_intent_classifier(directory: Path, threads: int) -> EmbeddedModel:
    """The intent model: encoders and per-language heads."""

    def build():
        from .e5 import E5Encoder
        from .e5_convert import E5_DIR

        e5 = E5Encoder(directory.parents[1] / E5_DIR, threads=threads)
        return IntentModel(directory, MiniLMEncoder(threads=threads), e5).predict

    return EmbeddedModel("intent_classifier", build)


def embedded_understanding(directory: Path, e5_dir: Path, threads: int, device: str = "cpu",
                           word_embeddings=None) -> EmbeddedModel:
    """The joint intent + slot model: (utterance, context) pairs in, `Understood` per pair out;
    `word_embeddings()`: the loaded base encoder's, to share instead of reading them again."""

    def build():
        from .understanding.model import UnderstandingModel

        torch.set_num_threads(threads)
        shared = word_embeddings() if word_embeddings else None
        model = UnderstandingModel(directory, e5_dir, device=device, word_embeddings=shared)
        return lambda pairs: model.predict([p[0] for p in pairs], [p[1] for p in pairs])

    return EmbeddedModel("understanding_model", build)


def text_encoder(settings) -> TextEncoder:
    """The text encoder for CONVREC_MODEL_BACKEND: in process, or on Triton."""
    if settings.model_backend == "triton":
        from .triton_client import TritonTextEncoder

        return TritonTextEncoder(settings.triton_url, settings.triton_timeout_seconds)
    return embedded_text_encoder(settings.torch_threads)


def intent_classifier(settings, directory: Path) -> IntentClassifier:
    """The intent classifier for CONVREC_MODEL_BACKEND: in process, or on Triton."""
    if settings.model_backend == "triton":
        from .triton_client import TritonIntentClassifier

        return TritonIntentClassifier(settings.triton_url, settings.triton_timeout_seconds)
    return embedded_intent_classifier(directory, settings.torch_threads)


def multilingual_encoder(settings, directory: Path) -> TextEncoder:
    """The multilingual query encoder for CONVREC_MODEL_BACKEND: in process, or on Triton."""
    if settings.model_backend == "triton":
        from .triton_client import TritonTextEncoder

        return TritonTextEncoder(settings.triton_url, settings.triton_timeout_seconds, "multilingual_encoder")
    return embedded_multilingual_encoder(directory, settings.torch_threads)
