"""multilingual-e5-small sentence encoder in torch (English, Chinese and ~100 more languages).

Loads the BertModel that `e5_convert.convert` writes. Mean pooling, L2-normalised, 384-d; the
"query: " / "passage: " prefixes the model was trained with are added here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from transformers import AutoTokenizer, BertModel

from ..artifacts import require

DIMENSION = 384
MAX_TOKENS = 512
PREFIXES = {"query": "query: ", "passage": "passage: "}
# CPU flags with native bf16 matmuls; without them bf16 is emulated and slower than fp32.
BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@cache
def cpu_supports_bf16() -> bool:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return not BF16_CPU_FLAGS.isdisjoint(line.split(":", 1)[1].split())
    return False


def bf16_supported(device: torch.device) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_supports_bf16()


class E5Encoder:
    """Encodes a batch of queries or passages in one forward pass."""

    name = "multilingual_encoder"

    def __init__(self, path: Path, threads: int | None = None, force_fp32: bool = False, device: str = "cpu") -> None:
        if threads:
            torch.set_num_threads(threads)
        if device.startswith("cuda") and not torch.cuda.is_available():
            device = "cpu"
        self.device = torch.device(device)
        self.dtype = torch.bfloat16 if not force_fp32 and bf16_supported(self.device) else torch.float32
        require(path / "model.safetensors", "converted multilingual-e5-small")
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        model = BertModel.from_pretrained(str(path), add_pooling_layer=False, dtype=self.dtype)
        self.model = model.eval().to(self.device)

    @torch.inference_mode()
    def encode(self, texts: list[str], kind: Literal["query", "passage"] = "query") -> np.ndarray:
        if kind not in PREFIXES:
            raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        prefix = PREFIXES[kind]
        batch = self.tokenizer(
            [prefix + text for text in texts],
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors="pt",
            return_token_type_ids=False,
        ).to(self.device)
        hidden = self.model(**batch).last_hidden_state.float()
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy()
