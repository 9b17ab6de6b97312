"""Right-padded tensor batches of encoded event sequences, for training and scoring."""

from __future__ import annotations

import numpy as np
import torch

from .features import Sequence


def next_context(seq: Sequence, index: int) -> np.ndarray:
    """The query ids for predicting event `index`: its gap from the event before, its hour
    and weekday (a request's device and locale are unknown in stored events)."""
    return np.array([seq.gaps[index], seq.hours[index], seq.weekdays[index], 0, 0], dtype=np.int64)


_FIELDS = ("items", "signals", "gaps", "hours", "weekdays", "interest")


def collate(pieces: list[tuple[Sequence, int, int]], device: torch.device, targets: bool = True) -> dict:
    """Right-padded tensors for spans [start, end): inputs are all but the last event when
    targets is set (the next events are the targets), else the whole span."""
    size = max(end - start - targets for _, start, end in pieces)
    out = {k: np.zeros((len(pieces), size), dtype=np.float32 if k == "interest" else np.int64) for k in _FIELDS}
    out["targets"] = np.full((len(pieces), size), -1, dtype=np.int64)
    out["next_context"] = np.zeros((len(pieces), size, 5), dtype=np.int64)
    lengths = []
    for row, (seq, start, end) in enumerate(pieces):
        n = end - start - targets
        for key in _FIELDS:
            out[key][row, :n] = getattr(seq, key)[start : start + n]
        out["gaps"][row, 0] = 0  # the first event in view has no earlier one in view
        if targets:
            out["targets"][row, :n] = seq.items[start + 1 : end]
            nxt = slice(start + 1, end)
            out["next_context"][row, :n, 0] = seq.gaps[nxt]
            out["next_context"][row, :n, 1] = seq.hours[nxt]
            out["next_context"][row, :n, 2] = seq.weekdays[nxt]
        lengths.append(n)
    tensors = {k: torch.from_numpy(v).to(device) for k, v in out.items()}
    tensors["lengths"] = torch.tensor(lengths, device=device)
    return tensors
