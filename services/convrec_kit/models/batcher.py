"""Dynamic batching for an in-process model: concurrent calls share one forward pass."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..metrics import MODEL_BATCH_SIZE, MODEL_FORWARD


class DynamicBatcher:
    """Queues texts; while one forward pass runs, the next batch gathers."""

    def __init__(self, name: str, forward: Callable[[list[str]], np.ndarray], max_batch: int = 64):
        self._name = name
        self._forward = forward
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[list[str], asyncio.Future]] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-forward")
        self._worker: asyncio.Task | None = None

    async def run(self, texts: list[str]) -> np.ndarray:
        if self._worker is None:
            self._worker = asyncio.create_task(self._loop())
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        await self._queue.put((texts, future))
        return await future

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            pending = [await self._queue.get()]
            count = len(pending[0][0])
            while not self._queue.empty() and count < self._max_batch:
                item = self._queue.get_nowait()
                pending.append(item)
                count += len(item[0])
            texts = [t for chunk, _ in pending for t in chunk]
            start = time.perf_counter()
            try:
                output = await loop.run_in_executor(self._executor, self._forward, texts)
            except Exception as exc:  # hand the failure to every waiting caller
                for _, future in pending:
                    if not future.done():
                        future.set_exception(exc)
                continue
            MODEL_FORWARD.labels(self._name).observe(time.perf_counter() - start)
            MODEL_BATCH_SIZE.labels(self._name).observe(len(texts))
            offset = 0
            for chunk, future in pending:
                if not future.done():
                    future.set_result(output[offset : offset + len(chunk)])
                offset += len(chunk)

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
