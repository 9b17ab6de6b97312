"""Trains the dialogue head with a full softmax over every catalog item (each training
case's target against all other items as negatives), fixed seed, CPU or GPU."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..settings_json import JsonSettings
from .inputs import DialogueInput, batch
from .network import Config, DialogueNet


@dataclass(frozen=True)
class TrainConfig(JsonSettings):
    # Chosen on a dev split of the ReDial training part (README, "The dialogue model").
    epochs: int = 12
    batch_size: int = 64
    lr: float = 5e-4
    weight_decay: float = 0.1
    seed: int = 42


@dataclass(frozen=True)
class Example:
    dialogue: DialogueInput
    target: int  # catalog position of the item the recommender named


def recall(net: DialogueNet, examples: list[Example], ks=(10, 50), device: str = "cpu") -> dict[str, float]:
    """Share of examples whose target ranks within k over all items."""
    hits = {k: 0 for k in ks}
    net.eval()
    with torch.no_grad():
        for start in range(0, len(examples), 256):
            chunk = examples[start : start + 256]
            scores = net(_batch(net, chunk).to(torch.device(device)))
            target = torch.tensor([e.target for e in chunk], device=scores.device)
            ranks = (scores > scores.gather(1, target[:, None])).sum(1)
            for k in ks:
                hits[k] += int((ranks < k).sum())
    return {f"R@{k}": hits[k] / max(1, len(examples)) for k in ks}


def _batch(net: DialogueNet, examples: list[Example]):
    c = net.config
    return batch([e.dialogue for e in examples], net.dim, c.max_turns, c.max_items)


def fit(examples: list[Example], item_vectors: np.ndarray, log_popularity: np.ndarray, config: Config,
        train: TrainConfig, device: str = "cpu", progress: bool = True,
        dev: list[Example] | None = None) -> tuple[DialogueNet, dict]:
    if not examples:
        raise ValueError("no training examples")
    torch.manual_seed(train.seed)
    order = list(range(len(examples)))
    net = DialogueNet(config, item_vectors.shape[1], len(item_vectors))
    net.item_vectors.copy_(torch.from_numpy(np.asarray(item_vectors, dtype=np.float32)))
    net.log_popularity.copy_(torch.from_numpy(np.asarray(log_popularity, dtype=np.float32)))
    target_device = torch.device(device)
    net.to(target_device)
    optimiser = torch.optim.AdamW(net.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    curve = []
    for epoch in range(train.epochs):
        random.Random(train.seed + epoch).shuffle(order)
        net.train()
        total, steps = 0.0, 0
        starts = range(0, len(order), train.batch_size)
        for start in tqdm(starts, desc=f"dialogue model epoch {epoch + 1}/{train.epochs}", disable=not progress):
            chunk = [examples[i] for i in order[start : start + train.batch_size]]
            target = torch.tensor([e.target for e in chunk], device=target_device)
            loss = F.cross_entropy(net(_batch(net, chunk).to(target_device)), target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total, steps = total + loss.item(), steps + 1
        point = {"epoch": epoch + 1, "loss": round(total / steps, 4)}
        if dev:
            point |= {k: round(v, 4) for k, v in recall(net, dev, device=device).items()}
        curve.append(point)
    return net.eval(), {"curve": curve}
