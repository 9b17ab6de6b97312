"""Runs the intent service."""

from __future__ import annotations

import asyncio
from functools import cache

import numpy as np

from convrec.intent.v1 import intent_pb2_grpc
from convrec_kit import artifacts
from convrec_kit.logs import configure_logging
from convrec_kit.models.client import embedded_understanding, intent_classifier
from convrec_kit.models.e5_convert import E5_DIR
from convrec_kit.server import ServiceBinding, follow_readiness, serve
from convrec_kit.settings import load_settings

from .parser import Parser
from .service import IntentServicer
from .settings import IntentSettings
from .span_parser import SpanParser


async def run(settings: IntentSettings) -> None:
    joint = settings.understanding == "model"
    encoder = cache(lambda: multilingual_encoder(settings))  # links spans; its word embeddings are shared
    if joint and settings.model_backend == "triton":
        from convrec_kit.models.understanding.client import TritonUnderstanding

        classifier = TritonUnderstanding(settings.triton_url, settings.triton_timeout_seconds)
    elif joint:
        classifier = embedded_understanding(settings.artifacts_dir / artifacts.UNDERSTANDING_DIR,
                                            settings.artifacts_dir / E5_DIR, settings.torch_threads,
                                            word_embeddings=lambda: encoder().model.embeddings.word_embeddings.weight)
    else:
        classifier = intent_classifier(settings, settings.artifacts_dir / artifacts.INTENT_DIR)
    servicer = IntentServicer(classifier, settings.max_utterance_bytes, joint)

    async def load(health) -> None:
        catalog = await asyncio.to_thread(artifacts.load_catalog, settings.catalog_dir)
        await classifier.load()
        if joint:
            servicer.parser = await asyncio.to_thread(span_parser, settings, catalog, encoder())
        else:
            servicer.parser = await asyncio.to_thread(rules_parser, settings, catalog)
        warm_up = [("warm up", "")] if joint else ["warm up"]
        if settings.model_backend == "embedded":
            await classifier.predict(warm_up)
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


def rules_parser(settings: IntentSettings, catalog) -> Parser:
    parser = Parser(catalog, settings.intent_min_confidence)
    parser.parse("热身：推荐一部电影", np.full(10, 0.1))  # loads jieba's dictionary now, not on a request
    return parser


def multilingual_encoder(settings: IntentSettings):
    from convrec_kit.models.e5 import E5Encoder

    return E5Encoder(settings.artifacts_dir / E5_DIR, settings.torch_threads)


def span_parser(settings: IntentSettings, catalog, encoder) -> SpanParser:
    """The catalog's terms (from `convrec build`), and `encoder`, the multilingual encoder that
    links spans to them."""
    from convrec_kit.models.understanding.terms import CatalogTerms
    from convrec_kit.models.understanding.words import CatalogWords

    terms, words = CatalogTerms.load(settings.catalog_dir), CatalogWords.load(settings.catalog_dir)
    if terms is None or words is None:
        raise FileNotFoundError(f"catalog terms or words not found in {settings.catalog_dir}; run `convrec build`")
    return SpanParser(catalog, terms, cached(lambda texts: encoder.encode(texts, "query")), words)


def cached(encode, size: int = 4096):
    """Query vectors, remembered per text: spans repeat ("horror", "科幻片")."""
    memory: dict[str, np.ndarray] = {}

    def run(texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in memory]
        if missing:
            if len(memory) + len(missing) > size:
                memory.clear()
            memory.update(zip(missing, encode(missing), strict=True))
        return np.stack([memory[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    return run


def main() -> None:
    settings = load_settings(IntentSettings)
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(run(settings))
