"""Runs the retrieval service."""

from __future__ import annotations

import asyncio

import structlog

from convrec.retrieval.v1 import retrieval_pb2_grpc
from convrec_kit.logs import configure_logging
from convrec_kit.models.client import multilingual_encoder, text_encoder
from convrec_kit.models.dialogue.client import dialogue_head
from convrec_kit.models.e5_convert import E5_DIR
from convrec_kit.server import ServiceBinding, follow_readiness, serve
from convrec_kit.settings import load_settings

from .engine import RetrievalEngine
from .service import RetrievalServicer
from .settings import RetrievalSettings

log = structlog.get_logger()


async def run(settings: RetrievalSettings) -> None:
    encoder = text_encoder(settings)
    servicer = RetrievalServicer(encoder, settings.max_query_bytes)

    models = [encoder]  # every model the service waits for: encoders, then the dialogue head

    async def load(health) -> None:
        engine = await asyncio.to_thread(RetrievalEngine, settings.catalog_dir)
        dialogue = None
        if engine.multilingual and settings.retrieval_dialogue:
            dialogue = await dialogue_head(settings, settings.catalog_dir)
        if engine.multilingual and (settings.retrieval_multilingual or dialogue is not None):
            models.append(multilingual_encoder(settings, settings.artifacts_dir / E5_DIR))
            servicer.add_multilingual(models[-1], queries=settings.retrieval_multilingual)
        if dialogue is not None:
            servicer.add_dialogue(dialogue)
            log.info("dialogue_model", version=dialogue.version, backend=settings.model_backend)
        for model in models:
            await model.load()
            if settings.model_backend == "embedded":
                await model.encode(["warm up"])
        if dialogue is not None:
            await dialogue.load()
            models.append(dialogue)
        servicer.engine = engine

        async def all_ready() -> bool:
            return all([await model.ready() for model in models])

        await follow_readiness(health, all_ready)

    async def close() -> None:
        for model in models:
            await model.close()

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
        close,
    )


def main() -> None:
    settings = load_settings(RetrievalSettings)
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(run(settings))
