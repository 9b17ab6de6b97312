from __future__ import annotations

from pydantic import Field

from convrec_kit.settings import CommonSettings


class RankingSettings(CommonSettings):
    ranking_port: int = Field(default=50054, ge=0, le=65535)
    ranking_metrics_port: int = Field(default=9154, ge=0, le=65535)
    # Order the blend's best items by the catalog's learned ranker (`convrec train ranker`) when
    # it has one. Off by default: on ReDial it is not yet measurably better than the blend.
    ranking_learned: bool = False
    # How many of the blend's best items the learned ranker re-orders; 0: as many as it was
    # trained on (its manifest's `rerank`).
    ranking_rerank: int = Field(default=0, ge=0, le=1000)

    @property
    def port(self) -> int:
        return self.ranking_port

    @property
    def metrics_port(self) -> int:
        return self.ranking_metrics_port
