"""Scores candidate items with a trained interest model: one padded forward for any number
of users, with the past event each score leaned on and the effect of the request's context."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import artifact
from .batch import collate
from .features import Query, Sequence
from .train import resolve_device


@dataclass(frozen=True)
class Request:
    """One user's encoded events (oldest first), the request's context, and the catalog
    positions to score."""

    sequence: Sequence
    query: Query
    candidates: np.ndarray


@dataclass
class Scored:
    # Each candidate's logit without the request's context, minus the best such logit over
    # the whole catalog (0 at the best).
    relative: np.ndarray
    # How much the request's context raised each candidate's log-probability (0 without
    # time features); relative + context_effect orders candidates as the full model does.
    context_effect: np.ndarray
    # Per candidate, the index of the event (in the request's sequence) it leaned on most; -1: none.
    evidence: np.ndarray


class InterestModel:
    """A trained interest model over a catalog's items. Items the model was not trained on
    (added since) are represented by their text vector alone."""

    def __init__(self, directory: Path, catalog_ids: list[str], text: np.ndarray, device: str = "cpu",
                 threads: int | None = None) -> None:
        if threads:
            torch.set_num_threads(threads)
        self.device = resolve_device(device)
        self.net, item_ids, self.manifest = artifact.load(directory, self.device)
        self.version = self.manifest["version"]
        self.max_len = self.net.config.max_len
        rows = {item: row for row, item in enumerate(item_ids, 1)}
        id_rows = torch.tensor([rows.get(i, 0) for i in catalog_ids], device=self.device)
        self.unknown_items = int((id_rows == 0).sum())
        text_t = torch.from_numpy(np.ascontiguousarray(text, dtype=np.float32)).to(self.device)
        with torch.inference_mode():
            self.table = self.net.item_table(id_rows, text_t)
            self.unit = F.normalize(self.table, dim=-1)

    @classmethod
    def for_catalog(cls, directory: Path, catalog_dir: Path, device: str = "cpu",
                    threads: int | None = None) -> InterestModel:
        """The model at `directory` over the items of the built catalog at `catalog_dir`."""
        from convrec_kit import artifacts

        catalog = artifacts.load_catalog(catalog_dir)
        text = np.load(artifacts.require(catalog_dir / artifacts.EMBEDDINGS_FILE, "item embeddings"))
        return cls(directory, [item.item_id for item in catalog.items], text, device, threads)

    def score(self, sequence: Sequence, query: Query, candidates: np.ndarray) -> Scored:
        return self.score_many([Request(sequence, query, candidates)])[0]

    @torch.inference_mode()
    def full(self, sequence: Sequence, query: Query) -> np.ndarray:
        """Log-probabilities over the whole catalog (for offline evaluation)."""
        logits, _, _, _ = self._forward([Request(sequence, query, np.zeros(0, dtype=np.int64))])
        return F.log_softmax(logits[0], -1).cpu().numpy()

    @torch.inference_mode()
    def score_many(self, requests: list[Request]) -> list[Scored]:
        if not requests:
            return []
        logits, neutral, attention, starts = self._forward(requests)
        out = []
        for row, request in enumerate(requests):
            out.append(self._scored(request, logits[row], None if neutral is None else neutral[row],
                                    attention[row], starts[row]))
        return out

    def _forward(self, requests: list[Request]):
        for request in requests:
            if len(request.sequence) == 0:
                raise ValueError("an interest request needs at least one event")
        pieces = [(r.sequence, max(0, len(r.sequence) - self.max_len), len(r.sequence)) for r in requests]
        batch = collate(pieces, self.device, targets=False)
        last, attention = self.net.encode_last(self.table, batch)
        context = torch.from_numpy(np.stack([r.query.as_array() for r in requests])).to(self.device)
        logits = self.net.query(last, context) @ self.table.T
        if not torch.isfinite(logits).all():
            raise FloatingPointError("interest model produced non-finite scores")
        neutral = None
        if self.net.config.time:
            neutral = self.net.query(last, torch.zeros_like(context)) @ self.table.T
        return logits, neutral, attention, [start for _, start, _ in pieces]

    def _scored(self, request: Request, logits, neutral, attention, start: int) -> Scored:
        candidates = torch.from_numpy(np.asarray(request.candidates, dtype=np.int64)).to(self.device)
        base = logits if neutral is None else neutral
        relative = base[candidates] - base.max()
        effect = torch.zeros_like(relative)
        if neutral is not None:
            effect = (F.log_softmax(logits, -1) - F.log_softmax(neutral, -1))[candidates]
        seq = request.sequence
        items = torch.from_numpy(seq.items[start:]).to(self.device)
        positive = torch.from_numpy(seq.interest[start:] >= 0).to(self.device)
        affinity = (self.unit[candidates] @ self.unit[items].T).clamp(min=0)
        lean = affinity * attention[: len(items)][None] * positive[None]
        best = lean.argmax(1) if len(items) else torch.zeros(len(candidates), dtype=torch.long)
        has = lean.max(1).values > 0 if len(items) else torch.zeros(len(candidates), dtype=torch.bool)
        evidence = torch.where(has, best + start, torch.full_like(best, -1))
        return Scored(relative.cpu().numpy(), effect.cpu().numpy(), evidence.cpu().numpy())
