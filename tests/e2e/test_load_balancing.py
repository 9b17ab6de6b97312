"""Client-side round-robin: one channel to a list of addresses spreads calls over every
process behind it, through connection recycling (max connection age), also from the gateway."""

from __future__ import annotations

import asyncio
import subprocess
import urllib.request

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from convrec.dialogue.v1 import dialogue_pb2_grpc
from convrec.ranking.v1 import ranking_pb2, ranking_pb2_grpc
from convrec_kit import processes
from convrec_kit.channels import open_channel
from convrec_kit.cluster import SERVICES, Cluster, serve_command

from .helpers import A, say

pytestmark = pytest.mark.e2e

# Short enough that every test below outlives several connections.
AGE_SECONDS = "1.5"


class Replicas:
    """A cluster whose gateway reaches two ranking processes through one target."""

    def __init__(self, workdir) -> None:
        self.cluster = Cluster(workdir)
        for name in SERVICES:
            self.cluster.ports[name] = processes.free_port()
            self.cluster.metrics_ports[name] = processes.free_port()
        self.ports = [self.cluster.ports["ranking"], processes.free_port()]
        self.metrics_ports = [self.cluster.metrics_ports["ranking"], processes.free_port()]
        self.cluster.extra_env.update({
            "CONVREC_RANKING_ADDRESS": self.target,
            "CONVREC_MAX_CONNECTION_AGE_SECONDS": AGE_SECONDS,
            "CONVREC_CONNECTION_AGE_GRACE_SECONDS": "5",
        })
        self.second: subprocess.Popen | None = None

    @property
    def target(self) -> str:
        return "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def start(self) -> Replicas:
        env = self.cluster.env()
        env["CONVREC_RANKING_PORT"] = str(self.ports[1])
        env["CONVREC_RANKING_METRICS_PORT"] = str(self.metrics_ports[1])
        log = self.cluster.workdir / "ranking-2.log"
        self.second = processes.start(serve_command("ranking"), env, log)
        self.cluster.start()
        processes.wait_serving(f"127.0.0.1:{self.ports[1]}", 120, proc=self.second, log_path=log, what="ranking-2")
        return self

    def stop(self) -> None:
        self.cluster.stop()
        if self.second is not None:
            processes.stop(self.second)

    def rank_calls(self) -> list[float]:
        """How many Rank calls each ranking process has answered, from its metrics."""
        return [_rank_count(port) for port in self.metrics_ports]


def _rank_count(metrics_port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "convrec_rpc_latency_seconds_count" and sample.labels.get("method") == "Rank"
    )


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, catalog_dir):
    running = Replicas(tmp_path_factory.mktemp("load-balancing"))
    try:
        yield running.start()
    finally:
        running.stop()


async def test_one_channel_spreads_calls_over_every_address(replicas):
    before = replicas.rank_calls()
    channel = open_channel(replicas.target)
    try:
        stub = ranking_pb2_grpc.RankingServiceStub(channel)
        await channel.channel_ready()
        for _ in range(40):  # ~4 s: the servers close each connection after 1.5 s
            await stub.Rank(ranking_pb2.RankRequest(top_k=5), timeout=10)
            await asyncio.sleep(0.1)
    finally:
        await channel.close()
    calls = [now - then for now, then in zip(replicas.rank_calls(), before)]
    assert sum(calls) == 40, calls
    assert min(calls) >= 10, f"calls per process: {calls}"


def test_gateway_spreads_turns_over_a_list_of_addresses(replicas):
    before = replicas.rank_calls()
    with grpc.insecure_channel(replicas.cluster.address()) as channel:
        gateway = dialogue_pb2_grpc.DialogueServiceStub(channel)
        for utterance in ["a funny movie from the 90s", "a thriller from the 80s"] * 6:
            reply = say(gateway, utterance)
            assert reply.action == A.ACTION_RECOMMEND and reply.recommendations, utterance
    calls = [now - then for now, then in zip(replicas.rank_calls(), before)]
    assert min(calls) >= 3, f"Rank calls per process: {calls}"
