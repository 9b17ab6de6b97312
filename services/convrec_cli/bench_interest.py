"""`make bench INTEREST=1`: the ranking service with the interest formula and with a trained
interest model, in one run: p50 per turn through the gateway, and the Rank call alone on
histories of 200 events with 100 retrieved candidates.

The model is trained (20 epochs: this measures speed, not quality) on synthetic users
over the served catalog: each keeps to a few categories, likes most of what they meet and
dislikes some, over a year of timestamps."""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from pathlib import Path

import grpc

from convrec.common.v1 import common_pb2
from convrec.ranking.v1 import ranking_pb2, ranking_pb2_grpc
from convrec.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from convrec_kit import artifacts
from convrec_kit.cluster import Cluster
from convrec_kit.vocabulary import Component as K

from .bench import percentile, run_bench

DAY = 86400.0
MODEL_CATALOG = "bench-interest"
QUERIES = (
    "science fiction from the 90s",
    "a funny family movie",
    "economics books",
    "动作片",
    "something like Inception",
)
HISTORY = 200
CALLS = 300
EPOCHS = 20


def synthetic_interactions(catalog, users: int = 600, length: int = 40, seed: int = 0) -> list[dict]:
    """Users who keep to two or three categories, with likes, some dislikes and ratings."""
    rng = random.Random(seed)
    by_category: dict[str, list[str]] = {}
    for item in catalog.items:
        for category in item.categories:
            by_category.setdefault(category, []).append(item.item_id)
    categories = sorted(c for c, ids in by_category.items() if len(ids) >= 5)
    records = []
    for user in range(users):
        tastes, now = rng.sample(categories, min(3, len(categories))), 1.6e9 + rng.random() * 365 * DAY
        for _ in range(length):
            event = rng.choices(("like", "dislike", "rate", "click"), (6, 1, 2, 2))[0]
            value = float(rng.randint(1, 5)) if event == "rate" else 0.0
            records.append(
                {
                    "user_id": f"bench-{user}",
                    "item_id": rng.choice(by_category[rng.choice(tastes)]),
                    "event": event,
                    "value": value,
                    "timestamp": now,
                }
            )
            now += rng.expovariate(1 / (2 * DAY))
    return records


def model_catalog(artifacts_dir: Path, catalog_name: str, work: Path) -> Path:
    """A copy of the served catalog, under `work` beside the built encoders, with an interest
    model trained for it."""
    from convrec_kit.models.interest.pipeline import train_from_records
    from convrec_kit.models.interest.train import TrainConfig

    source, target = artifacts_dir / catalog_name, work / MODEL_CATALOG
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("interest*"))
    (work / "models").symlink_to((artifacts_dir / "models").resolve(), target_is_directory=True)
    records = synthetic_interactions(artifacts.load_catalog(target))
    train = TrainConfig(epochs=EPOCHS, patience=EPOCHS)
    train_from_records(target, records, "synthetic", f"{len(records)} synthetic events", train=train)
    return target


def history(catalog, size: int, seed: int) -> list[common_pb2.FeedbackEvent]:
    rng, ids = random.Random(seed), [item.item_id for item in catalog.items]
    events = []
    for n in range(size):
        kind = rng.choice(
            (common_pb2.FEEDBACK_TYPE_LIKE, common_pb2.FEEDBACK_TYPE_CLICK, common_pb2.FEEDBACK_TYPE_DISLIKE)
        )
        events.append(common_pb2.FeedbackEvent(item_id=rng.choice(ids), type=kind))
        events[-1].timestamp.FromSeconds(int(time.time() - (size - n) * 3 * 3600))
    return events


async def rank_latencies(cluster: Cluster, catalog) -> tuple[list[float], set[str]]:
    """Seconds per Rank call (each query's real retrieval candidates with a 200-event history),
    and what scored the interest component (the formula, or the model's version)."""
    async with (
        grpc.aio.insecure_channel(cluster.address("retrieval")) as r,
        grpc.aio.insecure_channel(cluster.address("ranking")) as k,
    ):
        retrieval, ranking = retrieval_pb2_grpc.RetrievalServiceStub(r), ranking_pb2_grpc.RankingServiceStub(k)
        requests = []
        for n, query in enumerate(QUERIES):
            found = await retrieval.Retrieve(retrieval_pb2.RetrieveRequest(query=query, top_k=100))
            context = common_pb2.Context(locale="en-US", device="mobile" if n % 2 else "desktop")
            context.timestamp.GetCurrentTime()
            requests.append(
                ranking_pb2.RankRequest(
                    query=query,
                    candidates=found.candidates,
                    context=context,
                    history=history(catalog, HISTORY, n),
                    top_k=10,
                )
            )
        for request in requests:  # warm-up
            await ranking.Rank(request)
        seconds, sources = [], set()
        for n in range(CALLS):
            started = time.perf_counter()
            reply = await ranking.Rank(requests[n % len(requests)])
            seconds.append(time.perf_counter() - started)
            sources |= {c.source for i in reply.items for c in i.components if c.name == K.INTEREST}
        return seconds, sources


def measure(workdir: Path, levels: list[int], conversations: int, env: dict[str, str], catalog) -> dict:
    cluster = Cluster(workdir, extra_env=env)
    try:
        cluster.start()
        rows = run_bench(cluster.address(), levels, conversations, cluster.metrics_ports, cluster.pids())
        rank, sources = asyncio.run(rank_latencies(cluster, catalog))
    finally:
        cluster.stop()
    return {
        "rows": rows,
        "rank_p50_ms": percentile(rank, 0.5) * 1000,
        "rank_p95_ms": percentile(rank, 0.95) * 1000,
        "scored_by": ", ".join(sorted(sources)),
    }


def compare_interest(root: Path, levels: list[int], conversations: int) -> None:
    from convrec_kit.settings import CommonSettings

    settings = CommonSettings()
    print(f"== training an interest model for a copy of {settings.catalog!r} (synthetic events, {EPOCHS} epochs)")
    model_dir = model_catalog(settings.artifacts_dir, settings.catalog, root / "artifacts")
    catalog = artifacts.load_catalog(model_dir)
    results = {}
    for label, env in (
        ("formula", {}),
        ("model", {"CONVREC_ARTIFACTS_DIR": str(root / "artifacts"), "CONVREC_CATALOG": MODEL_CATALOG}),
    ):
        print(f"\n== interest {label}: {conversations} conversations per client at {levels} clients")
        results[label] = measure(root / label, levels, conversations, env, catalog)
    formula, model = results["formula"], results["model"]
    print(
        f"\nRank alone ({HISTORY}-event history, 100 candidates, {CALLS} calls): "
        f"p50 formula {formula['rank_p50_ms']:.2f} ms, model {model['rank_p50_ms']:.2f} ms "
        f"(+{model['rank_p50_ms'] - formula['rank_p50_ms']:.2f}); p95 {formula['rank_p95_ms']:.2f} -> "
        f"{model['rank_p95_ms']:.2f} ms; interest scored by: {formula['scored_by']} / {model['scored_by']}"
    )
    print(f"{'clients':>7} {'p50 formula':>12} {'p50 model':>10} {'growth ms':>10}")
    for f, m in zip(formula["rows"], model["rows"], strict=True):
        print(f"{f['clients']:>7} {f['p50_ms']:>12.1f} {m['p50_ms']:>10.1f} {m['p50_ms'] - f['p50_ms']:>+10.1f}")
