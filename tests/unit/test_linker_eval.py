"""convrec_eval.linking: the labelled linking set, before/after scores, tuned thresholds, speed."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import pytest

from convrec_eval import cli, linking
from convrec_intent.fuzzy import Thresholds
from convrec_kit.catalog import Catalog, item_from_record
from convrec_kit.settings import REPO_ROOT

DEMO = REPO_ROOT / "catalog" / "demo.jsonl"
REDIAL_MOVIES = REPO_ROOT.parent / "shared" / "data" / "redial" / "movies.csv"


@pytest.fixture(scope="module")
def demo():
    return Catalog.load(DEMO)


@pytest.fixture(scope="module")
def rows(demo):
    return linking.load_rows(linking.SET, demo)


@pytest.fixture(scope="module")
def test_report(demo, rows):
    return linking.evaluate(demo, rows, "test")


def test_the_set_loads_and_covers_languages_noise_and_negatives(rows):
    noisy = sum(len(r["item_ids"]) for r in rows if r["noise"] != "exact")
    assert noisy >= 150
    assert Counter(r["split"] for r in rows).keys() == {"dev", "test"}
    for split in ("dev", "test"):
        part = [r for r in rows if r["split"] == split]
        assert {r["language"] for r in part if r["item_ids"]} == {"en", "zh"}
        assert sum(1 for r in part if not r["item_ids"] and not r.get("people")) >= 30  # negatives
    kinds = {r["noise"] for r in rows}
    assert {"typo", "missing_word", "wrong_year", "lower_case", "transliteration", "zh_missing_char"} <= kinds
    assert len({r["utterance"] for r in rows}) == len(rows)


def test_a_bad_row_is_refused(tmp_path, demo):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"utterance": "x", "item_ids": ["no-such-item"], "language": "en", "noise": "typo", "split": "dev"}\n'
    )
    with pytest.raises(linking.DataError):
        linking.load_rows(path, demo)


def test_fuzzy_linking_beats_exact_on_the_test_split(test_report):
    before, after = test_report["before"]["counts"], test_report["after"]["counts"]
    assert after["all"].prf()[2] >= before["all"].prf()[2] + 0.4
    for language in ("en", "zh"):
        precision, recall, f1 = after[language].prf()
        assert f1 >= 0.9 and precision >= 0.9, language
        assert f1 > before[language].prf()[2] + 0.3
    # Clean exact mentions do not suffer.
    assert after["noise:exact"].prf()[1] >= before["noise:exact"].prf()[1]


def test_fuzzy_linking_links_almost_nothing_in_negatives(demo, rows):
    negatives = [r for r in rows if r["noise"] == "negative"]
    assert len(negatives) >= 80
    for fuzzy in (False, True):
        false_links = linking.score(demo, negatives, fuzzy=fuzzy)["counts"]["all"].fp
        assert false_links <= 0.05 * len(negatives)
    fp_before = linking.score(demo, negatives, fuzzy=False)["counts"]["all"].fp
    assert linking.score(demo, negatives, fuzzy=True)["counts"]["all"].fp <= fp_before


def test_people_linking_improves(test_report):
    before, after = test_report["before"]["counts"]["people"], test_report["after"]["counts"]["people"]
    assert after.prf()[2] > before.prf()[2] + 0.5 and after.prf()[0] >= 0.9


def test_default_thresholds_are_the_ones_tuned_on_dev(demo, rows):
    chosen, results = linking.tune(demo, rows)
    assert chosen == Thresholds()
    assert next(f for f, _, t in results if t == Thresholds()) == results[0][0]
    assert "chosen:" in linking.format_tuning((chosen, results))


def test_report_names_both_linkers_languages_and_times(test_report):
    text = linking.format_report(test_report, show_errors=True)
    for word in ("before P", "after P", "\nen ", "\nzh ", "noise:typo", "people", "ms/utterance"):
        assert word in text


def test_cli_runs(capsys):
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    cli.run(parser.parse_args(["eval", "linking", "--split", "dev"]))
    assert "after P" in capsys.readouterr().out


def test_linking_is_fast_on_the_demo_catalog(demo, rows):
    times = linking.link_times(demo, [r["utterance"] for r in rows], repeats=1)
    assert times["mean_ms"] < 10


def test_linking_scales_to_a_redial_sized_catalog(rows):
    if REDIAL_MOVIES.exists():
        catalog = linking.redial_catalog(REDIAL_MOVIES)
    else:  # about 7,000 made-up titles of two to four words
        words = [w for r in rows for w in r["utterance"].split() if w.isascii() and w.isalpha()]
        titles = {" ".join(words[i : i + 2 + i % 3]).title() for i in range(0, 7000 * 3, 3)}
        catalog = Catalog(item_from_record({"item_id": f"t{i}", "title": t}) for i, t in enumerate(sorted(titles)))
    assert len(catalog) > 5000
    times = linking.link_times(catalog, [r["utterance"] for r in rows if r["language"] == "en"], repeats=1)
    assert times["mean_ms"] < 25 and times["build_s"] < 10


def test_redial_catalog_reader(tmp_path: Path):
    path = tmp_path / "movies.csv"
    path.write_text("movieId,movieName\n1,Interstellar (2014)\n2,Alien (1979)\n")
    catalog = linking.redial_catalog(path)
    assert [i.title for i in catalog.items] == ["Interstellar", "Alien"]
    assert catalog.items[0].numeric["year"] == 2014
