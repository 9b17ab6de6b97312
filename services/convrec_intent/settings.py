from __future__ import annotations

from typing import Literal

from pydantic import Field

from convrec_kit.settings import CommonSettings


class IntentSettings(CommonSettings):
    intent_port: int = Field(default=50052, ge=0, le=65535)
    intent_metrics_port: int = Field(default=9152, ge=0, le=65535)
    # Below this confidence, a turn with clear constraints is taken as a request.
    intent_min_confidence: float = Field(default=0.55, ge=0, le=1)
    max_utterance_bytes: int = Field(default=4096, ge=16)
    # What understands an utterance: the rules with the intent head, or the joint model
    # (intent + slots, catalog-linked).
    understanding: Literal["rules", "model"] = "rules"

    @property
    def port(self) -> int:
        return self.intent_port

    @property
    def metrics_port(self) -> int:
        return self.intent_metrics_port
