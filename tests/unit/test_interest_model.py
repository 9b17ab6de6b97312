"""The interest model: its features, masking, training on a synthetic taste pattern, the
versioned artifact, and scoring (padding, truncation, unknown items, dislikes)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from convrec.common.v1 import common_pb2
from convrec_kit import artifacts
from convrec_kit.models.interest import artifact, features
from convrec_kit.models.interest.data import chronological, from_records
from convrec_kit.models.interest.features import Event, Query, encode
from convrec_kit.models.interest.network import InterestNet, attention_mask
from convrec_kit.models.interest.pipeline import train_from_records
from convrec_kit.models.interest.scorer import InterestModel, Request
from convrec_kit.models.interest.train import TrainConfig, resolve_device

from .interest_fixtures import DAY, FAST, SMALL, train_synthetic

FT = common_pb2.FeedbackType


def test_features_bucket_time_and_name_signals():
    assert features.gap_bucket(None) == 0 and features.gap_bucket(10) == 1 and features.gap_bucket(60) == 2
    assert features.gap_bucket(3600) == 2 + 5 and features.gap_bucket(1e12) == features.GAP_BUCKETS - 1
    assert features.clock(None) == (0, 0) and features.clock(0) == (1, 4)  # 1970-01-01 00:00 was a Thursday
    ratings = {features.signal(FT.FEEDBACK_TYPE_RATE, v) for v in np.arange(0.5, 5.01, 0.5)}
    assert len(ratings) == 10 and max(ratings) < features.SIGNALS
    kinds = {features.signal(t, 0) for t in (FT.FEEDBACK_TYPE_LIKE, FT.FEEDBACK_TYPE_DISLIKE, FT.FEEDBACK_TYPE_SEEN)}
    assert len(kinds) == 3 and not kinds & ratings and 0 not in kinds
    assert features.device_id("Phone") == features.DEVICES.index("mobile") and features.language_id("zh-CN") == 2
    seq = encode([Event(3, FT.FEEDBACK_TYPE_LIKE, 0, 0.0), Event(4, FT.FEEDBACK_TYPE_DISLIKE, 0, 7200.0)])
    assert list(seq.gaps) == [0, features.gap_bucket(7200)] and list(seq.interest) == [1.0, -1.0]
    assert features.describe(Query.at(2 * DAY - 3600, 0.0, "tv")).startswith("Friday, 23:00 UTC, over 1 day")


def test_ties_are_shuffled_by_seed_never_by_id():
    rows = [(t, i) for i in range(40) for t in (0, 1)]
    order = lambda seed: chronological(rows, lambda r: r[0], lambda r: r, seed, "user")  # noqa: E731
    assert order(0) == order(0) and order(0) != order(1)
    assert [r[0] for r in order(0)] == sorted(r[0] for r in rows)
    assert [r[1] for r in order(0)[:40]] != list(range(40))
    assert order(0) == chronological(list(reversed(rows)), lambda r: r[0], lambda r: r, 0, "user")


def test_the_mask_never_leaves_a_row_empty_and_padding_gives_no_nan():
    allowed = attention_mask(torch.tensor([3, 1]), 4)
    assert allowed.any(-1).all()
    assert not allowed[1, 0, 1:].any() and allowed[0, 2, :3].all() and not allowed[0, 1, 2]
    net = InterestNet(SMALL, 10, 8).eval()
    table = net.item_table(torch.arange(1, 11), torch.randn(10, 8))
    batch = {k: torch.zeros(2, 4, dtype=torch.long) for k in ("items", "signals", "gaps", "hours", "weekdays")}
    batch |= {"interest": torch.zeros(2, 4), "lengths": torch.tensor([4, 1])}
    batch["items"] = torch.tensor([[1, 2, 3, 4], [5, 0, 0, 0]])
    with torch.inference_mode():
        hidden = net.encode(table, batch)
        last, weights = net.encode_last(table, batch)
    assert torch.isfinite(hidden).all() and torch.isfinite(weights).all()
    torch.testing.assert_close(last, hidden[torch.arange(2), batch["lengths"] - 1], atol=1e-5, rtol=1e-5)
    assert weights[1, 1:].sum() == 0 and torch.allclose(weights.sum(-1), torch.ones(2))


def test_cuda_without_a_gpu_is_a_clear_error():
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            resolve_device("cuda")
        assert resolve_device("auto").type == "cpu"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, catalog_dir, catalog):
    return train_synthetic(catalog_dir, catalog, tmp_path_factory.mktemp("interest"))


def test_training_writes_a_versioned_artifact_and_reuses_it(trained):
    work, directory, manifest, records = trained
    assert artifact.current(work) == directory and directory.parent == work / "interest"
    for key in ("data_sha256", "catalog_sha256", "seed", "config", "train", "metrics", "version", "users"):
        assert key in manifest, key
    assert manifest["config"]["dim"] == SMALL.dim and manifest["seed"] == FAST.seed
    assert manifest["users"] == 150 and manifest["events"] == 1500
    assert len(manifest["metrics"]["epochs"]) >= 1 and manifest["metrics"]["validation"]["HR@10"] > 0.3
    weights = directory / artifact.WEIGHTS_FILE
    before = weights.stat().st_mtime_ns
    again, _ = train_from_records(work, records, "synthetic", "synthetic", SMALL, FAST, progress=False)
    assert again == directory and weights.stat().st_mtime_ns == before


def test_training_is_reproducible(trained, catalog):
    work, directory, _, records = trained
    users, _ = from_records(records, catalog.index, FAST.seed)
    short = TrainConfig(**{**FAST.to_json(), "epochs": 2})
    from convrec_kit.models.interest.train import fit

    text = np.load(work / artifacts.EMBEDDINGS_FILE)
    one, _ = fit([encode(e) for e in users.values()], text, SMALL, short, progress=False)
    two, _ = fit([encode(e) for e in users.values()], text, SMALL, short, progress=False)
    for (name, a), (_, b) in zip(one.state_dict().items(), two.state_dict().items()):
        assert torch.equal(a, b), name


@pytest.fixture(scope="module")
def model(trained, catalog):
    work, directory, _, _ = trained
    return InterestModel.for_catalog(directory, work)


def events(catalog, kinds: list[tuple[int, int]]) -> encode:
    return encode([Event(pos, kind, 0.0, 1.7e9 + i * 3600) for i, (pos, kind) in enumerate(kinds)])


def test_a_dislike_pushes_the_disliked_kind_away(model, catalog):
    like, dislike = FT.FEEDBACK_TYPE_LIKE, FT.FEEDBACK_TYPE_DISLIKE
    query = Query.at(1.7e9 + 10 * 3600, 1.7e9 + 2 * 3600)
    liked = model.full(events(catalog, [(0, like), (1, like), (2, like)]), query)
    disliked = model.full(events(catalog, [(0, like), (1, like), (2, dislike)]), query)
    assert liked[:15].mean() > liked[15:30].mean()
    assert disliked[15:30].mean() > disliked[:15].mean()
    assert np.isfinite(liked).all() and np.isfinite(disliked).all()


def test_padding_does_not_change_a_score_and_long_histories_are_cut(model, catalog):
    short = events(catalog, [(3, FT.FEEDBACK_TYPE_LIKE)])
    long = events(catalog, [(i % 30, FT.FEEDBACK_TYPE_LIKE) for i in range(40)])
    query, candidates = Query.neutral(), np.arange(30)
    alone = [model.score(s, query, candidates) for s in (short, long)]
    together = model.score_many([Request(short, query, candidates), Request(long, query, candidates)])
    for a, b in zip(alone, together):
        np.testing.assert_allclose(a.relative, b.relative, atol=1e-4)
        assert (a.evidence == b.evidence).all()
    assert together[1].evidence.min() >= 40 - SMALL.max_len  # only the most recent events are read
    assert (together[0].evidence == 0).any() and together[0].relative.max() <= 0


def test_items_the_model_never_saw_are_scored_by_their_text(trained, catalog):
    work, directory, _, _ = trained
    ids = [item.item_id for item in catalog.items]
    text = np.load(work / artifacts.EMBEDDINGS_FILE)
    grown = InterestModel(directory, [*ids, "new-item"], np.vstack([text, text[5:6]]))
    assert grown.unknown_items == 1
    scores = grown.full(events(catalog, [(5, FT.FEEDBACK_TYPE_LIKE)]), Query.neutral())
    assert np.isfinite(scores).all() and scores[-1] > np.median(scores[:-1])


def test_the_manifest_format_is_checked(trained, tmp_path):
    _, directory, _, _ = trained
    copy = tmp_path / "v"
    shutil.copytree(directory, copy)
    manifest = json.loads((copy / artifact.MANIFEST_FILE).read_text())
    (copy / artifact.MANIFEST_FILE).write_text(json.dumps({**manifest, "format_version": 0}))
    with pytest.raises(ValueError, match="retrain"):
        artifact.load(copy, torch.device("cpu"))
