"""The trained understanding model: its artifact on disk, and texts in, intents and spans out
(embedded, or inside Triton with the same `forward_arrays`)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from transformers import AutoTokenizer

from ..e5 import bf16_supported
from .decoding import decode_spans
from .encoding import encode
from .labels import INTENTS, TAGS
from .markup import Span
from .network import Config, JointModel
from .viterbi import best_tags

FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
MANIFEST_FILE = "manifest.json"
FROZEN = "encoder.embeddings.word_embeddings.weight"  # not trained: read from the base encoder


def save(directory: Path, net: JointModel, manifest: dict) -> None:
    """Weights (all but the frozen word embeddings) and manifest, replacing `directory` at once."""
    tmp = directory.with_name(f".{directory.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items() if k != FROZEN}
    save_file(state, str(tmp / WEIGHTS_FILE))
    full = {"format_version": FORMAT_VERSION, "intents": list(INTENTS), "tags": list(TAGS), **manifest}
    (tmp / MANIFEST_FILE).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n")
    if directory.exists():
        shutil.rmtree(directory)
    os.replace(tmp, directory)


def update_manifest(directory: Path, extra: dict) -> None:
    """Adds fields to a saved model's manifest (written atomically), the weights untouched."""
    path = directory / MANIFEST_FILE
    manifest = {**json.loads(path.read_text()), **extra}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_manifest(directory: Path) -> dict:
    path = directory / MANIFEST_FILE
    if not path.exists():
        raise FileNotFoundError(f"no understanding model at {directory}; run `convrec build`")
    manifest = json.loads(path.read_text())
    if (
        manifest.get("format_version") != FORMAT_VERSION
        or tuple(manifest["intents"]) != INTENTS
        or tuple(manifest["tags"]) != TAGS
    ):
        raise ValueError(f"{directory}: understanding model format or labels do not match this code; rebuild it")
    return manifest


def base_word_embeddings(e5_dir: Path) -> torch.Tensor:
    """The converted encoder's word embeddings alone (the rest of it is not needed here)."""
    with safe_open(str(e5_dir / "model.safetensors"), "pt") as weights:
        return weights.get_tensor(FROZEN.removeprefix("encoder."))


@dataclass
class Understood:
    probs: np.ndarray  # over INTENTS
    spans: list[tuple[Span, float]]  # with the mean tag probability of their tokens


class UnderstandingModel:
    """Batches of utterances (each with the assistant's last reply, or "") in one forward."""

    name = "understanding_model"

    def __init__(self, directory: Path, e5_dir: Path, device: str = "cpu", force_fp32: bool = False,
                 word_embeddings: torch.Tensor | None = None) -> None:
        """`word_embeddings`: the base encoder's, when it is loaded already (the intent service
        links spans with it): shared rather than read again, when device and dtype match."""
        self.manifest = read_manifest(directory)
        if device.startswith("cuda") and not torch.cuda.is_available():
            device = "cpu"
        self.device = torch.device(device)
        self.dtype = torch.bfloat16 if not force_fp32 and bf16_supported(self.device) else torch.float32
        self.tokenizer = AutoTokenizer.from_pretrained(str(e5_dir))
        words = word_embeddings if word_embeddings is not None else base_word_embeddings(e5_dir)
        net = JointModel.for_weights(e5_dir, Config.from_json(self.manifest["config"]), words.detach())
        missing, unexpected = net.load_state_dict(load_file(str(directory / WEIGHTS_FILE)), strict=False)
        if unexpected or set(missing) != {FROZEN}:
            raise ValueError(
                f"{directory}: weights do not fit the network (missing {missing}, unexpected {unexpected})"
            )
        self.net = net.to(self.device, self.dtype).eval()

    @torch.inference_mode()
    def forward_arrays(self, input_ids: np.ndarray, attention_mask: np.ndarray):
        """(intent probabilities, per-token tag probabilities) for token id arrays."""
        ids = torch.from_numpy(input_ids).to(self.device)
        mask = torch.from_numpy(attention_mask).to(self.device)
        intent_logits, tag_logits = self.net(ids, mask)
        return intent_logits.float().softmax(-1).cpu().numpy(), tag_logits.float().softmax(-1).cpu().numpy()

    def predict(self, texts: list[str], contexts: list[str] | None = None) -> list[Understood]:
        if not texts:
            return []
        encoded = encode(self.tokenizer, texts, contexts)
        probs, tag_probs = self.forward_arrays(encoded.input_ids.numpy(), encoded.attention_mask.numpy())
        return [Understood(probs[row], self._spans(text, encoded.offsets[row], tag_probs[row]))
                for row, text in enumerate(texts)]

    @staticmethod
    def _spans(text: str, offsets: list, tag_probs: np.ndarray) -> list[tuple[Span, float]]:
        tags, scores = best_tags(tag_probs, [o is not None for o in offsets])
        return decode_spans(text, offsets, tags, scores)
