"""Intent classifier: a small head over MiniLM sentence embeddings and character n-grams.

MiniLM's vocabulary is English, so Chinese text reaches it mostly as unknown tokens;
hashed character 1-3-grams carry the Chinese (and typo-robust English) signal."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..text import detect_language
from .minilm import DIMENSION, MiniLMEncoder

LABELS = (
    "RECOMMEND",
    "REFINE",
    "FEEDBACK_POSITIVE",
    "FEEDBACK_NEGATIVE",
    "ASK_EXPLANATION",
    "ASK_DETAILS",
    "GREETING",
    "GOODBYE",
    "CHITCHAT",
    "OUT_OF_SCOPE",
)
NGRAM_DIM = 16384
# Sentence embeddings are weighted over the n-grams (both are unit vectors).
EMBEDDING_SCALE = 2.0
HIDDEN = 256
FORMAT_VERSION = 2


def char_ngrams(texts: list[str], dim: int = NGRAM_DIM) -> np.ndarray:
    """L2-normalised counts of hashed character 1-3-grams (stable across runs)."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        padded = f" {text.lower().strip()} "
        for n in (1, 2, 3):
            for i in range(len(padded) - n + 1):
                out[row, zlib.crc32(padded[i : i + n].encode()) % dim] += 1.0
        norm = np.linalg.norm(out[row])
        if norm > 0:
            out[row] /= norm
    return out


class IntentHead(nn.Module):
    def __init__(self, n_labels: int = len(LABELS), ngram_dim: int = NGRAM_DIM) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(DIMENSION + ngram_dim, HIDDEN),
            nn.GELU(),
            nn.Dropout(0.2),
            nn.Linear(HIDDEN, n_labels),
        )

    def forward(self, embeddings: torch.Tensor, ngrams: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([embeddings * EMBEDDING_SCALE, ngrams], dim=-1))


# The head used for each language, the encoder it reads and its weights file. English
# keeps MiniLM; Chinese (and mixed) text goes through multilingual-e5-small.
HEADS = {"en": ("minilm", "head.safetensors"), "zh": ("e5", "head_e5.safetensors")}


def save_heads(heads: dict[str, IntentHead], directory: Path, manifest: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for language, head in heads.items():
        weights = {k: v.contiguous() for k, v in head.state_dict().items()}
        save_file(weights, directory / HEADS[language][1])
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "labels": list(LABELS),
        "ngram_dim": NGRAM_DIM,
        "hidden": HIDDEN,
        "heads": {language: {"encoder": enc, "file": file} for language, (enc, file) in HEADS.items()},
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))


class IntentModel:
    """Encoders + heads: texts in, label probabilities out. Each text goes to the head of its
    language; each head runs one forward pass over its part of the batch."""

    name = "intent_classifier"

    def __init__(self, directory: Path, encoder: MiniLMEncoder | None = None, e5=None, device: str = "cpu") -> None:
        manifest = json.loads((directory / "manifest.json").read_text())
        if manifest.get("format_version") != FORMAT_VERSION or tuple(manifest["labels"]) != LABELS:
            raise ValueError(f"{directory}: intent model format or labels do not match this code; rebuild it")
        self.manifest = manifest
        self.encoder = encoder or MiniLMEncoder(device=device)
        if e5 is None:
            from .e5 import E5Encoder
            from .e5_convert import E5_DIR

            e5 = E5Encoder(directory.parents[1] / E5_DIR, device=str(self.encoder.device))
        self.encoders = {"minilm": self.encoder.encode, "e5": lambda texts: e5.encode(texts, "query")}
        self.device = self.encoder.device
        self.heads: dict[str, IntentHead] = {}
        for language, (_, file) in HEADS.items():
            head = IntentHead()
            head.load_state_dict(load_file(directory / file))
            self.heads[language] = head.eval().to(self.device)

    @torch.inference_mode()
    def predict(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        languages = ["zh" if detect_language(t) == "zh" else "en" for t in texts]
        for language, (encoder, _) in HEADS.items():
            rows = [i for i, lang in enumerate(languages) if lang == language]
            if not rows:
                continue
            part = [texts[i] for i in rows]
            embeddings = torch.from_numpy(self.encoders[encoder](part)).to(self.device)
            ngrams = torch.from_numpy(char_ngrams(part)).to(self.device)
            logits = self.heads[language](embeddings, ngrams)
            out[rows] = torch.softmax(logits, dim=-1).float().cpu().numpy()
        return out
