"""ReDial import: catalog, dialogues to turns and cases, interactions, co-mentions, checks."""

from __future__ import annotations

import json

import pytest

from convrec_data import redial as rd
from convrec_data.common import DataError
from convrec_kit.catalog import Catalog

from .data_fixtures import REDIAL_DIALOGUES, SHARED_DATA, write_redial


def lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


@pytest.fixture
def imported(tmp_path):
    folder = write_redial(tmp_path / "redial")
    report = rd.import_redial(folder, tmp_path / "out")
    return tmp_path / "out", report


def test_catalog_items_follow_the_project_format(imported):
    out, report = imported
    catalog = Catalog.load(out / "catalog.jsonl")  # the project's own loader accepts it
    assert len(catalog) == 6 and report.imported["movies"] == 6
    shining = catalog.require("rd-100")
    assert shining.title == "The Shining" and shining.numeric["year"] == 1980
    assert shining.external_id == "100"
    assert list(shining.categories) == ["movie", "horror", "drama"]
    assert shining.attributes["director"] == "Stanley Kubrick"
    assert shining.attributes["cast"] == "Jack Nicholson, Shelley Duvall"
    assert shining.attributes["writer"] == "Stephen King"
    assert shining.attributes["imdb_id"] == "tt0081505"
    assert shining.description == "A writer goes mad."
    assert list(catalog.require("rd-105").categories) == ["movie", "action", "science fiction"]
    assert catalog.require("rd-103").numeric.get("year") is None
    assert catalog.require("rd-104").title == "Untitled ReDial movie 104"  # listed with a year only
    assert report.skipped["metadata entries"]["movie not in movies.csv"] == 1


def test_dialogues_become_merged_turns_with_titles(imported):
    out, _ = imported
    turns = [t for t in lines(out / "utterances.jsonl") if t["dialogue_id"] == "1"]
    assert [t["role"] for t in turns] == ["assistant", "user", "assistant", "user", "assistant"]
    assert turns[1]["text"] == "I want a horror movie like The Babadook (2014) something scary"
    assert turns[2]["text"] == "Try The Shining (1980) or It Follows (2014) and The Shining (1980)"
    assert turns[2]["item_ids"] == ["rd-100", "rd-101"]


def test_evaluation_cases_follow_the_protocol(tmp_path):
    movies = rd.load_movies(write_redial(tmp_path) / "movies.csv")
    dialogue = rd.parse_dialogue(REDIAL_DIALOGUES[0], movies, "test")
    cases = rd.eval_cases(dialogue)
    # Recommender turns that mention movies, after the first turn: turns 2 and 4.
    assert [c.turn_index for c in cases] == [2, 4]
    assert cases[0].targets == ["100", "101"] and cases[0].mentioned_before == [False, False]
    assert len(cases[0].context) == 2 and cases[0].context[-1].role == "user"
    assert cases[1].targets == ["101"] and cases[1].mentioned_before == [True]
    # A recommender's opening turn is no case: it has no context.
    opening = rd.parse_dialogue({**REDIAL_DIALOGUES[1], "messages": [{"senderWorkerId": 8, "text": "@105"}]},
                                movies, "test")
    assert rd.eval_cases(opening) == []


def test_interactions_come_from_the_questionnaires(imported):
    out, _ = imported
    events = {(e["user_id"], e["item_id"], e["event"]) for e in lines(out / "interactions.jsonl")}
    assert ("redial-7", "rd-102", "like") in events
    assert ("redial-7", "rd-100", "dislike") in events
    assert ("redial-7", "rd-102", "seen") in events
    assert not any(e[1] == "rd-101" and e[2] in ("like", "dislike") for e in events)  # "did not say"
    # The recommender's copy is used when the seeker's answers are missing.
    assert ("redial-9", "rd-105", "like") in events
    assert all(e["timestamp"] is None for e in lines(out / "interactions.jsonl"))


def test_co_mentions_and_popularity(imported):
    out, _ = imported
    pairs = {(p["item_id"], p["other_id"]): p["count"] for p in lines(out / "co_mentions.jsonl")}
    assert pairs[("rd-100", "rd-101")] == 1 and pairs[("rd-104", "rd-105")] == 1
    assert ("rd-100", "rd-105") not in pairs
    counts = {p["item_id"]: p["count"] for p in lines(out / "popularity.jsonl")}
    assert counts == {"rd-100": 1, "rd-101": 1, "rd-102": 1, "rd-104": 1, "rd-105": 1}


def test_import_is_idempotent(tmp_path):
    folder = write_redial(tmp_path / "redial")
    rd.import_redial(folder, tmp_path / "out")
    first = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    again = rd.import_redial(folder, tmp_path / "out")
    assert "up to date" in again.source
    forced = rd.import_redial(folder, tmp_path / "out", force=True)
    assert forced.imported == again.imported
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == first


def test_clear_errors_for_bad_input(tmp_path):
    with pytest.raises(DataError, match="not found"):
        rd.import_redial(tmp_path / "missing", tmp_path / "out")
    folder = write_redial(tmp_path / "redial")
    (folder / "train_sample_1000.jsonl").write_text('{"conversationId": "1"}\n')
    with pytest.raises(DataError, match=r"train_sample_1000.jsonl:1: not a ReDial dialogue: missing messages"):
        rd.import_redial(folder, tmp_path / "out")
    (folder / "train_sample_1000.jsonl").write_text("{not json\n")
    with pytest.raises(DataError, match=r":1: invalid JSON"):
        rd.import_redial(folder, tmp_path / "out")
    (folder / "movies.csv").write_text("id,name\n1,x\n")
    with pytest.raises(DataError, match="missing column"):
        rd.import_redial(folder, tmp_path / "out")


@pytest.mark.skipif(not (SHARED_DATA / "redial").exists(), reason=f"shared ReDial data not at {SHARED_DATA}")
def test_whole_shared_sample_gives_the_documented_case_counts(tmp_path):
    report = rd.import_redial(SHARED_DATA / "redial", tmp_path / "out")
    assert report.imported["movies"] == 6924 and report.imported["dialogues"] == 1000
    assert report.notes["evaluation_cases"] == {
        "recommender_turns": 2880,
        "targets": 3823,
        "targets_not_mentioned_before": 3544,
    }


def test_the_convrec_data_import_command(tmp_path, capsys):
    from convrec_cli.main import main

    folder = write_redial(tmp_path / "redial")
    main(["data", "import", "redial", "--path", str(folder), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert "6 movies, 2 dialogues" in out and "evaluation cases" in out
    assert (tmp_path / "out" / "report.json").exists()
    with pytest.raises(SystemExit, match="error: ReDial folder not found"):
        main(["data", "import", "redial", "--path", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
