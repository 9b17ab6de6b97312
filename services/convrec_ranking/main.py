"""Runs the ranking service."""

from __future__ import annotations

import asyncio

from convrec.ranking.v1 import ranking_pb2_grpc
from convrec_kit.logs import configure_logging
from convrec_kit.server import ServiceBinding, serve
from convrec_kit.settings import load_settings

from .ranker import Ranker
from .service import RankingServicer
from .settings import RankingSettings


async def run(settings: RankingSettings) -> None:
    servicer = RankingServicer()

    async def load(health) -> None:
        servicer.ranker = await asyncio.to_thread(Ranker, settings.catalog_dir)
        await health.set(True)

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
    )


def main() -> None:
    settings = load_settings(RankingSettings)
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(run(settings))
