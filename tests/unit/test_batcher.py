"""convrec_kit.models.batcher.DynamicBatcher: shared forward passes for concurrent callers."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from convrec_kit.models.batcher import DynamicBatcher


class Recorder:
    """A forward pass that encodes each text as [len(text), index in batch] and records batches.
    The first call blocks until released, so later callers queue up behind it."""

    def __init__(self, fail: bool = False, block_first: bool = True):
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail = fail
        if not block_first:
            self.release.set()

    def __call__(self, texts):
        self.batches.append(list(texts))
        self.started.set()
        self.release.wait(5)
        if self.fail:
            raise RuntimeError(f"boom on {len(texts)} texts")
        return np.array([[len(t), i] for i, t in enumerate(texts)], dtype=np.float32)


async def wait_started(recorder):
    for _ in range(500):
        if recorder.started.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("forward never started")


async def wait_queued(batcher, n):
    for _ in range(500):
        if batcher._queue.qsize() >= n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("callers never queued")


async def test_single_call():
    forward = Recorder(block_first=False)
    batcher = DynamicBatcher("unit-single", forward)
    try:
        out = await batcher.run(["abc", "de"])
        np.testing.assert_array_equal(out, [[3, 0], [2, 1]])
        assert forward.batches == [["abc", "de"]]
    finally:
        await batcher.close()


async def test_concurrent_calls_share_a_batch_and_get_their_own_rows():
    forward = Recorder()
    batcher = DynamicBatcher("unit-share", forward)
    try:
        first = asyncio.create_task(batcher.run(["x"]))
        await wait_started(forward)
        inputs = [["a"], ["bb", "ccc"], ["dddd"], ["eeeee", "ffffff", "g"]]
        tasks = [asyncio.create_task(batcher.run(texts)) for texts in inputs]
        await wait_queued(batcher, len(inputs))
        forward.release.set()
        results = await asyncio.gather(*tasks)
        np.testing.assert_array_equal(await first, [[1, 0]])
        # the queued callers were served by one forward pass, in arrival order
        assert forward.batches == [["x"], ["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g"]]
        offset = 0
        for texts, out in zip(inputs, results):
            assert out.shape == (len(texts), 2)
            np.testing.assert_array_equal(out[:, 0], [len(t) for t in texts])
            np.testing.assert_array_equal(out[:, 1], np.arange(offset, offset + len(texts)))
            offset += len(texts)
    finally:
        await batcher.close()


async def test_max_batch_splits_the_queue():
    forward = Recorder()
    batcher = DynamicBatcher("unit-max", forward, max_batch=2)
    try:
        first = asyncio.create_task(batcher.run(["x"]))
        await wait_started(forward)
        tasks = [asyncio.create_task(batcher.run([t])) for t in ("a", "b", "c", "d", "e")]
        await wait_queued(batcher, 5)
        forward.release.set()
        results = await asyncio.gather(first, *tasks)
        assert [r[0, 0] for r in results] == [1] * 6
        assert forward.batches == [["x"], ["a", "b"], ["c", "d"], ["e"]]
    finally:
        await batcher.close()


async def test_exception_reaches_every_waiter():
    forward = Recorder(fail=True)
    batcher = DynamicBatcher("unit-fail", forward)
    try:
        first = asyncio.create_task(batcher.run(["x"]))
        await wait_started(forward)
        tasks = [asyncio.create_task(batcher.run([t])) for t in ("a", "b", "c")]
        await wait_queued(batcher, 3)
        forward.release.set()
        results = await asyncio.gather(first, *tasks, return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)
        assert str(results[0]) == "boom on 1 texts"
        assert all(str(r) == "boom on 3 texts" for r in results[1:])
        assert forward.batches == [["x"], ["a", "b", "c"]]
    finally:
        await batcher.close()


async def test_batcher_keeps_working_after_a_failure():
    calls = {"n": 0}

    def forward(texts):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("first call fails")
        return np.ones((len(texts), 1))

    batcher = DynamicBatcher("unit-recover", forward)
    try:
        with pytest.raises(ValueError, match="first call fails"):
            await batcher.run(["a"])
        out = await batcher.run(["b", "c"])
        assert out.shape == (2, 1)
    finally:
        await batcher.close()
