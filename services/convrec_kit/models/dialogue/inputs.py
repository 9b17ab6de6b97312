"""What the dialogue encoder reads: the dialogue's recent turns (each as a sentence vector,
with its speaker) and the items mentioned so far, oldest first; padded into batches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

USER, ASSISTANT = 0, 1
ROLES = 2


@dataclass(frozen=True)
class DialogueInput:
    turn_vectors: np.ndarray  # (turns, dim), oldest first; the current utterance last
    roles: tuple[int, ...]  # USER or ASSISTANT per turn
    items: tuple[int, ...]  # catalog positions of the items mentioned, oldest first


@dataclass
class Batch:
    turns: torch.Tensor  # (B, T, dim)
    turn_mask: torch.Tensor  # (B, T) bool
    roles: torch.Tensor  # (B, T)
    turn_age: torch.Tensor  # (B, T): 0 for the latest turn
    items: torch.Tensor  # (B, I) catalog positions
    item_mask: torch.Tensor  # (B, I) bool
    item_age: torch.Tensor  # (B, I): 0 for the latest mention

    def to(self, device: torch.device) -> Batch:
        return Batch(*(getattr(self, f).to(device) for f in self.__dataclass_fields__))


def batch(inputs: list[DialogueInput], dim: int, max_turns: int, max_items: int) -> Batch:
    """The most recent `max_turns` turns and `max_items` mentions of each input."""
    size = len(inputs)
    turns = torch.zeros(size, max_turns, dim)
    turn_mask = torch.zeros(size, max_turns, dtype=torch.bool)
    roles = torch.zeros(size, max_turns, dtype=torch.long)
    turn_age = torch.zeros(size, max_turns, dtype=torch.long)
    items = torch.zeros(size, max_items, dtype=torch.long)
    item_mask = torch.zeros(size, max_items, dtype=torch.bool)
    item_age = torch.zeros(size, max_items, dtype=torch.long)
    for row, one in enumerate(inputs):
        vectors = np.asarray(one.turn_vectors, dtype=np.float32)[-max_turns:]
        n = len(vectors)
        if n:
            turns[row, :n] = torch.from_numpy(vectors)
            turn_mask[row, :n] = True
            roles[row, :n] = torch.tensor(one.roles[-n:])
            turn_age[row, :n] = torch.arange(n - 1, -1, -1)
        mentioned = list(dict.fromkeys(one.items))[-max_items:]
        if mentioned:
            k = len(mentioned)
            items[row, :k] = torch.tensor(mentioned)
            item_mask[row, :k] = True
            item_age[row, :k] = torch.arange(k - 1, -1, -1)
    return Batch(turns, turn_mask, roles, turn_age, items, item_mask, item_age)


# Characters of one turn the encoder reads (the start of a long message carries its request).
TURN_CHARS = 500


def clip_turn(text: str) -> str:
    return text.strip()[:TURN_CHARS]
