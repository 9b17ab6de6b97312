"""The interest model behind one client interface, chosen by CONVREC_MODEL_BACKEND: in
process (concurrent calls batched into one forward) or on Triton (the same model code)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from ..batcher import DynamicBatcher
from . import artifact, wire
from .scorer import InterestModel, Request, Scored

TRITON_MODEL = "interest_model"


class InterestScorer(Protocol):
    # The version of the model that scores (its artifact directory's name).
    version: str
    # The most recent events it reads.
    max_len: int

    async def load(self) -> None: ...
    async def ready(self) -> bool: ...
    async def score(self, request: Request, timeout: float | None = None) -> Scored: ...
    async def close(self) -> None: ...


class EmbeddedInterest:
    def __init__(self, directory: Path, catalog_dir: Path, device: str = "cpu", threads: int | None = None) -> None:
        self._args = (directory, catalog_dir, device, threads)
        self.version = directory.name
        self.max_len = artifact.read_manifest(directory)["config"]["max_len"]
        self._batcher: DynamicBatcher | None = None

    async def load(self) -> None:
        model = await asyncio.to_thread(InterestModel.for_catalog, *self._args)
        self.version = model.version
        self._batcher = DynamicBatcher(TRITON_MODEL, model.score_many)

    async def ready(self) -> bool:
        return self._batcher is not None

    async def score(self, request: Request, timeout: float | None = None) -> Scored:
        return (await self._batcher.run([request]))[0]

    async def close(self) -> None:
        if self._batcher:
            await self._batcher.close()


class TritonInterest:
    """The interest model on Triton; its version is the one the served config names."""

    def __init__(self, url: str, timeout: float, directory: Path) -> None:
        from ..triton_client import TritonModel

        self._model = TritonModel(url, TRITON_MODEL, "RELATIVE", timeout)
        self.version = directory.name
        self.max_len = artifact.read_manifest(directory)["config"]["max_len"]

    async def load(self) -> None:
        await self._model.load()

    async def ready(self) -> bool:
        if not await self._model.ready():
            return False
        self.version = (await self._model.parameters()).get("version") or self.version
        return True

    async def score(self, request: Request, timeout: float | None = None) -> Scored:
        tensors = wire.request_tensors(request)
        inputs = {name: (wire.INPUTS[name][0], tensors[name]) for name in wire.INPUTS}
        return wire.scored_from(await self._model.infer_tensors(inputs, list(wire.OUTPUTS), timeout))

    async def close(self) -> None:
        await self._model.close()


def interest_scorer(settings, catalog_dir: Path) -> InterestScorer | None:
    """The catalog's interest model for CONVREC_MODEL_BACKEND, or None (the formula serves)."""
    directory = artifact.current(catalog_dir)
    if directory is None:
        return None
    if settings.model_backend == "triton":
        return TritonInterest(settings.triton_url, settings.triton_timeout_seconds, directory)
    return EmbeddedInterest(directory, catalog_dir, settings.torch_device, settings.torch_threads)
