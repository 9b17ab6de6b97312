"""The dialogue head behind one client interface, chosen by CONVREC_MODEL_BACKEND: in process
(concurrent dialogues batched into one forward) or on Triton (the same model code). Either
way the per-item popularity bias, fixed once trained, is read from the artifact."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

import numpy as np

from ..batcher import DynamicBatcher
from . import artifact, wire
from .inputs import DialogueInput
from .model import DialogueModel, Query, version_of

TRITON_MODEL = "dialogue_model"


class DialogueHead(Protocol):
    version: str  # "dialogue-model <artifact version>"
    max_turns: int  # the most recent turns it reads
    bias: np.ndarray  # per catalog item

    async def load(self) -> None: ...
    async def ready(self) -> bool: ...
    async def query(self, dialogue: DialogueInput, timeout: float | None = None) -> Query: ...
    async def close(self) -> None: ...


class EmbeddedDialogue:
    def __init__(self, model: DialogueModel) -> None:
        self.version, self.bias = model.version, model.bias
        self.max_turns = model.net.config.max_turns
        self._model = model
        self._batcher: DynamicBatcher | None = None

    async def load(self) -> None:
        self._batcher = DynamicBatcher(TRITON_MODEL, self._model.queries)

    async def ready(self) -> bool:
        return self._batcher is not None

    async def query(self, dialogue: DialogueInput, timeout: float | None = None) -> Query:
        return (await self._batcher.run([dialogue]))[0]

    async def close(self) -> None:
        if self._batcher:
            await self._batcher.close()


class TritonDialogue:
    """The dialogue head on Triton; its version is the one the served config names."""

    def __init__(self, url: str, timeout: float, directory: Path, catalog_dir: Path) -> None:
        from ..triton_client import TritonModel

        self._model = TritonModel(url, TRITON_MODEL, "TEXT_QUERY", timeout)
        local = DialogueModel(directory, catalog_dir)  # checked against the catalog, on CPU
        self.version, self.max_turns, self.bias = local.version, local.net.config.max_turns, local.bias
        self._catalog_dir = catalog_dir

    async def load(self) -> None:
        await self._model.load()

    async def ready(self) -> bool:
        if not await self._model.ready():
            return False
        served = (await self._model.parameters()).get("version")
        if served:
            self.version = version_of(artifact.root(self._catalog_dir) / served)
        return True

    async def query(self, dialogue: DialogueInput, timeout: float | None = None) -> Query:
        tensors = wire.request_tensors(dialogue)
        inputs = {name: (wire.INPUTS[name][0], tensors[name]) for name in wire.INPUTS}
        return wire.query_from(await self._model.infer_tensors(inputs, list(wire.OUTPUTS), timeout))

    async def close(self) -> None:
        await self._model.close()


async def dialogue_head(settings, catalog_dir: Path) -> DialogueHead | None:
    """The catalog's dialogue head for CONVREC_MODEL_BACKEND, or None (no trained model)."""
    directory = artifact.current(catalog_dir)
    if directory is None:
        return None
    if settings.model_backend == "triton":
        return await asyncio.to_thread(TritonDialogue, settings.triton_url, settings.triton_timeout_seconds,
                                       directory, catalog_dir)
    model = await asyncio.to_thread(DialogueModel, directory, catalog_dir, settings.torch_device,
                                    settings.torch_threads)
    return EmbeddedDialogue(model)
