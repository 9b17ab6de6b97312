"""Runs the retrieval service."""

from __future__ import annotations

import asyncio

from convrec.retrieval.v1 import retrieval_pb2_grpc
from convrec_kit.logs import configure_logging
from convrec_kit.models.client import text_encoder
from convrec_kit.server import ServiceBinding, follow_readiness, serve
from convrec_kit.settings import load_settings

from .engine import RetrievalEngine
from .service import RetrievalServicer
from .settings import RetrievalSettings


async def run(settings: RetrievalSettings) -> None:
    encoder = text_encoder(settings)
    servicer = RetrievalServicer(encoder, settings.max_query_bytes)

    async def load(health) -> None:
        engine = await asyncio.to_thread(RetrievalEngine, settings.catalog_dir)
        await encoder.load()
        if settings.model_backend == "embedded":
            await encoder.encode(["warm up"])
        servicer.engine = engine
        await follow_readiness(health, encoder.ready)

    await serve(
        "retrieval",
        settings,
        [
            ServiceBinding(
                "convrec.retrieval.v1.RetrievalService",
                retrieval_pb2_grpc.add_RetrievalServiceServicer_to_server,
                servicer,
            )
        ],
        load,
        encoder.close,
    )


def main() -> None:
    settings = load_settings(RetrievalSettings)
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(run(settings))
