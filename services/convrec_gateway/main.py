"""Runs the gateway (DialogueService)."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from convrec.dialogue.v1 import dialogue_pb2_grpc
from convrec.intent.v1 import intent_pb2_grpc
from convrec.ranking.v1 import ranking_pb2_grpc
from convrec.retrieval.v1 import retrieval_pb2_grpc
from convrec_kit.auth_settings import SecuritySettings
from convrec_kit.channels import open_channel
from convrec_kit.credentials import service_credential
from convrec_kit.logs import configure_logging
from convrec_kit.server import ServiceBinding, follow_readiness, serve
from convrec_kit.settings import load_settings

from .dialogue import Clients, DialogueEngine
from .ratelimit import RateLimitSettings, open_limits
from .service import DialogueServicer
from .settings import GatewaySettings
from .stores import open_store

SERVING = health_pb2.HealthCheckResponse.SERVING


async def _downstream_serving(channels: dict[str, grpc.aio.Channel]) -> bool:
    for channel in channels.values():
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=1.0
            )
        except grpc.aio.AioRpcError:
            return False
        if reply.status != SERVING:
            return False
    return True


class ReadyOnce:
    """NOT_SERVING until every downstream service has been SERVING; after that the gateway
    stays SERVING through a downstream outage and answers degraded turns (the response's
    `degraded` field and convrec_degraded_turns_total say so)."""

    def __init__(self, channels: dict[str, grpc.aio.Channel]) -> None:
        self._channels, self._ready = channels, False

    async def __call__(self) -> bool:
        if not self._ready:
            self._ready = await _downstream_serving(self._channels)
        return self._ready


async def run(settings: GatewaySettings) -> None:
    tls = settings.client_tls()  # None: plaintext
    credential = service_credential(load_settings(SecuritySettings), "gateway")  # None: auth off
    channels = {
        "intent": open_channel(settings.intent_address, tls, credential),
        "retrieval": open_channel(settings.retrieval_address, tls, credential),
        "ranking": open_channel(settings.ranking_address, tls, credential),
    }
    clients = Clients(
        intent=intent_pb2_grpc.IntentServiceStub(channels["intent"]),
        retrieval=retrieval_pb2_grpc.RetrievalServiceStub(channels["retrieval"]),
        ranking=ranking_pb2_grpc.RankingServiceStub(channels["ranking"]),
    )
    store = await open_store(settings)
    limits = open_limits(settings, load_settings(RateLimitSettings))
    engine = DialogueEngine(clients, settings.retrieval_candidates, settings.prepare_dialogue)
    servicer = DialogueServicer(engine, store, settings, limits)

    async def load(health) -> None:
        await follow_readiness(health, ReadyOnce(channels))

    async def close() -> None:
        for channel in channels.values():
            await channel.close()
        await store.close()
        await limits.close()

    await serve(
        "gateway",
        settings,
        [
            ServiceBinding(
                "convrec.dialogue.v1.DialogueService",
                dialogue_pb2_grpc.add_DialogueServiceServicer_to_server,
                servicer,
            )
        ],
        load,
        close,
    )


def main() -> None:
    settings = load_settings(GatewaySettings)
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(run(settings))
