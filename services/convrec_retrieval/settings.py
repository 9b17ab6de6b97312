from __future__ import annotations

from pydantic import Field

from convrec_kit.settings import CommonSettings


class RetrievalSettings(CommonSettings):
    retrieval_port: int = Field(default=50053, ge=0, le=65535)
    retrieval_metrics_port: int = Field(default=9153, ge=0, le=65535)
    max_query_bytes: int = Field(default=4096, ge=16)
    # Match Chinese and mixed queries with multilingual-e5-small when the catalog has its index.
    retrieval_multilingual: bool = True
    # Score items by the catalog's trained dialogue model (`convrec train dialogue`) when it has one.
    retrieval_dialogue: bool = True

    @property
    def port(self) -> int:
        return self.retrieval_port

    @property
    def metrics_port(self) -> int:
        return self.retrieval_metrics_port
