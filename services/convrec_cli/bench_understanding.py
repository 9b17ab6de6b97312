"""`make bench UNDERSTANDING=1`: the intent service with the rules + intent head and with the
joint understanding model, in one run, one torch thread each: p50 and p95 of one Parse call
(the bench conversations' utterances, English and Chinese, one at a time), and the mean batch
when 8 clients call at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc

from convrec.intent.v1 import intent_pb2, intent_pb2_grpc
from convrec_kit.cluster import Cluster

from .bench import SCRIPTS, percentile

ROUNDS = 20


async def parse_latencies(address: str, clients: int) -> list[float]:
    utterances = [u for script in SCRIPTS for u in script]
    async with grpc.aio.insecure_channel(address) as channel:
        stub = intent_pb2_grpc.IntentServiceStub(channel)
        for text in utterances:  # warm-up
            await stub.Parse(intent_pb2.ParseRequest(utterance=text))
        seconds: list[float] = []

        async def client(offset: int) -> None:
            for n in range(ROUNDS * len(utterances) // clients):
                started = time.perf_counter()
                await stub.Parse(intent_pb2.ParseRequest(utterance=utterances[(n + offset) % len(utterances)]))
                seconds.append(time.perf_counter() - started)

        await asyncio.gather(*(client(i) for i in range(clients)))
        return seconds


def measure(workdir: Path, mode: str) -> dict[int, list[float]]:
    cluster = Cluster(workdir, extra_env={"CONVREC_UNDERSTANDING": mode, "CONVREC_TORCH_THREADS": "1"})
    try:
        cluster.start(names=("intent",))
        return {clients: asyncio.run(parse_latencies(cluster.address("intent"), clients)) for clients in (1, 8)}
    finally:
        cluster.stop()


def compare_understanding(root: Path) -> None:
    results = {}
    for mode in ("rules", "model"):
        print(f"== intent service, understanding={mode}, 1 torch thread")
        results[mode] = measure(root / mode, mode)
    print(f"\n{'clients':>7} {'':>8} {'p50 ms':>8} {'p95 ms':>8} {'calls/s':>8}")
    for clients in (1, 8):
        for mode, by_clients in results.items():
            seconds = by_clients[clients]
            rate = len(seconds) / sum(seconds) * clients
            print(f"{clients:>7} {mode:>8} {percentile(seconds, 0.5) * 1000:>8.1f} "
                  f"{percentile(seconds, 0.95) * 1000:>8.1f} {rate:>8.1f}")
