from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from convrec_kit.settings import REPO_ROOT, CommonSettings


class GatewaySettings(CommonSettings):
    gateway_port: int = Field(default=50051, ge=0, le=65535)
    gateway_metrics_port: int = Field(default=9151, ge=0, le=65535)
    intent_address: str = "127.0.0.1:50052"
    retrieval_address: str = "127.0.0.1:50053"
    ranking_address: str = "127.0.0.1:50054"
    # Where sessions and user history live: one SQLite file, or Redis shared by replicas.
    store: Literal["sqlite", "redis"] = "sqlite"
    # SQLite file for sessions and user history.
    state_path: Path = REPO_ROOT / "var" / "convrec.sqlite3"
    # Redis store: redis://[:password@]host:port/db (rediss:// for TLS).
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_key_prefix: str = Field(default="convrec", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    # Longest wait for one Redis command; a slower or absent Redis makes the call UNAVAILABLE.
    redis_timeout_seconds: float = Field(default=1.0, gt=0, le=30)
    # Start even when Redis cannot be shown to fsync every write (appendonly yes, appendfsync always).
    redis_allow_unsafe: bool = False
    # A Redis session expires this long after its last turn.
    session_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    # The time one dialogue turn may take, shared by its downstream calls.
    turn_budget_seconds: float = Field(default=3.0, gt=0, le=60)
    max_utterance_bytes: int = Field(default=4096, ge=16)
    max_history_turns: int = Field(default=100, ge=1)
    max_feedback_events: int = Field(default=500, ge=1)
    retrieval_candidates: int = Field(default=100, ge=10, le=1000)
    # Hand each turn's utterance and reply to retrieval ahead of time (PrepareDialogue), so a
    # catalog's dialogue model finds them encoded.
    prepare_dialogue: bool = True

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("use redis://host:port/db, rediss://host:port/db or unix:///path")
        return value

    @property
    def port(self) -> int:
        return self.gateway_port

    @property
    def metrics_port(self) -> int:
        return self.gateway_metrics_port
