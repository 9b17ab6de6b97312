"""Scripted multi-turn conversations through the gateway at several concurrency levels.

Prints per-turn p50/p95/p99, turns per second, peak RSS per service, and the ratio of a
turn's p50 to the model forward time one turn contains (from the services' metrics). Given
several gateway addresses (replicas on one shared store), conversations are spread over them
and each turn of a conversation goes to the next gateway in turn."""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc

from convrec.dialogue.v1 import dialogue_pb2, dialogue_pb2_grpc
from convrec_kit.tls import ClientTLS, dial

SCRIPTS = (
    (
        "a science fiction movie from the 90s",
        "no horror please",
        "why the first one?",
        "who directed the second one?",
        "something newer",
        "I've seen the first one",
    ),
    (
        "something like Inception",
        "only after 2010",
        "tell me more about the first one",
        "I loved it",
        "more like that",
    ),
    ("我想看一部动作片", "不要战争片", "为什么推荐第一个？", "第二部的导演是谁？", "换几部新一点的"),
    ("我想买一本经济类的书，价格在100-200元之间", "再便宜一点的", "第一本书多少钱？", "这本不喜欢"),
    ("a funny family movie", "what is the first one about?", "not that one", "something shorter"),
)
SERVICES = ("gateway", "intent", "retrieval", "ranking")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        return reply.read().decode()


def metric_sum(text: str, name: str, label: str = "") -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (not label or label in line):
            total += float(line.rsplit(" ", 1)[1])
    return total


@dataclass
class MemoryWatch:
    metrics_ports: dict[str, int]
    pids: dict[str, int] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)

    def sample(self) -> None:
        for name, port in self.metrics_ports.items():
            rss = 0.0
            pid = self.pids.get(name)
            if pid:
                status = open(f"/proc/{pid}/status").read()
                rss = float(re.search(r"VmHWM:\s+(\d+)", status)[1]) * 1024
            else:
                try:
                    rss = metric_sum(scrape(port), "process_resident_memory_bytes")
                except OSError:
                    pass
            self.peak[name] = max(self.peak.get(name, 0.0), rss)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.sample)
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass


def language_of(script: tuple[str, ...]) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", script[0]) else "en"


async def _client(stubs: list, index: int, conversations: int, latencies: list[float], errors: list[str],
                  by_language: dict[str, list[float]] | None = None, token_for=None, think: float = 0.0) -> None:
    """One user's conversations; `think`: seconds the user pauses before each next turn."""
    user_id = f"bench-{index}"
    auth = {"metadata": (("authorization", f"Bearer {token_for(user_id)}"),)} if token_for else {}
    for n in range(conversations):
        script = SCRIPTS[(index + n) % len(SCRIPTS)]
        session_id = ""
        for t, utterance in enumerate(script):
            if t and think:
                await asyncio.sleep(think)
            stub = stubs[(index + n + t) % len(stubs)]
            started = time.perf_counter()
            try:
                reply = await stub.Converse(
                    dialogue_pb2.ConverseRequest(
                        session_id=session_id, user_id=user_id, utterance=utterance, page_size=10
                    ),
                    timeout=30,
                    **auth,
                )
            except grpc.aio.AioRpcError as err:
                errors.append(f"{err.code().name}: {err.details()}")
                break
            latencies.append(time.perf_counter() - started)
            if by_language is not None:
                by_language.setdefault(language_of(script), []).append(latencies[-1])
            session_id = reply.session_id


def is_gateway(name: str) -> bool:
    return name == "gateway" or name.startswith("gateway-")


def forward_seconds(metrics_ports: dict[str, int]) -> tuple[float, float]:
    """Total model forward seconds across services, and Converse count over every gateway."""
    forward = sum(
        metric_sum(scrape(metrics_ports[s]), "convrec_model_forward_seconds_sum")
        for s in ("intent", "retrieval", "ranking")  # ranking: the interest model, where a catalog has one
    )
    turns = sum(
        metric_sum(scrape(port), "convrec_rpc_latency_seconds_count", 'method="Converse"')
        for name, port in metrics_ports.items()
        if is_gateway(name)
    )
    return forward, turns


async def bench_level(addresses: list[str], clients: int, conversations: int, metrics_ports, watch,
                      tls: ClientTLS | None = None, token_for=None, think: float = 0.0) -> dict:
    """One concurrency level; over TLS with `tls`, each user's calls carrying `token_for(user_id)`."""
    channels = [dial(a, tls, aio=True) for a in addresses]
    try:
        return await _measure(channels, clients, conversations, metrics_ports, watch, token_for, think)
    finally:
        for channel in channels:
            await channel.close()


async def _measure(channels, clients: int, conversations: int, metrics_ports, watch, token_for=None,
                   think: float = 0.0) -> dict:
    stubs = [dialogue_pb2_grpc.DialogueServiceStub(c) for c in channels]
    await _client(stubs, 0, 1, [], [], token_for=token_for)  # warm-up; its turns visit every gateway in turn
    forward0, turns0 = forward_seconds(metrics_ports)
    latencies: list[float] = []
    errors: list[str] = []
    by_language: dict[str, list[float]] = {}
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch.run(stop))
    started = time.perf_counter()
    await asyncio.gather(
        *(_client(stubs, i, conversations, latencies, errors, by_language, token_for, think) for i in range(clients))
    )
    wall = time.perf_counter() - started
    stop.set()
    await watcher
    forward1, turns1 = forward_seconds(metrics_ports)
    per_turn_forward = (forward1 - forward0) / max(1.0, turns1 - turns0)
    p50 = percentile(latencies, 0.5)
    return {
        "clients": clients,
        "turns": len(latencies),
        "errors": len(errors),
        "p50_ms": p50 * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "turns_per_s": len(latencies) / wall,
        "forward_ms_per_turn": per_turn_forward * 1000,
        "p50_over_forward": p50 / per_turn_forward if per_turn_forward else float("nan"),
        "first_error": errors[0] if errors else "",
        "p50_ms_by_language": {k: percentile(v, 0.5) * 1000 for k, v in sorted(by_language.items())},
    }


def report(rows: list[dict], watch: MemoryWatch) -> None:
    print(
        f"\n{'clients':>7} {'turns':>6} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'turns/s':>8} {'fwd ms/turn':>11} {'p50/fwd':>8}"
    )
    for r in rows:
        print(
            f"{r['clients']:>7} {r['turns']:>6} {r['errors']:>4} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r['p99_ms']:>8.1f} {r['turns_per_s']:>8.1f} {r['forward_ms_per_turn']:>11.1f} "
            f"{r['p50_over_forward']:>8.2f}"
        )
        langs = ", ".join(f"{k} {v:.1f} ms" for k, v in r["p50_ms_by_language"].items())
        print(f"        p50 by language: {langs}")
        if r["first_error"]:
            print(f"        first error: {r['first_error']}")
    print("\npeak RSS per service: " + ", ".join(f"{n} {v / 2**20:.0f} MiB" for n, v in watch.peak.items()))


def run_bench(
    address: str | list[str],
    levels: list[int],
    conversations: int,
    metrics_ports: dict[str, int] | None = None,
    pids: dict[str, int] | None = None,
    tls: ClientTLS | None = None,
    token_for: Callable[[str], str] | None = None,
    think: float = 0.0,
) -> list[dict]:
    """`address` is one gateway or a list of replicas sharing one store; `tls` and `token_for`
    (a user id's bearer token) for a gateway that wants them; `think`: each user's pause
    between turns, in seconds."""
    addresses = [address] if isinstance(address, str) else list(address)
    metrics_ports = metrics_ports or {s: 9151 + i for i, s in enumerate(SERVICES)}
    watch = MemoryWatch(metrics_ports, pids or {})
    rows = [asyncio.run(bench_level(addresses, c, conversations, metrics_ports, watch, tls, token_for, think))
            for c in levels]
    report(rows, watch)
    return rows
