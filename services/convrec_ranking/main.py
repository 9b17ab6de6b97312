"""Runs the ranking service."""

from __future__ import annotations

import asyncio

import structlog

from convrec.ranking.v1 import ranking_pb2_grpc
from convrec_kit.logs import configure_logging
from convrec_kit.models.interest.client import interest_scorer
from convrec_kit.models.ranker.model import LearnedRanker
from convrec_kit.server import ServiceBinding, follow_readiness, serve
from convrec_kit.settings import load_settings

from .ranker import Ranker
from .service import RankingServicer
from .settings import RankingSettings

log = structlog.get_logger()


async def run(settings: RankingSettings) -> None:
    interest = interest_scorer(settings, settings.catalog_dir)
    servicer = RankingServicer(interest)

    async def load(health) -> None:
        learned = LearnedRanker.for_catalog(settings.catalog_dir) if settings.ranking_learned else None
        if learned is not None:
            learned.rerank = settings.ranking_rerank or learned.rerank
            log.info("learned_ranker", version=learned.version, rerank=learned.rerank)
        if interest is None:
            servicer.ranker = await asyncio.to_thread(Ranker, settings.catalog_dir, learned=learned)
            await health.set(True)
            return
        await interest.load()
        servicer.ranker = await asyncio.to_thread(
            Ranker, settings.catalog_dir, None, None, interest.version, interest.max_len, learned
        )
        log.info("interest_model", version=interest.version, backend=settings.model_backend)
        await follow_readiness(health, interest.ready)

    async def close() -> None:
        if interest is not None:
            await interest.close()

    await serve(
        "ranking",
        settings,
        [
            ServiceBinding(
                "convrec.ranking.v1.RankingService",
                ranking_pb2_grpc.add_RankingServiceServicer_to_server,
                servicer,
            )
        ],
        load,
        close,
    )


def main() -> None:
    settings = load_settings(RankingSettings)
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(run(settings))
