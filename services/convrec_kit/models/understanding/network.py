"""The joint network: multilingual-e5-small's first layers, an intent head over the mean of
the tokens, a BIO head per token; one forward for both."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from transformers import BertConfig, BertModel

from ..settings_json import JsonSettings
from .labels import INTENTS, TAGS


@dataclass(frozen=True)
class Config(JsonSettings):
    # Encoder layers kept (of 12): 6 halves the forward with little loss once fine-tuned.
    layers: int = 6
    dropout: float = 0.1




class JointModel(nn.Module):
    def __init__(self, encoder: BertModel, config: Config) -> None:
        super().__init__()
        encoder.encoder.layer = encoder.encoder.layer[: config.layers]
        encoder.config.num_hidden_layers = config.layers
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.intent = nn.Linear(hidden, len(INTENTS))
        self.tags = nn.Linear(hidden, len(TAGS))

    @classmethod
    def from_e5(cls, e5_dir: Path, config: Config, dtype: torch.dtype = torch.float32) -> JointModel:
        return cls(BertModel.from_pretrained(str(e5_dir), add_pooling_layer=False, dtype=dtype), config)

    @classmethod
    def for_weights(cls, e5_dir: Path, config: Config, word_embeddings: torch.Tensor) -> JointModel:
        """The architecture with only the kept layers, around the given (frozen) word embeddings,
        the rest to be loaded: the full encoder is never built."""
        bert = BertConfig.from_pretrained(str(e5_dir))
        vocab, bert.vocab_size, bert.num_hidden_layers = bert.vocab_size, bert.pad_token_id + 1, config.layers
        net = cls(BertModel(bert, add_pooling_layer=False), config)
        net.encoder.embeddings.word_embeddings = nn.Embedding.from_pretrained(
            word_embeddings, freeze=True, padding_idx=bert.pad_token_id)
        net.encoder.config.vocab_size = vocab
        return net

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.intent(self.dropout(pooled)), self.tags(self.dropout(hidden))
