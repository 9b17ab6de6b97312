from __future__ import annotations

from pathlib import Path

from pydantic import Field

from convrec_kit.settings import REPO_ROOT, CommonSettings


class GatewaySettings(CommonSettings):
    gateway_port: int = Field(default=50051, ge=0, le=65535)
    gateway_metrics_port: int = Field(default=9151, ge=0, le=65535)
    intent_address: str = "127.0.0.1:50052"
    retrieval_address: str = "127.0.0.1:50053"
    ranking_address: str = "127.0.0.1:50054"
    # SQLite file for sessions and user history.
    state_path: Path = REPO_ROOT / "var" / "convrec.sqlite3"
    # The time one dialogue turn may take, shared by its downstream calls.
    turn_budget_seconds: float = Field(default=3.0, gt=0, le=60)
    max_utterance_bytes: int = Field(default=4096, ge=16)
    max_history_turns: int = Field(default=100, ge=1)
    max_feedback_events: int = Field(default=500, ge=1)
    retrieval_candidates: int = Field(default=100, ge=10, le=1000)

    @property
    def port(self) -> int:
        return self.gateway_port

    @property
    def metrics_port(self) -> int:
        return self.gateway_metrics_port
