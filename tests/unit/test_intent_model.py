"""The trained intent classifier in artifacts/models/intent."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convrec_kit.models.intent import LABELS, NGRAM_DIM, IntentModel, char_ngrams
from convrec_kit.models.minilm import MiniLMEncoder
from convrec_kit.settings import REPO_ROOT

MODEL_DIR = REPO_ROOT / "artifacts" / "models" / "intent"


@pytest.fixture(scope="module")
def model():
    if not (MODEL_DIR / "manifest.json").exists():
        pytest.fail("the intent model is missing: run `convrec build` first")
    return IntentModel(MODEL_DIR, MiniLMEncoder())


def test_manifest_reports_good_held_out_accuracy():
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text())
    assert manifest["held_out_accuracy"] >= 0.75
    assert manifest["labels"] == list(LABELS)
    assert manifest["held_out_examples"] > 0
    for language in ("en", "zh"):
        assert manifest["held_out_accuracy_by_language"][language] >= 0.7


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("hello", "GREETING"),
        ("你好", "GREETING"),
        ("why did you recommend that?", "ASK_EXPLANATION"),
        ("recommend a sci-fi movie", "RECOMMEND"),
        ("book me a flight to Paris", "OUT_OF_SCOPE"),
        ("bye, thanks!", "GOODBYE"),
        ("推荐一部科幻电影", "RECOMMEND"),
        ("who directed it?", "ASK_DETAILS"),
    ],
)
def test_clear_utterances(model, text, label):
    [probs] = model.predict([text])
    assert LABELS[int(np.argmax(probs))] == label


def test_predict_returns_probabilities(model):
    probs = model.predict(["hello", "recommend a sci-fi movie", "你好"])
    assert probs.shape == (3, len(LABELS))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs >= 0).all()
    assert model.predict([]).shape == (0, len(LABELS))


def test_batch_and_single_predictions_agree(model):
    texts = ["hello", "why did you recommend that?"]
    together = model.predict(texts)
    alone = np.vstack([model.predict([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-4)


def test_char_ngrams_are_stable_unit_vectors():
    grams = char_ngrams(["Hello", "hello ", ""])
    assert grams.shape == (3, NGRAM_DIM)
    np.testing.assert_allclose(np.linalg.norm(grams[0]), 1.0, atol=1e-6)
    np.testing.assert_array_equal(grams[0], grams[1])  # case and outer spaces do not matter
    # "" is padded to "  ": one 2-gram and two 1-grams of " "
    assert np.count_nonzero(grams[2]) == 2


def test_wrong_labels_are_rejected(tmp_path):
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text())
    manifest["labels"] = list(reversed(manifest["labels"]))
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="format or labels"):
        IntentModel(tmp_path, encoder=object())
