"""Trains the interest network on users' event sequences: next-item full softmax, fixed
seeds, early stopping on each user's last event, progress and a metric per epoch."""

from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from ..settings_json import JsonSettings
from .batch import collate, next_context
from .features import Sequence
from .network import Config, InterestNet

K = 10


@dataclass(frozen=True)
class TrainConfig(JsonSettings):
    epochs: int = 120
    batch: int = 64
    lr: float = 4e-3
    weight_decay: float = 0.0
    # Epochs without a better validation NDCG@10 before stopping.
    patience: int = 15
    # Sampled softmax: uniformly drawn negatives shared by a batch (0: full softmax).
    negatives: int = 1024
    seed: int = 0



def resolve_device(name: str) -> torch.device:
    """cpu, cuda or cuda:N; cuda asked for without a GPU is a clear error, not a crash later."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"torch device {name!r} asked for, but torch sees no CUDA device")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def crop(seq: Sequence, max_len: int, rng: np.random.Generator) -> tuple[int, int]:
    """One [start, end) span of at most max_len + 1 events for an epoch: the latest events
    half of the time, else ending at a random event, so long histories are seen in full
    over the epochs while an epoch costs one span per user."""
    end = len(seq) if rng.random() < 0.5 else int(rng.integers(2, len(seq) + 1))
    return max(0, end - max_len - 1), end


@torch.inference_mode()
def validate(net: InterestNet, table: torch.Tensor, users: list[Sequence], device: torch.device) -> dict:
    """HR@10 and NDCG@10 of each user's last event from the ones before (seen items excluded)."""
    net.eval()
    hits = ndcg = 0.0
    max_len = net.config.max_len
    for chunk in range(0, len(users), 128):
        group = users[chunk : chunk + 128]
        pieces = [(s, max(0, len(s) - 1 - max_len), len(s) - 1) for s in group]
        batch = collate(pieces, device, targets=False)
        last, _ = net.encode_last(table, batch)
        context = torch.from_numpy(np.stack([next_context(s, len(s) - 1) for s in group])).to(device)
        scores = net.query(last, context) @ table.T
        assert torch.isfinite(scores).all(), "non-finite interest scores"
        for row, seq in enumerate(group):
            seen = torch.from_numpy(seq.items[:-1]).to(device)
            target = int(seq.items[-1])
            user_scores = scores[row].clone()
            user_scores[seen] = float("-inf")
            rank = int((user_scores > user_scores[target]).sum()) + 1
            if rank <= K:
                hits += 1
                ndcg += 1 / math.log2(rank + 1)
    return {f"HR@{K}": hits / max(1, len(users)), f"NDCG@{K}": ndcg / max(1, len(users))}


def fit(
    sequences: list[Sequence],
    text: np.ndarray,
    config: Config,
    train: TrainConfig,
    device: str = "cpu",
    progress: bool = True,
) -> tuple[InterestNet, dict]:
    """Trains on every user's events but the last, validating on the last; returns the
    network of the best epoch and the per-epoch history."""
    seed_everything(train.seed)
    dev = resolve_device(device)
    usable = [s for s in sequences if len(s) >= 2]
    valid = [s for s in usable if len(s) >= 3]
    trained = [_head(s) if len(s) >= 3 else s for s in usable]
    if not trained or not valid:
        raise ValueError("too few events to train on: need users with at least three events")
    net = InterestNet(config, len(text), text.shape[1]).to(dev)
    id_rows = torch.arange(1, len(text) + 1, device=dev)
    text_t = torch.from_numpy(np.ascontiguousarray(text, dtype=np.float32)).to(dev)
    optimizer = torch.optim.AdamW(net.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    order = np.random.default_rng(train.seed)
    sampler = torch.Generator().manual_seed(train.seed)
    best, best_state, stale, history = -1.0, None, 0, []
    bar = tqdm(range(1, train.epochs + 1), desc="interest epochs", unit=" epoch", disable=not progress)
    for epoch in bar:
        started = time.perf_counter()
        net.train()
        total = 0.0
        spans = [(trained[i], *crop(trained[i], config.max_len, order)) for i in order.permutation(len(trained))]
        for begin in range(0, len(spans), train.batch):
            batch = collate(spans[begin : begin + train.batch], dev)
            optimizer.zero_grad()
            negatives = None
            if 0 < train.negatives < len(text):
                negatives = torch.randint(len(text), (train.negatives,), generator=sampler).to(dev)
            loss = net.loss(net.item_table(id_rows, text_t), batch, negatives)
            loss.backward()
            optimizer.step()
            total += loss.item()
        net.eval()
        with torch.inference_mode():
            table = net.item_table(id_rows, text_t)
        metrics = validate(net, table, valid, dev)
        batches = math.ceil(len(trained) / train.batch)
        history.append({"epoch": epoch, "loss": total / batches, **metrics,
                        "seconds": round(time.perf_counter() - started, 2)})
        bar.set_postfix(loss=f"{total / batches:.3f}", ndcg=f"{metrics[f'NDCG@{K}']:.4f}")
        if progress:
            tqdm.write(f"epoch {epoch}: loss {total / batches:.4f}, valid HR@{K} {metrics[f'HR@{K}']:.4f} "
                       f"NDCG@{K} {metrics[f'NDCG@{K}']:.4f}")
        if metrics[f"NDCG@{K}"] > best:
            best, best_state, stale = metrics[f"NDCG@{K}"], copy.deepcopy(net.state_dict()), 0
        else:
            stale += 1
            if stale >= train.patience:
                break
    net.load_state_dict(best_state)
    best_epoch = max(history, key=lambda h: h[f"NDCG@{K}"])
    return net.eval(), {"epochs": history, "best": best_epoch, "train_users": len(trained),
                        "valid_users": len(valid), "train_events": int(sum(len(s) for s in trained))}


def _head(seq: Sequence) -> Sequence:
    """The sequence without its last event (held out for validation)."""
    return Sequence(**{k: v[:-1] for k, v in vars(seq).items()})
