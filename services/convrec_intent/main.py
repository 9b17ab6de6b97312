"""Runs the intent service."""

from __future__ import annotations

import asyncio

import numpy as np

from convrec.intent.v1 import intent_pb2_grpc
from convrec_kit import artifacts
from convrec_kit.logs import configure_logging
from convrec_kit.models.client import intent_classifier
from convrec_kit.server import ServiceBinding, follow_readiness, serve
from convrec_kit.settings import load_settings

from .parser import Parser
from .service import IntentServicer
from .settings import IntentSettings


async def run(settings: IntentSettings) -> None:
    classifier = intent_classifier(settings, settings.artifacts_dir / artifacts.INTENT_DIR)
    servicer = IntentServicer(classifier, settings.max_utterance_bytes)

    async def load(health) -> None:
        catalog = await asyncio.to_thread(artifacts.load_catalog, settings.catalog_dir)
        await classifier.load()
        parser = await asyncio.to_thread(Parser, catalog, settings.intent_min_confidence)
        parser.parse("热身：推荐一部电影", np.full(10, 0.1))  # loads jieba's dictionary now, not on a request
        servicer.parser = parser
        if settings.model_backend == "embedded":
            await classifier.predict(["warm up"])
        await follow_readiness(health, classifier.ready)

    await serve(
        "intent",
        settings,
        [
            ServiceBinding(
                "convrec.intent.v1.IntentService",
                intent_pb2_grpc.add_IntentServiceServicer_to_server,
                servicer,
            )
        ],
        load,
        classifier.close,
    )


def main() -> None:
    settings = load_settings(IntentSettings)
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(run(settings))
