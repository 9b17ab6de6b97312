"""The dialogue encoder's head over frozen sentence vectors: attention over the turns (speaker
and recency embedded) and over the mentioned items' vectors, each refined by a residual
projection, mixed into one query vector in the items' own (multilingual-e5) space."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..settings_json import JsonSettings
from .inputs import ROLES, Batch


@dataclass(frozen=True)
class Config(JsonSettings):
    max_turns: int = 12
    max_items: int = 20
    dropout: float = 0.3


def _zeros(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class DialogueNet(nn.Module):
    """Item score = query . item vector + popularity bias. Every learned part starts at zero,
    so the untrained net scores by plain similarity to the turns and mentioned items."""

    def __init__(self, config: Config, dim: int, items: int) -> None:
        super().__init__()
        self.config = config
        self.dim = dim
        self.role = _zeros(nn.Embedding(ROLES, dim))
        self.turn_age = _zeros(nn.Embedding(config.max_turns, dim))
        self.turn_attention = nn.Linear(dim, 1)
        self.turn_refine = _zeros(nn.Linear(dim, dim))
        self.item_age = _zeros(nn.Embedding(config.max_items, 1))
        self.item_refine = _zeros(nn.Linear(dim, dim))
        self.scale = nn.Parameter(torch.tensor([10.0, 10.0]))
        self.popularity_weight = nn.Parameter(torch.tensor(1.0))
        self.drop = nn.Dropout(config.dropout)
        # Fixed inputs: the items' vectors and log(1 + training mentions).
        self.register_buffer("item_vectors", torch.zeros(items, dim))
        self.register_buffer("log_popularity", torch.zeros(items))

    def query(self, b: Batch) -> torch.Tensor:
        """(B, dim) query vectors."""
        x = b.turns + self.role(b.roles) + self.turn_age(b.turn_age)
        attention = self.turn_attention(x).squeeze(-1).masked_fill(~b.turn_mask, -1e9).softmax(-1)
        text = (attention.unsqueeze(-1) * x).sum(1)
        text = F.normalize(text + self.turn_refine(self.drop(text)), dim=-1) * b.turn_mask.any(1, keepdim=True)
        mentioned = self.item_vectors[b.items]
        attention = self.item_age(b.item_age).squeeze(-1).masked_fill(~b.item_mask, -1e9).softmax(-1)
        items = (attention.unsqueeze(-1) * mentioned).sum(1)
        items = F.normalize(items + self.item_refine(self.drop(items)) + 1e-6, dim=-1)
        items = items * b.item_mask.any(1, keepdim=True)
        return self.scale[0] * text + self.scale[1] * items

    def bias(self) -> torch.Tensor:
        return self.popularity_weight * self.log_popularity

    def forward(self, b: Batch) -> torch.Tensor:
        """(B, items) scores."""
        return self.query(b) @ self.item_vectors.T + self.bias()
