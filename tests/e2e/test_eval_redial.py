"""`convrec eval redial` end to end on a few shared ReDial dialogues: import, split, build,
four services, stateless replay over gRPC, baselines, the table."""

from __future__ import annotations

import csv
import json

from convrec_cli.main import main
from convrec_data import redial as rd

from .helpers import SHARED_DATA, needs_shared

REDIAL = SHARED_DATA / "redial"
pytestmark = needs_shared(REDIAL / "train_sample_1000.jsonl", "ReDial data")


def small_redial(folder, dialogues: int = 20, extra_movies: int = 30):
    """The first dialogues, with the movies they mention and some others."""
    folder.mkdir()
    records = [json.loads(line) for line in (REDIAL / "train_sample_1000.jsonl").open()][:dialogues]
    mentioned = {m for r in records for m in r["movieMentions"]}
    with (REDIAL / "movies.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    keep = [r for i, r in enumerate(rows) if r["movieId"] in mentioned or i < extra_movies]
    with (folder / "movies.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["movieId", "movieName"])
        writer.writeheader()
        writer.writerows(keep)
    metadata = json.loads((REDIAL / "movie_metadata.json").read_text())
    ids = {r["movieId"] for r in keep}
    (folder / "movie_metadata.json").write_text(json.dumps({k: v for k, v in metadata.items() if k in ids}))
    (folder / "dialogues.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


def test_eval_redial_replays_test_turns_through_the_gateway(tmp_path, catalog_dir, capsys):
    folder = small_redial(tmp_path / "redial")
    artifacts_dir = tmp_path / "artifacts"
    artifacts_dir.mkdir()
    (artifacts_dir / "models").symlink_to(catalog_dir.parent / "models")  # the trained intent model
    main([
        "eval", "redial", "--dialogues", str(folder / "dialogues.jsonl"), "--split-seed", "42",
        "--test-fraction", "0.2", "--max-test-dialogues", "2", "--artifacts-dir", str(artifacts_dir),
        "--catalog-name", "redial-small",
    ])
    out = capsys.readouterr().out
    assert "convrec (gateway, stateless gRPC)" in out and "popularity, genres asked" in out
    report = json.loads((artifacts_dir / "eval" / "redial-small" / "results.json").read_text())

    movies = rd.load_movies(folder / "movies.csv")
    dialogues = rd.load_dialogues(folder / "dialogues.jsonl", movies)
    from convrec_eval.redial import split_dialogues

    test = split_dialogues(dialogues, 42, 0.2).test[:2]
    cases = [c for d in test for c in rd.eval_cases(d)]
    assert report["dialogues"] == {"train": 16, "test": 4, "evaluated": 2}
    assert report["cases"] == len(cases) > 0
    assert report["targets"] == sum(len(c.targets) for c in cases)
    assert report["convrec_errors"] == {}
    assert report["convrec_turns_with_items"] >= 1
    assert set(report["convrec_minus"]) == set(report["methods"]) - {"convrec (gateway, stateless gRPC)"}
    for difference in report["convrec_minus"].values():
        assert all(low <= d <= high for d, low, high in difference.values())
    for method in report["methods"].values():
        for part in ("all", "new"):
            assert all(0.0 <= v <= 1.0 for v in method[part].values())
    # Everything learned from dialogues comes from the training part.
    counts = {json.loads(x)["item_id"] for x in (artifacts_dir / "eval" / "redial-small" / "popularity.jsonl").open()}
    train_only = {rd.item_id(m) for d in split_dialogues(dialogues, 42, 0.2).train for m in d.movie_ids()}
    assert counts == train_only
