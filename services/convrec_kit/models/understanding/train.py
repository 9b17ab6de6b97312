"""Fine-tunes the joint network end to end on labelled utterances (intent + spans), seeded."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import AutoTokenizer

from ..e5 import bf16_supported
from ..settings_json import JsonSettings
from . import markup
from .encoding import IGNORE, encode, intent_target, tag_targets
from .labels import INTENT_INDEX, INTENTS
from .network import Config, JointModel


@dataclass(frozen=True)
class TrainConfig(JsonSettings):
    epochs: int = 5
    batch: int = 32
    lr: float = 8e-5  # the encoder's
    head_lr: float = 1e-3
    warmup: float = 0.06
    weight_decay: float = 0.01
    seed: int = 0



@dataclass
class Example:
    text: str
    context: str
    intent: str | None
    spans: list[markup.Span] | None  # None: this example's spans are unknown


def examples(rows: list[dict]) -> list[Example]:
    out = []
    for row in rows:
        text, spans = markup.parse(row["text"])
        known = row.get("spans_known", True)
        out.append(Example(text, row.get("context", ""), row.get("intent"), spans if known else None))
    return out


def batch_tensors(tokenizer, batch: list[Example]):
    encoded = encode(tokenizer, [e.text for e in batch], [e.context for e in batch])
    tags = torch.tensor([tag_targets(offsets, e.spans) for offsets, e in zip(encoded.offsets, batch, strict=True)])
    intents = torch.tensor([intent_target(e.intent) for e in batch])
    return encoded, intents, tags


def _optimizer(net: JointModel, train: TrainConfig, steps: int):
    net.encoder.embeddings.word_embeddings.weight.requires_grad_(False)  # 96M of the 118M parameters
    encoder = [p for p in net.encoder.parameters() if p.requires_grad]
    heads = [*net.intent.parameters(), *net.tags.parameters()]
    optimizer = torch.optim.AdamW(
        [{"params": encoder, "lr": train.lr}, {"params": heads, "lr": train.head_lr}], weight_decay=train.weight_decay
    )
    warm = max(1, int(steps * train.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warm, max(0.0, (steps - step) / max(1, steps - warm)))
    )
    return optimizer, schedule


def fit(
    rows: list[dict], e5_dir: Path, config: Config, train: TrainConfig, device: str = "cpu", progress: bool = True
) -> JointModel:
    random.seed(train.seed)
    torch.manual_seed(train.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(e5_dir))
    net = JointModel.from_e5(e5_dir, config).to(device).train()
    data = examples(rows)
    weights = intent_weights(data).to(device)
    steps = train.epochs * math.ceil(len(data) / train.batch)
    optimizer, schedule = _optimizer(net, train, steps)
    order = random.Random(train.seed)
    mixed = bf16_supported(torch.device(device))  # bf16 matmuls under fp32 weights: about 2x faster
    bar = tqdm(total=steps, desc="understanding model", unit=" batch", disable=not progress or None)
    for _ in range(train.epochs):
        order.shuffle(data)
        for start in range(0, len(data), train.batch):
            encoded, intents, tags = batch_tensors(tokenizer, data[start : start + train.batch])
            with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=mixed):
                intent_logits, tag_logits = net(encoded.input_ids.to(device), encoded.attention_mask.to(device))
            loss = _loss(intent_logits.float(), intents.to(device), tag_logits.float(), tags.to(device), weights)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    return net.eval()


def intent_weights(data: list[Example]) -> torch.Tensor:
    """Per intent, the inverse square root of its share: templates make requests plentiful,
    and small talk must not be drowned by them."""
    counts = torch.ones(len(INTENTS))
    for example in data:
        if example.intent:
            counts[INTENT_INDEX[example.intent]] += 1
    weights = (counts.sum() / counts).sqrt()
    return weights / weights.mean()


def _loss(intent_logits, intents, tag_logits, tags, weights=None) -> torch.Tensor:
    ce = torch.nn.functional.cross_entropy
    loss = torch.zeros((), device=intent_logits.device)
    if (intents != IGNORE).any():
        loss = loss + ce(intent_logits, intents, weight=weights, ignore_index=IGNORE)
    if (tags != IGNORE).any():
        loss = loss + ce(tag_logits.reshape(-1, tag_logits.shape[-1]), tags.reshape(-1), ignore_index=IGNORE)
    return loss
