"""The interest network: a causal transformer (SASRec family) over a user's events, with item
representations fusing an id embedding and the item's text vector, event type/value and
time inputs, and the request's context fused at the query position."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..settings_json import JsonSettings
from .features import DEVICES, GAP_BUCKETS, HOURS, LANGUAGES, SIGNALS, WEEKDAYS


@dataclass(frozen=True)
class Config(JsonSettings):
    dim: int = 64
    layers: int = 2
    heads: int = 2
    max_len: int = 100
    dropout: float = 0.2
    # Share of item id embeddings dropped per step, so the text part alone also ranks.
    id_dropout: float = 0.1
    # Time features: gap, hour and weekday of each event, and the request's context. Off by
    # default: on MovieLens (dev split) they did not help (README, "The interest model").
    time: bool = False
    # Item text vectors through a learned projection, added to the id embedding, so items with
    # few or no interactions have a representation. Off by default for the same reason.
    text: bool = False
    # Share of training queries whose context is hidden, so "no context" is learned too.
    context_dropout: float = 0.1




class Block(nn.Module):
    """Pre-norm self-attention and feed-forward."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        mixed = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed[:, None])
        x = x + self.drop(self.out(mixed.transpose(1, 2).reshape(b, n, d)))
        return x + self.drop(self.ff(self.norm2(x)))

    def last(self, x: torch.Tensor, allowed: torch.Tensor, at: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The block's output at one position per row (`at`), and that position's attention
        weights averaged over heads (B, L): all a query needs from the last block."""
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        rows = torch.arange(b, device=x.device)
        query = q[rows, :, at][:, :, None]  # (B, heads, 1, d/h)
        scores = (query @ k.transpose(-1, -2)) / math.sqrt(d // self.heads)
        weights = scores.masked_fill(~allowed[rows, at][:, None, None], float("-inf")).softmax(-1)
        mixed = (weights @ v).reshape(b, d)
        y = x[rows, at] + self.out(mixed)
        return y + self.ff(self.norm2(y)), weights[:, :, 0].mean(1)


def attention_mask(lengths: torch.Tensor, size: int) -> torch.Tensor:
    """(B, L, L) keys each query may see: earlier real events and always itself, so no row
    is empty (an empty row would be NaN and spread through the next layer)."""
    index = torch.arange(size, device=lengths.device)
    causal = index[None, :, None] >= index[None, None, :]
    real = index[None, None, :] < lengths[:, None, None]
    return (causal & real) | torch.eye(size, dtype=torch.bool, device=lengths.device)[None]


class InterestNet(nn.Module):
    def __init__(self, config: Config, items: int, text_dim: int) -> None:
        super().__init__()
        d = config.dim
        self.config = config
        self.ids = nn.Embedding(items + 1, d, padding_idx=0)  # row 0: an item without an id row
        self.text = nn.Sequential(nn.Linear(text_dim, d), nn.GELU(), nn.Linear(d, d)) if config.text else None
        self.signal = nn.Embedding(SIGNALS, d, padding_idx=0)
        self.interest = nn.Parameter(torch.zeros(d))
        self.position = nn.Embedding(config.max_len + 1, d)  # distance back from the latest event
        if config.time:
            self.gap, self.hour, self.weekday = (nn.Embedding(n, d) for n in (GAP_BUCKETS, HOURS, WEEKDAYS))
            self.context = nn.ModuleList(
                nn.Embedding(n, d) for n in (GAP_BUCKETS, HOURS, WEEKDAYS, len(DEVICES), len(LANGUAGES))
            )
            self.fuse = nn.Sequential(nn.LayerNorm(2 * d), nn.Linear(2 * d, d), nn.GELU(), nn.Linear(d, d))
        self.blocks = nn.ModuleList(Block(d, config.heads, config.dropout) for _ in range(config.layers))
        self.norm = nn.LayerNorm(d)
        self.drop = nn.Dropout(config.dropout)
        for emb in self.modules():
            if isinstance(emb, nn.Embedding):
                nn.init.normal_(emb.weight, std=d**-0.5)
                if emb.padding_idx is not None:
                    emb.weight.data[emb.padding_idx].zero_()

    def item_table(self, id_rows: torch.Tensor, text: torch.Tensor | None) -> torch.Tensor:
        """(N, d) item vectors: id embedding (row 0: none) plus the projected text vector."""
        table = self.ids(id_rows)
        if self.training and self.config.id_dropout > 0 and self.text is not None:
            table = table * (torch.rand(len(id_rows), 1, device=table.device) >= self.config.id_dropout)
        if self.text is not None and text is not None:
            table = table + self.text(text)
        return table

    def _inputs(self, table: torch.Tensor, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        items, lengths = batch["items"], batch["lengths"]
        size = items.shape[1]
        back = (lengths[:, None] - 1 - torch.arange(size, device=items.device)[None]).clamp(0, self.config.max_len)
        x = table[items] * math.sqrt(self.config.dim) + self.signal(batch["signals"]) + self.position(back)
        x = x + batch["interest"][..., None] * self.interest
        if self.config.time:
            x = x + self.gap(batch["gaps"]) + self.hour(batch["hours"]) + self.weekday(batch["weekdays"])
        return self.drop(x), attention_mask(lengths, size)

    def encode(self, table: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Hidden states (B, L, d) of right-padded sequences (training: every position)."""
        x, allowed = self._inputs(table, batch)
        for block in self.blocks:
            x = block(x, allowed)
        return self.norm(x)

    def encode_last(self, table: torch.Tensor, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """The hidden state at each row's latest event (B, d), and the last block's attention
        from there over the events (B, L): the last block runs for that position only."""
        x, allowed = self._inputs(table, batch)
        for block in self.blocks[:-1]:
            x = block(x, allowed)
        hidden, weights = self.blocks[-1].last(x, allowed, batch["lengths"] - 1)
        return self.norm(hidden), weights

    def query(self, hidden: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """The query vector: the hidden state fused with the request's context (..., 5 ids)."""
        if not self.config.time:
            return hidden
        ctx = sum(emb(context[..., i]) for i, emb in enumerate(self.context))
        return hidden + self.fuse(torch.cat([hidden, ctx], dim=-1))

    def loss(self, table: torch.Tensor, batch: dict[str, torch.Tensor], negatives: torch.Tensor | None = None):
        """Next-item cross-entropy at every real position: over all items, or over the target
        and shared uniformly sampled negatives (accidental hits masked)."""
        hidden = self.encode(table, batch)
        real = batch["targets"] >= 0
        context = batch["next_context"]
        if self.training and self.config.context_dropout > 0:
            hidden_ctx = torch.rand(context.shape[:-1], device=context.device) < self.config.context_dropout
            context = context.masked_fill(hidden_ctx[..., None], 0)
        queries = self.query(hidden, context)[real]
        targets = batch["targets"][real]
        if negatives is None:
            return F.cross_entropy(queries @ table.T, targets)
        positive = (queries * table[targets]).sum(-1, keepdim=True)
        sampled = (queries @ table[negatives].T).masked_fill(negatives[None] == targets[:, None], float("-inf"))
        logits = torch.cat([positive, sampled], dim=1)
        return F.cross_entropy(logits, torch.zeros(len(targets), dtype=torch.long, device=logits.device))
