"""The dialogue model's head: batching, the untrained net's similarity scoring, training on a
learnable toy task, and versioned artifacts that refuse another catalog."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from convrec_kit.models.dialogue import artifact
from convrec_kit.models.dialogue.inputs import ASSISTANT, USER, DialogueInput, batch
from convrec_kit.models.dialogue.network import Config, DialogueNet
from convrec_kit.models.dialogue.pipeline import TextCase, log_popularity
from convrec_kit.models.dialogue.train import Example, TrainConfig, fit, recall

DIM, ITEMS = 16, 40


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def vectors() -> np.ndarray:
    return unit(np.random.default_rng(0).normal(size=(ITEMS, DIM)).astype(np.float32))


def test_batch_keeps_the_latest_turns_and_mentions():
    one = DialogueInput(np.ones((5, DIM)), (USER, ASSISTANT, USER, ASSISTANT, USER), (3, 4, 3, 7))
    b = batch([one, DialogueInput(np.zeros((0, DIM)), (), ())], DIM, max_turns=3, max_items=2)
    assert b.turn_mask.tolist() == [[True] * 3, [False] * 3]
    assert b.roles[0].tolist() == [USER, ASSISTANT, USER] and b.turn_age[0].tolist() == [2, 1, 0]
    assert b.items[0].tolist() == [4, 7] and b.item_age[0].tolist() == [1, 0]  # distinct, latest kept
    assert not b.item_mask[1].any()


def test_untrained_net_ranks_by_similarity_to_the_turn(vectors):
    net = DialogueNet(Config(), DIM, ITEMS)
    net.item_vectors.copy_(torch.from_numpy(vectors))
    asked = DialogueInput(vectors[[11]], (USER,), ())
    scores = net(batch([asked], DIM, 12, 20))[0]
    assert int(scores.argmax()) == 11


def test_training_learns_what_the_recommender_names(vectors):
    # The recommender always answers a turn close to item i with item (i + 1) % ITEMS.
    rng = np.random.default_rng(1)
    def example(i: int) -> Example:
        turn = unit(vectors[[i]] + 0.05 * rng.normal(size=(1, DIM)).astype(np.float32))
        return Example(DialogueInput(turn, (USER,), ()), (i + 1) % ITEMS)
    train = [example(i % ITEMS) for i in range(800)]
    dev = [example(i) for i in range(ITEMS)]
    net, info = fit(train, vectors, np.zeros(ITEMS), Config(), TrainConfig(epochs=30, lr=1e-2), progress=False)
    untrained = DialogueNet(Config(), DIM, ITEMS)
    untrained.item_vectors.copy_(torch.from_numpy(vectors))
    assert recall(untrained, dev, ks=(1,))["R@1"] < 0.1
    assert recall(net, dev, ks=(1,))["R@1"] > 0.5
    assert info["curve"][-1]["loss"] < info["curve"][0]["loss"]


def test_log_popularity_counts_dialogues_not_mentions():
    cases = [TextCase("d1", (), ("a",), ("b",)), TextCase("d1", (), ("a", "b"), ("b",)), TextCase("d2", (), (), ("b",))]
    assert np.allclose(log_popularity(cases, ["a", "b", "c"]), np.log1p([1, 2, 0]))


def test_artifacts_round_trip_and_point_at_the_current_version(tmp_path, vectors):
    net = DialogueNet(Config(max_turns=4), DIM, ITEMS)
    net.item_vectors.copy_(torch.from_numpy(vectors))
    ids = [f"i{k}" for k in range(ITEMS)]
    directory = artifact.save(tmp_path, "v1", net, ids, {"source": "test"})
    assert artifact.current(tmp_path) == directory
    loaded, item_ids, manifest = artifact.load(directory, torch.device("cpu"))
    assert item_ids == ids and manifest["config"]["max_turns"] == 4 and manifest["version"] == "v1"
    assert torch.equal(loaded.item_vectors, net.item_vectors)
    (directory / artifact.MANIFEST_FILE).write_text(json.dumps({**manifest, "format_version": 0}))
    with pytest.raises(ValueError, match="convrec train dialogue"):
        artifact.read_manifest(directory)


def test_wire_round_trip_and_bad_tensors(vectors):
    from convrec_kit.models.dialogue import wire

    one = DialogueInput(vectors[:3], (USER, ASSISTANT, USER), (5, 2))
    back = wire.request_from(wire.request_tensors(one), ITEMS, DIM)
    assert np.array_equal(back.turn_vectors, one.turn_vectors) and back.roles == one.roles and back.items == (5, 2)
    assert wire.request_from(wire.request_tensors(DialogueInput(vectors[:1], (USER,), ())), ITEMS, DIM).items == ()
    bad = [("ITEMS", np.array([[ITEMS]])), ("ROLES", np.array([[0, 1, 2]])), ("ROLES", np.array([[0, 1]])),
           ("TURNS", np.full((1, 3, DIM), np.nan, dtype=np.float32)), ("TURNS", np.zeros((1, 3, DIM + 1)))]
    for name, value in bad:
        with pytest.raises(ValueError):
            wire.request_from({**wire.request_tensors(one), name: value}, ITEMS, DIM)
