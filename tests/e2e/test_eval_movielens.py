"""`convrec eval movielens` end to end on a few shared MovieLens users."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter

from convrec_cli.main import main

from .helpers import SHARED_DATA, needs_shared

MOVIELENS = SHARED_DATA / "movielens-latest-small"
pytestmark = needs_shared(MOVIELENS / "ratings.csv", "MovieLens data")


def small_movielens(folder, users: int = 15, max_ratings: int = 40):
    """Users with few ratings, and only the movies they rated."""
    folder.mkdir()
    with (MOVIELENS / "ratings.csv").open(newline="") as handle:
        ratings = list(csv.DictReader(handle))
    per_user = Counter(r["userId"] for r in ratings)
    chosen = sorted((u for u, n in per_user.items() if n <= max_ratings), key=int)[:users]
    kept = [r for r in ratings if r["userId"] in chosen]
    movies = {r["movieId"] for r in kept}
    for name in ("ratings.csv", "movies.csv", "links.csv", "tags.csv"):
        with (MOVIELENS / name).open(newline="") as source, (folder / name).open("w", newline="") as target:
            reader = csv.DictReader(source)
            writer = csv.DictWriter(target, reader.fieldnames)
            writer.writeheader()
            writer.writerows(r for r in reader if r["movieId"] in movies and (name != "ratings.csv" or r in kept))
    shutil.copy(MOVIELENS / "README.txt", folder / "README.txt")
    return folder, len(chosen)


def test_eval_movielens_ranks_the_held_out_movie(tmp_path, catalog_dir, capsys):
    folder, users = small_movielens(tmp_path / "ml")
    artifacts_dir = tmp_path / "artifacts"
    artifacts_dir.mkdir()
    (artifacts_dir / "models").symlink_to(catalog_dir.parent / "models")
    main(["eval", "movielens", "--path", str(folder), "--artifacts-dir", str(artifacts_dir),
          "--catalog-name", "ml-small"])
    out = capsys.readouterr().out
    assert "item-kNN" in out and "convrec, model interest" in out and "time + text" in out
    report = json.loads((artifacts_dir / "eval" / "ml-small" / "results.json").read_text())
    first = report["protocols"][0]
    assert first["split"] == "leave-last-out" and first["users"] == users
    assert set(first["methods"]) == {
        "popularity", "item-kNN", "ALS (implicit)", "interest model alone, time + text",
        "interest model alone, no time + text", "interest model alone, time + no text",
        "interest model alone, no time + no text (default)",
        "convrec, formula interest (before)", "convrec, model interest",
    }
    compared = {(d["method"], d["baseline"]) for d in first["differences"]}
    assert ("convrec, model interest", "convrec, formula interest (before)") in compared
    assert ("interest model alone, time + text", "interest model alone, no time + text") in compared  # time's share
    assert ("interest model alone, time + text", "interest model alone, time + no text") in compared  # text's share
    assert all(d["baseline"] == first["best_baseline"] for d in first["differences"][:6])
    for protocol in report["protocols"]:
        for values in protocol["methods"].values():
            assert 0.0 <= values["NDCG@10"] <= values["HR@10"] <= 1.0
    versions = sorted((artifacts_dir / "ml-small" / "interest").glob("*/manifest.json"))
    assert len(versions) == 4  # the model and its three ablations, each a cached version

