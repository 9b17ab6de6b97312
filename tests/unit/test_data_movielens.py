"""MovieLens import: movies, tags, timestamped ratings, and links to a ReDial catalog."""

from __future__ import annotations

import json

import pytest

from convrec_data import movielens as ml
from convrec_data.common import DataError
from convrec_data.redial import import_redial
from convrec_kit.catalog import Catalog

from .data_fixtures import SHARED_DATA, write_movielens, write_redial


def lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


@pytest.fixture
def imported(tmp_path):
    import_redial(write_redial(tmp_path / "redial"), tmp_path / "redial-out")
    report = ml.import_movielens(
        write_movielens(tmp_path / "ml"), tmp_path / "out", redial_catalog=tmp_path / "redial-out" / "catalog.jsonl"
    )
    return tmp_path / "out", report


def test_movies_become_catalog_items(imported):
    out, _ = imported
    catalog = Catalog.load(out / "catalog.jsonl")
    matrix = catalog.require("ml-1")
    assert matrix.title == "The Matrix" and matrix.numeric["year"] == 1999 and matrix.external_id == "1"
    assert list(matrix.categories) == ["movie", "action", "science fiction", "thriller"]
    assert matrix.attributes["imdb_id"] == "tt0133093" and matrix.attributes["tmdb_id"] == "603"
    assert matrix.attributes["tags"] == "cyberpunk"  # tags merged case-insensitively
    assert catalog.require("ml-2").title == "Seven"
    assert "family" in catalog.require("ml-4").categories  # Children


def test_ratings_are_timestamped_interactions_and_bad_rows_are_skipped(imported):
    out, report = imported
    ratings = lines(out / "interactions.jsonl")
    assert ratings[0] == {"user_id": "ml-1", "item_id": "ml-1", "event": "rate", "value": 4.0, "timestamp": 100}
    assert [r["timestamp"] for r in ratings if r["user_id"] == "ml-1"] == [100, 200, 300]
    assert report.imported["ratings"] == 6
    assert report.skipped["ratings"] == {"movie not in movies.csv": 1, "rating outside 0.5-5": 1}
    assert report.skipped["tags"] == {"empty tag": 1}
    assert len(lines(out / "tags.jsonl")) == 3


def test_redial_links_by_imdb_id_and_by_title_and_year(imported):
    out, report = imported
    links = {x["redial_item_id"]: (x["item_id"], x["method"]) for x in lines(out / "redial_links.jsonl")}
    assert links["rd-105"] == ("ml-1", "imdb_id")  # The Matrix (1999) == Matrix, The (1999)
    assert links["rd-100"] == ("ml-3", "imdb_id")
    assert links["rd-102"] == ("ml-5", "title_year")  # The Babadook (2014) == Babadook (2014), no IMDb id
    match = report.notes["redial_match"]
    assert match["redial_items"] == 6 and match["matched"] == 3 and match["match_rate"] == 0.5
    assert match["by_method"]["title+year only"] == 1


def test_clear_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        ml.import_movielens(tmp_path / "missing", tmp_path / "out")
    folder = write_movielens(tmp_path / "ml")
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,four,100\n")
    with pytest.raises(DataError, match=r"ratings.csv:2: rating 'four'"):
        ml.import_movielens(folder, tmp_path / "out")
    (folder / "movies.csv").write_text("movieId,name\n1,x\n")
    with pytest.raises(DataError, match="missing column"):
        ml.import_movielens(folder, tmp_path / "out")


@pytest.mark.skipif(not (SHARED_DATA / "movielens-latest-small").exists(), reason=f"shared data not at {SHARED_DATA}")
def test_shared_movielens_links_most_redial_movies(tmp_path):
    import_redial(SHARED_DATA / "redial", tmp_path / "redial")
    report = ml.import_movielens(
        SHARED_DATA / "movielens-latest-small", tmp_path / "out", redial_catalog=tmp_path / "redial" / "catalog.jsonl"
    )
    assert report.imported["movies"] == 9742 and report.imported["ratings"] == 100836
    assert report.notes["users"] == 610
    assert 0.6 < report.notes["redial_match"]["match_rate"] < 0.7
