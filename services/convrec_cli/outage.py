"""`make bench-outage`: the share of turns answered while one downstream service is killed.

For each downstream in turn: 4 clients run the scripted conversations, the service is
SIGKILLed for 10 s and restarted; turns are counted before, during (from the kill until the
restarted service is SERVING again) and after the outage,
answered in full, answered degraded, or failed (by status code)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path

import grpc

from convrec.dialogue.v1 import dialogue_pb2, dialogue_pb2_grpc
from convrec_kit.cluster import Cluster

from .bench import SCRIPTS


async def _client(stub, index: int, stop_at: float, log: list) -> None:
    script = SCRIPTS[index % len(SCRIPTS)]
    while time.monotonic() < stop_at:
        session = ""
        for utterance in script:
            if time.monotonic() >= stop_at:
                return
            started = time.monotonic()
            try:
                r = await stub.Converse(
                    dialogue_pb2.ConverseRequest(session_id=session, utterance=utterance, page_size=10), timeout=10
                )
                session = r.session_id
                log.append((started, "degraded" if r.degraded else "ok"))
            except grpc.aio.AioRpcError as err:
                log.append((started, err.code().name))
                session = ""  # a failed turn restarts the conversation
                await asyncio.sleep(0.05)


async def _load(address: str, clients: int, seconds: float, log: list) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*(_client(stub, i, stop_at, log) for i in range(clients)))


async def _outage(cluster: Cluster, name: str, before: float, down: float) -> tuple[float, float]:
    await asyncio.sleep(before)
    killed = time.monotonic()
    cluster.stop_one(name, sig=signal.SIGKILL)
    await asyncio.sleep(down)
    cluster.start_one(name)
    await asyncio.to_thread(cluster.wait, name)
    return killed, time.monotonic()


async def measure(cluster: Cluster, name: str, clients: int, down: float) -> dict[str, Counter]:
    log: list = []
    before, after = 5.0, 8.0
    load = asyncio.create_task(_load(cluster.address(), clients, 1e9, log))
    killed, back = await _outage(cluster, name, before, down)
    await asyncio.sleep(after)
    load.cancel()
    await asyncio.gather(load, return_exceptions=True)
    phases = {"before": Counter(), "outage": Counter(), "after": Counter()}
    for started, outcome in log:
        phase = "before" if started < killed else "outage" if started < back else "after"
        phases[phase][outcome] += 1
    return phases


def _row(name: str, phase: str, counts: Counter) -> str:
    total = sum(counts.values()) or 1
    answered = counts["ok"] + counts["degraded"]
    failed = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("ok", "degraded"))
    return (
        f"{name:<10} {phase:<7} {sum(counts.values()):>6} {answered / total:>9.1%} "
        f"{counts['degraded'] / total:>9.1%}  {failed or '-'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench-outage")
    parser.add_argument("--services", default="ranking,intent,retrieval")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--down", type=float, default=10.0, help="seconds the service stays killed")
    args = parser.parse_args()
    print(f"{'killed':<10} {'phase':<7} {'turns':>6} {'answered':>9} {'degraded':>9}  failed")
    with tempfile.TemporaryDirectory(prefix="convrec-outage-") as tmp:
        cluster = Cluster(Path(tmp))
        try:
            cluster.start()
            for name in args.services.split(","):
                phases = asyncio.run(measure(cluster, name, args.clients, args.down))
                for phase, counts in phases.items():
                    print(_row(name, phase, counts), flush=True)
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
